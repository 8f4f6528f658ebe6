import { z } from "@hono/zod-openapi";
import { milestoneName } from "../../appspaces/settings";
import { LEADERBOARD_PERIODS, LEADERBOARD_SORTS } from "../../db/referrals";

const METADATA_MAX_BYTES = 8 * 1024;

const requiredId = (example: string) => z.string().trim().min(1).max(256).openapi({ example });
const optionalName = z.string().trim().max(200).nullish();

const ipAddress = z
  .string()
  .trim()
  .refine((v) => z.ipv4().safeParse(v).success || z.ipv6().safeParse(v).success, "must be an IPv4 or IPv6 address");

const deviceId = z.string().trim().min(1).max(256);

export const codeField = z.string().trim().min(1).max(64).openapi({ example: "XKCD7B2MNQ" });

export const CreateReferralBody = z
  .strictObject({
    user_id: requiredId("user_123"),
    user_name: optionalName.openapi({ example: "Jane Doe" }),
    metadata: z
      .record(z.string(), z.unknown())
      .nullish()
      .refine(
        (m) => m == null || new TextEncoder().encode(JSON.stringify(m)).byteLength <= METADATA_MAX_BYTES,
        `must be at most ${METADATA_MAX_BYTES} bytes of JSON`,
      )
      .openapi({ example: { source: "dashboard" } }),
    ip: ipAddress.optional().openapi({
      example: "203.0.113.42",
      description:
        "Referrer's IP for fraud detection; defaults to the caller's IP (CF-Connecting-IP). Ignored with a publishable key: the request's own IP is used.",
    }),
    device_id: deviceId.optional().openapi({
      example: "device_abc123",
      description: "Ignored with a publishable key (a client's claim can't hide its own device).",
    }),
    user_hash: z
      .string()
      .trim()
      .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex characters: HMAC-SHA256(identity_secret, user_id)")
      .optional()
      .openapi({
        description:
          "Identity verification: hex HMAC-SHA256 of user_id with the appspace's identity secret, computed by your backend. Required with a publishable key when the appspace sets require_user_hash.",
      }),
  })
  .openapi("CreateReferralRequest");

export const CreateReferralResponse = z
  .object({
    referral_code: z.string(),
    referral_url: z.string().nullable(),
    referral_id: z.string(),
  })
  .openapi("CreateReferralResponse");

const MilestoneEntry = z.object({ milestone: z.string(), timestamp: z.string() }).openapi("MilestoneEntry");

const STATUSES = ["pending", "completed", "expired"] as const;

/** What every referral view shows: its progress and both sides' rewards. */
const referralProgress = {
  referral_code: z.string(),
  status: z.enum(STATUSES),
  milestone: z.string(),
  milestone_history: z.array(MilestoneEntry),
  reward_type: z.string().nullable(),
  reward_value: z.string().nullable(),
  reward_claimed: z.boolean(),
  referee_reward_type: z.string().nullable(),
  referee_reward_value: z.string().nullable(),
  referee_reward_claimed: z.boolean(),
  created_at: z.string(),
  completed_at: z.string().nullable(),
};

export const ReferralLookupResponse = z
  .object({
    ...referralProgress,
    referrer_id: z.string().optional().openapi({ description: "Omitted for publishable keys (it is often an email)." }),
    expires_at: z.string(),
  })
  .openapi("Referral");

export const MilestoneBody = z
  .strictObject({
    referral_code: codeField,
    milestone: milestoneName.openapi({ example: "signed_up" }),
    referred_user_id: requiredId("user_456").optional().openapi({
      description: "Used when this milestone completes the referral (the reward milestone).",
    }),
    referred_user_name: optionalName,
    ip: ipAddress.optional(),
    device_id: deviceId.optional(),
  })
  .openapi("MilestoneRequest");

export const MilestoneResponse = z
  .object({
    referral: z.object({
      id: z.string(),
      referral_code: z.string(),
      milestone: z.string(),
      status: z.enum(STATUSES),
      reward_type: z.string().nullable(),
      reward_value: z.string().nullable(),
    }),
  })
  .openapi("MilestoneResponse");

