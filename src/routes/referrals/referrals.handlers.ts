import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import { conversionRate, resolveDays } from "../../analytics/range";
import { referralUrlPrefix } from "../../appspaces/settings";
import { userHashMatches } from "../../auth/identity";
import { referralStats } from "../../db/analytics";
import { PG_UNIQUE_VIOLATION, pgErrorCode } from "../../db/errors";
import * as repo from "../../db/referrals";
import { badRequest, conflict, forbidden, notFound, unauthorized } from "../../lib/errors";
import { generateReferralCode, normalizeCode } from "../../referrals/code";
import { claimOutcome, completionOutcome, planMilestone } from "../../referrals/rules";
import { hashSignal } from "../../referrals/signals";
import type { AppEnv } from "../../types";
import type * as routes from "./referrals.routes";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

const CODE_ATTEMPTS = 5;

/** The referee's/referrer's IP: the body's `ip`, else the caller's (Cloudflare sets the header). */
const observedIp = (c: Context<AppEnv>, ip: string | undefined) => ip ?? c.req.header("cf-connecting-ip");

/**
 * A publishable key is public (it ships in apps), so what it sends is a claim: with identity
 * verification on, `user_hash` must prove the backend vouched for this `user_id`.
 */
async function verifyIdentity(c: Context<AppEnv>, userId: string, userHash: string | undefined) {
  const { keyType, appspace } = c.var.caller;
  if (keyType !== "publishable" || !appspace.settings.require_user_hash) return;
  if (!userHash) throw unauthorized("user_hash is required: this appspace requires identity verification");
  const secret = appspace.identitySecret;
  if (!secret || !(await userHashMatches(secret, userId, userHash))) {
    throw unauthorized("Invalid user_hash for this user_id");
  }
}

export const create: Handler<typeof routes.create> = async (c) => {
  const body = c.req.valid("json");
  const { appspace, keyType } = c.var.caller;
  const settings = appspace.settings;
  if (!settings.referrals_enabled) throw forbidden("Referrals are not enabled for this Appspace");
  await verifyIdentity(c, body.user_id, body.user_hash);
  // A publishable key can't choose the IP or device the abuse checks compare against.
  const trusted = keyType === "secret";
  const secret = c.var.config.ipHashSecret;
  const [ipHash, deviceHash] = await Promise.all([
    hashSignal(secret, "ip", appspace.id, observedIp(c, trusted ? body.ip : undefined)),
    hashSignal(secret, "device", appspace.id, trusted ? body.device_id : undefined),
  ]);
  const prefix = referralUrlPrefix(appspace.domains);
  for (let attempt = 0; attempt < CODE_ATTEMPTS; attempt++) {
    let result: repo.CreateReferralResult;
    try {
      result = await repo.createReferral(c.var.db, {
        appspaceId: appspace.id,
        code: generateReferralCode(),
        referrerId: body.user_id,
        referrerName: body.user_name ?? null,
        keepExistingName: !trusted,
        metadata: body.metadata ?? null,
        ipHash,
        deviceHash,
        expirationDays: settings.expiration_days,
        maxPerUser: settings.max_referrals_per_user,
        referralUrlPrefix: prefix,
      });
    } catch (error) {
      // A unique index said no (code taken, or a racing create): try again; the next attempt
      // either returns the now-existing pending code or draws a fresh one.
      if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) continue;
      throw error;
    }
    if (result.kind === "limit_reached") throw badRequest("Maximum referrals per user reached");
    if (result.kind === "code_collision") continue;
    return c.json(
      { referral_code: result.code, referral_url: prefix ? prefix + result.code : null, referral_id: result.id },
      200,
    );
  }
  throw new Error(`could not allocate a unique referral code in ${CODE_ATTEMPTS} attempts`);
};

export const lookup: Handler<typeof routes.lookup> = async (c) => {
  const { code } = c.req.valid("param");
  const row = await repo.findReferral(c.var.db, c.var.caller.appspace.id, normalizeCode(code));
  if (!row) throw notFound("Referral not found");
  return c.json(
    {
      referral_code: row.code,
      // Publishable keys ship in apps: they don't learn who referred (often an email).
      ...(c.var.caller.keyType === "secret" ? { referrer_id: row.referrer_id } : {}),
      status: row.status,
      milestone: row.milestone,
      milestone_history: row.milestone_history,
      reward_type: row.reward_type,
      reward_value: row.reward_value,
      reward_claimed: row.reward_claimed,
      referee_reward_type: row.referee_reward_type,
      referee_reward_value: row.referee_reward_value,
      referee_reward_claimed: row.referee_reward_claimed,
      created_at: row.created_at,
      completed_at: row.completed_at,
      expires_at: row.expires_at,
    },
    200,
  );
};

interface CompletionRequest {
  code: string;
  milestone: string;
  referredUserId: string | null;
  referredUserName: string | null;
  ip: string | undefined;
  deviceId: string | undefined;
}

/** Shared by `complete` and by `milestone` when it reaches the reward milestone. */
async function completeReferral(
  c: Context<AppEnv>,
  req: CompletionRequest,
  messages: { notFound: string; closed: string; answerRepeats?: boolean },
) {
  const { appspace } = c.var.caller;
  const s = appspace.settings;
  const secret = c.var.config.ipHashSecret;
  const [ipHash, deviceHash] = await Promise.all([
    hashSignal(secret, "ip", appspace.id, observedIp(c, req.ip)),
    hashSignal(secret, "device", appspace.id, req.deviceId),
  ]);
  const observed = await repo.completeReferral(c.var.db, {
    appspaceId: appspace.id,
    code: req.code,
    milestone: req.milestone,
    referredUserId: req.referredUserId,
    referredUserName: req.referredUserName,
    ipHash,
    deviceHash,
    rewardType: s.reward_type,
    rewardValue: s.reward_value,
    refereeRewardType: s.referee_reward_type,
    refereeRewardValue: s.referee_reward_value,
  });
  const outcome = completionOutcome(observed);
  switch (outcome.kind) {
    case "not_found":
      throw notFound(messages.notFound);
    case "closed":
      throw notFound(messages.closed);
    case "abuse":
      throw conflict("Referral flagged for abuse", { reason: outcome.reason });
    case "repeated":
      // `complete` answers a retry with the completion it repeats; `milestone` keeps its contract.
      if (!messages.answerRepeats) throw notFound(messages.closed);
      return outcome.referral;
    case "completed":
      return outcome.referral;
  }
}

