import { z } from "@hono/zod-openapi";

export const REWARD_TYPES = ["none", "points", "credit", "discount", "custom"] as const;

/** A milestone name, as settings list it and as the milestone endpoint accepts it. */
export const milestoneName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, "use letters, digits and _ . : - only");

/** Reward values are strings, as in the seed ("20"); numbers are accepted and kept as text. */
const rewardValue = z
  .union([z.string().trim().max(64), z.number().finite()])
  .transform((v) => (v === "" ? null : String(v)))
  .nullable();

const httpsUrl = z.url({ protocol: /^https$/, error: "must be an https URL" }).max(2048);

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

/**
 * Every appspace setting with its default. Stored normalised (every key present); PATCH merges a
 * validated partial over it. Unknown keys are rejected so typos don't silently do nothing.
 */
export const settingsShape = {
  referrals_enabled: z.boolean().default(true),
  expiration_days: z.number().int().min(1).max(365).default(30),
  max_referrals_per_user: z.number().int().min(1).max(1_000_000).nullable().default(null),
  milestones: z
    .array(milestoneName)
    .max(50)
    .refine((list) => new Set(list).size === list.length, "must not repeat a milestone")
    .default([]),
  reward_milestone: milestoneName.default("completed"),
  reward_type: z.enum(REWARD_TYPES).default("none"),
  reward_value: rewardValue.default(null),
  referee_reward_type: z.enum(REWARD_TYPES).default("none"),
  referee_reward_value: rewardValue.default(null),
  // Identity verification: publishable-key creates must carry user_hash (see src/auth/identity.ts)
  require_user_hash: z.boolean().default(false),
  // Edge link handling (/ref/:code)
  ios_app_store_url: appStoreUrl.nullable().default(null),
  android_package: androidPackage.nullable().default(null),
  web_fallback_url: httpsUrl.nullable().default(null),
  og_title: previewText(200).default(null),
  og_description: previewText(500).default(null),
  og_image_url: httpsUrl.nullable().default(null),
  // Deferred deep linking (iOS signal matching)
  match_window_minutes: z.number().int().min(1).max(1440).default(120),
  match_strategy: z.enum(MATCH_STRATEGIES).default("strict"),
  match_min_confidence: z.number().min(0).max(1).default(0.9),
  // App association files (/.well-known/…)
  apple_team_id: z
    .string()
    .trim()
    .regex(/^[A-Z0-9]{10}$/, "must be a 10-character Apple Team ID")
    .nullable()
    .default(null),
  ios_bundle_ids: uniqueList(bundleId, 20).default([]),
  android_sha256_cert_fingerprints: uniqueList(certFingerprint, 20).default([]),
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
