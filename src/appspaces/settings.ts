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