export const milestone: Handler<typeof routes.milestone> = async (c) => {
  const body = c.req.valid("json");
  const settings = c.var.caller.appspace.settings;
  const code = normalizeCode(body.referral_code);
  const invalid = "Referral not found, expired, or invalid milestone";
  const plan = planMilestone(body.milestone, settings);
  if (!plan) throw notFound(invalid);
  const row = plan.completes
    ? await completeReferral(
        c,
        {
          code,
          milestone: body.milestone,
          referredUserId: body.referred_user_id ?? null,
          referredUserName: body.referred_user_name ?? null,
          ip: body.ip,
          deviceId: body.device_id,
        },
        { notFound: invalid, closed: invalid },
      )
    : await repo.advanceMilestone(c.var.db, {
        appspaceId: c.var.caller.appspace.id,
        code,
        milestone: body.milestone,
        allowedFrom: plan.allowedFrom,
      });
  if (!row) throw notFound(invalid);
  return c.json(
    {
      referral: {
        id: row.id,
        referral_code: row.code,
        milestone: row.milestone,
        status: row.status,
        reward_type: row.reward_type,
        reward_value: row.reward_value,
      },
    },
    200,
  );
};

export const complete: Handler<typeof routes.complete> = async (c) => {
  const body = c.req.valid("json");
  const row = await completeReferral(
    c,
    {
      code: normalizeCode(body.referral_code),
      milestone: body.milestone ?? "completed",
      referredUserId: body.referred_user_id,
      referredUserName: body.referred_user_name ?? null,
      ip: body.ip,
      deviceId: body.device_id,
    },
    { notFound: "Referral not found", closed: "Referral not found or already completed", answerRepeats: true },
  );
  return c.json(
    {
      referral: {
        id: row.id,
        referral_code: row.code,
        referrer_id: row.referrer_id,
        referred_user_id: row.referred_user_id,
        status: "completed" as const,
        milestone: row.milestone,
        completed_at: row.completed_at,
        reward_type: row.reward_type,
        reward_value: row.reward_value,
        referee_reward_type: row.referee_reward_type,
        referee_reward_value: row.referee_reward_value,
      },
    },
    200,
  );
};

async function claim(c: Context<AppEnv>, rawCode: string, side: repo.RewardSide): Promise<string> {
  const code = normalizeCode(rawCode);
  const observed = await repo.claimReward(c.var.db, { appspaceId: c.var.caller.appspace.id, code, side });
  const outcome = claimOutcome(observed);
  if (outcome === "not_completed") throw notFound("Referral not found or not completed");
  if (outcome === "no_reward") throw conflict("No reward to claim");
  if (outcome === "already_claimed") throw conflict("Reward already claimed");
  return code;
}

export const claimReward: Handler<typeof routes.claimReward> = async (c) => {
  const code = await claim(c, c.req.valid("json").referral_code, "referrer");
  return c.json({ success: true as const, referral_code: code, reward_claimed: true as const }, 200);
};

export const claimRefereeReward: Handler<typeof routes.claimRefereeReward> = async (c) => {
  const code = await claim(c, c.req.valid("json").referral_code, "referee");
  return c.json({ success: true as const, referral_code: code, referee_reward_claimed: true as const }, 200);
};

export const byUser: Handler<typeof routes.byUser> = async (c) => {
  const { userId } = c.req.valid("param");
  const { limit, status } = c.req.valid("query");
  const { referrals, total } = await repo.listReferralsByUser(c.var.db, {
    appspaceId: c.var.caller.appspace.id,
    referrerId: userId,
    status,
    limit,
  });
  return c.json(
    {
      referrals: referrals.map((r) => ({
        referral_code: r.code,
        referred_user_id: r.referred_user_id,
        referred_user_name: r.referred_user_name,
        status: r.status,
        milestone: r.milestone,
        milestone_history: r.milestone_history,
        reward_type: r.reward_type,
        reward_value: r.reward_value,
        reward_claimed: r.reward_claimed,
        referee_reward_type: r.referee_reward_type,
        referee_reward_value: r.referee_reward_value,
        referee_reward_claimed: r.referee_reward_claimed,
        created_at: r.created_at,
        completed_at: r.completed_at,
      })),
      total,
    },
    200,
  );
};

export const leaderboard: Handler<typeof routes.leaderboard> = async (c) => {
  const { limit, period, sort } = c.req.valid("query");
  const rows = await repo.leaderboard(c.var.db, { appspaceId: c.var.caller.appspace.id, limit, period, sort });
  return c.json({ leaderboard: rows }, 200);
};

export const stats: Handler<typeof routes.stats> = async (c) => {
  const q = c.req.valid("query");
  const { from, to } = resolveDays(q);
  const s = await referralStats(c.var.db, {
    appspaceId: c.var.caller.appspace.id,
    from,
    to,
    promotionId: q.promotion_id ?? null,
  });
  return c.json({ ...s, conversion_rate: conversionRate(s), from, to }, 200);
};