export const CompleteBody = z
  .strictObject({
    referral_code: codeField,
    referred_user_id: requiredId("user_456"),
    referred_user_name: optionalName.openapi({ example: "John Doe" }),
    milestone: milestoneName.optional().openapi({ example: "completed", description: 'Defaults to "completed".' }),
    ip: ipAddress.optional().openapi({
      example: "198.51.100.7",
      description: "Referred user's IP; defaults to the caller's IP (CF-Connecting-IP).",
    }),
    device_id: deviceId.optional().openapi({ example: "device_xyz789" }),
  })
  .openapi("CompleteReferralRequest");

export const CompleteResponse = z
  .object({
    referral: z.object({
      id: z.string(),
      referral_code: z.string(),
      referrer_id: z.string(),
      referred_user_id: z.string().nullable(),
      status: z.literal("completed"),
      milestone: z.string(),
      completed_at: z.string().nullable(),
      reward_type: z.string().nullable(),
      reward_value: z.string().nullable(),
      referee_reward_type: z.string().nullable(),
      referee_reward_value: z.string().nullable(),
    }),
  })
  .openapi("CompleteReferralResponse");

export const ClaimBody = z.strictObject({ referral_code: codeField }).openapi("ClaimRewardRequest");

export const ClaimResponse = z
  .object({ success: z.literal(true), referral_code: z.string(), reward_claimed: z.literal(true) })
  .openapi("ClaimRewardResponse");

export const ClaimRefereeResponse = z
  .object({ success: z.literal(true), referral_code: z.string(), referee_reward_claimed: z.literal(true) })
  .openapi("ClaimRefereeRewardResponse");

export const ByUserQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ example: 50 }),
  status: z.enum(STATUSES).optional(),
});

export const ByUserResponse = z
  .object({
    referrals: z.array(
      z.object({
        ...referralProgress,
        referred_user_id: z.string().nullable(),
        referred_user_name: z.string().nullable(),
      }),
    ),
    total: z.number().int(),
  })
  .openapi("ReferralsByUser");

export const LeaderboardQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25).openapi({ example: 25 }),
  period: z.enum(LEADERBOARD_PERIODS).default("all").openapi({
    description:
      "`7d` / `30d`: the last 7 or 30 UTC days, today included (total = referrals created in the period, completed and total_reward_value = completions in it)",
  }),
  sort: z
    .enum(LEADERBOARD_SORTS)
    .default("completed")
    .openapi({ description: "Rank by completed referrals or by total reward value earned" }),
});

export const StatsQuery = z.object({
  from: z.string().max(40).optional().openapi({
    example: "2026-01-01",
    description: "First UTC day of creation counted (ISO 8601 date; a date-time counts its UTC day)",
  }),
  to: z.string().max(40).optional().openapi({ example: "2026-01-31", description: "Last UTC day counted (inclusive)" }),
  promotion_id: z.uuid().optional().openapi({ description: "Only referrals converted through this promotion's links" }),
});

export const StatsResponse = z
  .object({
    total: z.number().int(),
    pending: z.number().int(),
    completed: z.number().int(),
    expired: z.number().int().openapi({ description: "Includes pending referrals past their expiry (lazy expiry)" }),
    conversion_rate: z.number().openapi({ description: "completed / total (0 when total is 0)", example: 0.25 }),
    from: z.string().nullable().openapi({ description: "The first day counted, or null (from the start)" }),
    to: z.string().nullable().openapi({ description: "The last day counted, or null (up to now)" }),
  })
  .openapi("ReferralStats");

export const LeaderboardResponse = z
  .object({
    leaderboard: z.array(
      z.object({
        referrer_id: z.string(),
        referrer_name: z.string().nullable(),
        total: z.number().int(),
        completed: z.number().int(),
        pending: z.number().int(),
        total_reward_value: z.string(),
      }),
    ),
  })
  .openapi("Leaderboard");
