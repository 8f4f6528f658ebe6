import { z } from "@hono/zod-openapi";
import { DEFAULT_MIN_CONFIDENCE } from "../deferred/match";

export const REWARD_TYPES = ["none", "points", "credit", "discount", "custom"] as const;

/** A milestone name, as settings list it and as the milestone endpoint accepts it. */
export const milestoneName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, "use letters, digits and _ . : - only");

/** Reward values are strings, as in the seed ("20"); numbers are accepted and kept as text. */
export const rewardValue = z
  .union([z.string().trim().max(64), z.number().finite()])
  .transform((v) => (v === "" ? null : String(v)))
  .nullable();

export const httpsUrl = z.url({ protocol: /^https$/, error: "must be an https URL" }).max(2048);

/** Text for link previews; `{{referrer_name}}` is replaced with the referrer's display name. */
const previewText = (max: number) => z.string().trim().min(1).max(max).nullable();

/** The URL's hostname, or null when it doesn't parse. */
function hostnameOf(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

// zod runs a refinement even when the checks before it failed, so this one also sees values
// that are not URLs at all: those already carry "must be an https URL", and must not throw here.
const appStoreUrl = httpsUrl.refine((url) => {
  const host = hostnameOf(url);
  return host === null || /^(apps|itunes)\.apple\.com$/.test(host);
}, "must be an App Store URL (https://apps.apple.com/…)");

/** A Java/Android application id: at least two dot-separated segments, each starting with a letter. */
const androidPackage = z
  .string()
  .trim()
  .regex(/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$/, "must be an Android application id like com.example.app")
  .max(255);

const bundleId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, "must be an iOS bundle id like com.example.app")
  .max(255);

/** An upper-case, colon-separated SHA-256 (32 bytes), as `keytool`/Play Console print it. */
const certFingerprint = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/, "must be a SHA-256 fingerprint like AB:CD:…(32 bytes)");

const uniqueList = <T extends z.ZodType<string>>(item: T, max: number) =>
  z
    .array(item)
    .max(max)
    .refine((list) => new Set(list).size === list.length, "must not repeat an entry");

export const MATCH_STRATEGIES = ["strict", "published"] as const;

/** `a`, `b`, `c`: a setting's allowed values, as its description lists them. */
const codeList = (values: readonly string[]) => values.map((v) => `\`${v}\``).join(", ");

/**
 * Every appspace setting with its default. Stored normalised (every key present); PATCH merges a
 * validated partial over it. Unknown keys are rejected so typos don't silently do nothing.
 *
 * Each setting's description (set before its default, so the PATCH schema carries it too) is the
 * one source of the README's settings table (`npm run docs:settings`) and of the OpenAPI document.
 */
