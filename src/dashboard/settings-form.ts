import { html } from "hono/html";
import {
  MATCH_STRATEGIES,
  REWARD_TYPES,
  type Settings,
  settingsPatchSchema,
  settingsShape,
} from "../appspaces/settings";
import { describeIssue } from "../lib/validation";
import type { Html } from "./layout";

/**
 * The settings page's form: which settings it shows, in which groups, as which kind of input.
 * The rules (and each field's help text) are the API's own (src/appspaces/settings.ts): the form
 * posts strings, `formToPatch` turns them into a settings PATCH, and the same schema judges it.
 */

type Kind =
  | { type: "text" }
  | { type: "int" }
  | { type: "number" }
  | { type: "bool" }
  | { type: "list" }
  | { type: "enum"; options: readonly string[] };

type Key = keyof Settings;

const text: Kind = { type: "text" };
const int: Kind = { type: "int" };

export const SETTINGS_GROUPS: { title: string; fields: [Key, string, Kind][] }[] = [
  {
    title: "Routing",
    fields: [
      ["ios_app_store_url", "App Store URL", text],
      ["android_package", "Android package", text],
      ["web_fallback_url", "Web fallback URL", text],
    ],
  },
  {
    title: "Rewards",
    fields: [
      ["reward_type", "Referrer reward type", { type: "enum", options: REWARD_TYPES }],
      ["reward_value", "Referrer reward value", text],
      ["referee_reward_type", "Referred user's reward type", { type: "enum", options: REWARD_TYPES }],
      ["referee_reward_value", "Referred user's reward value", text],
    ],
  },
  {
    title: "Referrals",
    fields: [
      ["referrals_enabled", "Referrals enabled", { type: "bool" }],
      ["expiration_days", "Expiry (days)", int],
      ["max_referrals_per_user", "Max active referrals per user", int],
      ["milestones", "Milestones (one per line, in order)", { type: "list" }],
      ["reward_milestone", "Reward milestone", text],
    ],
  },
  {
    title: "Matching (iOS deferred links)",
    fields: [
      ["match_strategy", "Strategy", { type: "enum", options: MATCH_STRATEGIES }],
      ["match_window_minutes", "Window (minutes)", int],
      ["match_min_confidence", "Minimum confidence (0–1)", { type: "number" }],
      ["ios_pasteboard_claim", "iOS page: offer “Copy code and get the app”", { type: "bool" }],
    ],
  },
  {
    title: "Link previews",
    fields: [
      ["og_title", "Preview title", text],
      ["og_description", "Preview description", text],
      ["og_image_url", "Preview image URL", text],
    ],
  },
];

const FIELDS = SETTINGS_GROUPS.flatMap((g) => g.fields);

/** Turns a form post into a settings PATCH (blank = unset, for the settings that may be unset). */
export function formToPatch(form: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [key, , kind] of FIELDS) {
    const raw = form[key];
    const value = typeof raw === "string" ? raw.trim() : "";
    switch (kind.type) {
      case "bool":
        patch[key] = raw === "on" || raw === "true";
        break;
      case "int":
      case "number":
        patch[key] = value === "" ? null : /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
        break;
      case "list":
        patch[key] = value
          .split(/[\n,]/)
          .map((v) => v.trim())
          .filter(Boolean);
        break;
      default:
        patch[key] = value === "" ? null : value;
    }
  }
  return patch;
}

/** The PATCH, validated by the API's schema: the settings to apply, or an error per field. */
export function validatePatch(
  patch: Record<string, unknown>,
): { ok: true; value: Partial<Settings> } | { ok: false; errors: Record<string, string> } {
  const parsed = settingsPatchSchema.safeParse(patch);
  if (parsed.success) return { ok: true, value: parsed.data as Partial<Settings> };
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const key = String(issue.path[0] ?? "");
    errors[key] ??=
      issue.code === "invalid_type" && (patch[key] === null || patch[key] === undefined)
        ? "is required"
        : describeIssue({ ...issue, path: [] });
  }
  return { ok: false, errors };
}

const help = (key: Key) => (settingsShape[key] as { description?: string }).description ?? "";

/** Values to show: what was posted (after a refused save) or what is stored. */
export function settingsForm(p: {
  values: Record<string, unknown>;
  errors: Record<string, string>;
  csrf: string;
}): Html {
  const input = (key: Key, label: string, kind: Kind) => {
    const id = `f-${key}`;
    const error = p.errors[key];
    const describedBy = `${id}-hint${error ? ` ${id}-error` : ""}`;
    const v = p.values[key];
    const shown = Array.isArray(v) ? v.join("\n") : v === null || v === undefined ? "" : String(v);
    const invalid = error ? html` aria-invalid="true"` : "";
    let control: Html;
    switch (kind.type) {
      case "bool":
        control = html`<input type="checkbox" id="${id}" name="${key}"${v === true || v === "on" ? html` checked` : ""} aria-describedby="${describedBy}"${invalid}>`;
        break;
      case "enum":
        control = html`<select id="${id}" name="${key}" aria-describedby="${describedBy}"${invalid}>${kind.options.map(
          (o) => html`<option${o === shown ? html` selected` : ""}>${o}</option>`,
        )}</select>`;
        break;
      case "list":
        control = html`<textarea id="${id}" name="${key}" rows="4" aria-describedby="${describedBy}"${invalid}>${shown}</textarea>`;
        break;
      default:
        control = html`<input type="text" id="${id}" name="${key}" value="${shown}" size="48" inputmode="${
          kind.type === "text" ? "text" : "decimal"
        }" aria-describedby="${describedBy}"${invalid}>`;
    }
    return html`<div class="field">
      <label for="${id}">${label}</label>
      <p class="hint" id="${id}-hint">${help(key).replace(/`/g, "")}</p>
      ${error ? html`<p class="error" id="${id}-error">${label}: ${error}</p>` : ""}
      ${control}
    </div>`;
  };
  return html`<form method="post" action="/dashboard/settings" novalidate>
    <input type="hidden" name="_csrf" value="${p.csrf}">
    ${SETTINGS_GROUPS.map(
      (g) =>
        html`<fieldset><legend>${g.title}</legend>${g.fields.map(([k, label, kind]) => input(k, label, kind))}</fieldset>`,
    )}
    <button type="submit">Save settings</button>
  </form>`;
}