export const settingsShape = {
  referrals_enabled: z.boolean().describe("`false` → create answers 403").default(true),
  expiration_days: z
    .number()
    .int()
    .min(1)
    .max(365)
    .describe("1–365; a pending referral older than this reads as `expired` everywhere (fixed at creation)")
    .default(30),
  max_referrals_per_user: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .nullable()
    .describe("cap on a user's active referrals (pending or completed, not expired); `null` = unlimited")
    .default(null),
  milestones: z
    .array(milestoneName)
    .max(50)
    .refine((list) => new Set(list).size === list.length, "must not repeat a milestone")
    .describe(
      "ordered list (up to 50 names); when set, a referral only moves forward along it; when empty, any name is accepted",
    )
    .default([]),
  reward_milestone: milestoneName
    .describe("reaching it (via `/milestone`) completes the referral exactly as `/complete` does")
    .default("completed"),
  reward_type: z
    .enum(REWARD_TYPES)
    .describe(`the referrer's reward: ${codeList(REWARD_TYPES)}`)
    .default("none"),
  reward_value: rewardValue
    .describe('the referrer\'s reward amount as a string, e.g. `"20"` (numbers are accepted and stored as text)')
    .default(null),
  referee_reward_type: z
    .enum(REWARD_TYPES)
    .describe(`the referred user's reward: ${codeList(REWARD_TYPES)}`)
    .default("none"),
  referee_reward_value: rewardValue.describe("the referred user's reward amount, like `reward_value`").default(null),
  // Identity verification: publishable-key creates must carry user_hash (see src/auth/identity.ts)
  require_user_hash: z
    .boolean()
    .describe('identity verification: publishable-key creates must carry `user_hash` (see "Trust rules")')
    .default(false),
  // Edge link handling (/ref/:code)
  ios_app_store_url: appStoreUrl
    .nullable()
    .describe(
      "App Store URL (`https://apps.apple.com/…`) that iOS visitors of `/ref/:code` continue to; unset → `web_fallback_url`",
    )
    .default(null),
  android_package: androidPackage
    .nullable()
    .describe(
      "Android application id (`com.example.app`): Android visitors go to its Play Store page with `referrer=tolk_token%3D<token>`; unset → `web_fallback_url`",
    )
    .default(null),
  web_fallback_url: httpsUrl
    .nullable()
    .describe(
      "https URL for desktop and other visitors, and for unknown, expired or completed codes on the appspace's domains; unset → a plain 404 page",
    )
    .default(null),
  og_title: previewText(200)
    .describe(
      "link-preview title (Open Graph / Twitter Card) shown to crawlers, up to 200 characters; `{{referrer_name}}` becomes the referrer's `user_name`; unset → `{{referrer_name}} invited you`",
    )
    .default(null),
  og_description: previewText(500)
    .describe(
      "link-preview description, up to 500 characters; `{{referrer_name}}` is filled in likewise; unset → `Accept the invitation to get started.`",
    )
    .default(null),
  og_image_url: httpsUrl.nullable().describe("https URL of the link-preview image; unset → no image").default(null),
  // Deferred deep linking (iOS signal matching)
  ios_pasteboard_claim: z
    .boolean()
    .describe(
      "iOS page: instead of continuing to the App Store at once, offer “Copy code and get the app”, which puts `edgeref-token:<token>` on the pasteboard for the app to claim with `GET /api/deferred/claim` (deterministic, no IP needed), next to a plain “Get the app”",
    )
    .default(false),
  match_window_minutes: z
    .number()
    .int()
    .min(1)
    .max(1440)
    .describe("1–1440; iOS matching (`/api/deferred/match`) considers unclaimed clicks from the same IP this recent")
    .default(120),
  match_strategy: z
    .enum(MATCH_STRATEGIES)
    .describe(
      '`strict`: exact screen size and iOS version, a tie or low confidence is no match; `published`: 1 point each for timezone, language, width ±50 px, height ±50 px, at least 2, often wrong behind shared IPs (see "Deferred deep links")',
    )
    .default("strict"),
  match_min_confidence: z
    .number()
    .min(0)
    .max(1)
    .describe("0–1; the confidence a `strict` match needs to be answered (`published` is not gated)")
    .default(DEFAULT_MIN_CONFIDENCE),
  // App association files (/.well-known/…)
  apple_team_id: z
    .string()
    .trim()
    .regex(/^[A-Z0-9]{10}$/, "must be a 10-character Apple Team ID")
    .nullable()
    .describe(
      "10-character Apple Team ID; with `ios_bundle_ids` it serves `/.well-known/apple-app-site-association` (universal links)",
    )
    .default(null),
  ios_bundle_ids: uniqueList(bundleId, 20)
    .describe("iOS bundle ids (`com.example.app`, up to 20, no repeats) named in `apple-app-site-association`")
    .default([]),
  android_sha256_cert_fingerprints: uniqueList(certFingerprint, 20)
    .describe(
      "signing-certificate SHA-256 fingerprints (`AB:CD:…`, 32 bytes; up to 20); with `android_package` they serve `/.well-known/assetlinks.json` (App Links)",
    )
    .default([]),
};

export const settingsSchema = z.strictObject(settingsShape).openapi("AppspaceSettings");
export type Settings = z.output<typeof settingsSchema>;

/** A PATCH: the same rules, nothing defaulted, so absent keys keep their stored value. */
export const settingsPatchSchema = z
  .strictObject(
    Object.fromEntries(Object.entries(settingsShape).map(([k, v]) => [k, v.removeDefault().optional()])) as {
      [K in keyof typeof settingsShape]: z.ZodOptional<ReturnType<(typeof settingsShape)[K]["removeDefault"]>>;
    },
  )
  .openapi("AppspaceSettingsPatch");

export const DEFAULT_SETTINGS: Settings = settingsSchema.parse({});

/** Stored settings read back through the schema: keys added by later versions get defaults. */
export function readSettings(stored: unknown): Settings {
  const parsed = settingsSchema.safeParse(stored ?? {});
  return parsed.success ? parsed.data : { ...DEFAULT_SETTINGS, ...(stored as object) };
}

/** `https://<first domain>/ref/<code>`, or null when the appspace has no domain. */
export function referralUrlPrefix(domains: readonly string[]): string | null {
  const domain = domains[0];
  return domain ? `https://${domain}/ref/` : null;
}
