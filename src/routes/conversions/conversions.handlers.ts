import type { RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import { referralUrlPrefix } from "../../appspaces/settings";
import * as repo from "../../db/conversions";
import { PG_UNIQUE_VIOLATION, pgErrorCode } from "../../db/errors";
import { advanceMilestone, completeReferral as completeInDb } from "../../db/referrals";
import { ApiError, badRequest, conflict, notFound } from "../../lib/errors";
import { pgTimestampToIso } from "../../lib/time";
import { verifyAid } from "../../link-api/aid";
import { isSelfReferral, refereeIdentity, withinAttribution } from "../../link-api/conversions";
import { isPromotionActive, type PromotionRewards, rewardsFor } from "../../link-api/promotions";
import { generateReferralCode, normalizeCode } from "../../referrals/code";
import { completionOutcome, type MilestonePlan, planMilestone } from "../../referrals/rules";
import { hashSignal } from "../../referrals/signals";
import type { AppEnv } from "../../types";
import type { convertRoute } from ".";

interface ConversionInput {
  aid?: string;
  referral_code?: string;
  referee_email?: string;
  referee_user_id?: string;
  event?: string;
  order_id?: string;
  amount?: number;
  currency?: string;
  product_id?: string;
  ip?: string;
  device_id?: string;
}

const ATTRIBUTION_NOT_FOUND = "Attribution not found";
const ATTEMPTS = 5;

/**
 * POST /v1/api/conversions. Resolves the aid (or code), claims the order_id, then moves the
 * referee's referral: on a reusable link the first conversion of a referee creates their referral;
 * the reward milestone completes it with every abuse rule of `complete`, rewards following the
 * link's receiver rule. The first answer of an order is stored and given again on repeats.
 */
export const convert: RouteHandler<typeof convertRoute, AppEnv> = async (c) => {
  const body: ConversionInput = c.req.valid("json");
  if (body.aid === undefined && body.referral_code === undefined) {
    throw badRequest("aid or referral_code is required", { field: "aid" });
  }
  const referee = { email: body.referee_email ?? null, userId: body.referee_user_id ?? null };
  const refereeId = refereeIdentity(referee);
  if (refereeId === null) throw badRequest("referee_email or referee_user_id is required", { field: "referee_email" });
  const { appspace } = c.var.caller;
  const now = Date.now();

  let code: string;
  let clickedAt: number | null = null;
  if (body.aid !== undefined) {
    const verified = await verifyAid(c.var.config.ipHashSecret, appspace.id, body.aid);
    if (!verified) throw notFound(ATTRIBUTION_NOT_FOUND);
    code = verified.code;
    clickedAt = verified.clickedAt;
  } else {
    code = normalizeCode(body.referral_code ?? "");
  }
  const event = body.event ?? appspace.settings.reward_milestone;
  // Decided before anything is claimed or written: an unknown milestone changes nothing.
  const plan = planMilestone(event, appspace.settings);
  if (!plan) throw badRequest(`event: ${event} is not a milestone of this appspace`, { field: "event" });

  const claim = await repo.claimConversion(c.var.db, {
    appspaceId: appspace.id,
    orderId: body.order_id ?? null,
    aid: body.aid ?? null,
    code,
    event,
    amount: body.amount === undefined ? null : String(body.amount),
    currency: body.currency ?? null,
    productId: body.product_id ?? null,
  });
  if (claim.kind === "in_progress") {
    c.set("transientAnswer", true);
    throw conflict("A conversion with this order_id is being processed; retry shortly", {
      code: "idempotency_key_in_progress",
    });
  }
  if (claim.kind === "replay") return answer(c, claim.stored);

  try {
    const referralId = await run(c, body, { code, clickedAt, event, plan, refereeId, referee, now });
    await repo.finishConversion(c.var.db, { ...claim, referralId, status: 200, error: null });
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) {
      await repo.finishConversion(c.var.db, {
        ...claim,
        referralId: null,
        status: error.status,
        error: { error: error.message, ...error.extra },
      });
    } else {
      await repo.releaseConversion(c.var.db, claim).catch(() => undefined);
    }
    throw error;
  }
  return answer(c, await storedOf(c, claim.id));
};

async function storedOf(c: Context<AppEnv>, id: string): Promise<repo.StoredConversion> {
  const row = await repo.findConversion(c.var.db, c.var.caller.appspace.id, id);
  if (!row) throw new Error("conversion vanished");
  return row;
}

/** The answer of a finished conversion: the referral as it is now, or the first error again. */
async function answer(c: Context<AppEnv>, stored: repo.StoredConversion) {
  if (stored.response_status !== 200 || stored.referral_id === null) {
    const { error, ...extra } = stored.response_error ?? {};
    throw new ApiError(
      (stored.response_status ?? 409) as 400,
      typeof error === "string" ? error : "Conversion refused",
      extra,
    );
  }
  const referral = await repo.conversionReferral(c.var.db, c.var.caller.appspace.id, { id: stored.referral_id });
  if (!referral) throw notFound("Referral not found");
  return c.json(
    {
      conversion: {
        id: stored.id,
        order_id: stored.order_id,
        event: stored.event,
        amount: stored.amount,
        currency: stored.currency,
        product_id: stored.product_id,
        created_at: pgTimestampToIso(stored.created_at),
      },
      referral: {
        id: referral.id,
        referral_code: referral.code,
        link_code: referral.link_code,
        promotion_id: referral.promotion_id,
        referrer_id: referral.referrer_id,
        referred_user_id: referral.referred_user_id,
        status: referral.status,
        milestone: referral.milestone,
        reward_type: referral.reward_type,
        reward_value: referral.reward_value,
        referee_reward_type: referral.referee_reward_type,
        referee_reward_value: referral.referee_reward_value,
        completed_at: referral.completed_at,
      },
    },
    200,
  );
}

interface Resolved {
  code: string;
  clickedAt: number | null;
  event: string;
  plan: MilestonePlan;
  refereeId: string;
  referee: { email: string | null; userId: string | null };
  now: number;
}

/** Moves the referral; returns its id. Throws the contract's errors. */
async function run(c: Context<AppEnv>, body: ConversionInput, r: Resolved): Promise<string> {
  const { appspace } = c.var.caller;
  const settings = appspace.settings;
  const db = c.var.db;
  const target = await repo.findConversionTarget(db, appspace.id, r.code);
  if (!target) throw notFound(body.aid !== undefined ? ATTRIBUTION_NOT_FOUND : "Referral not found");

  let referralCode = target.code;
  let rewards: PromotionRewards = {
    rewardType: settings.reward_type,
    rewardValue: settings.reward_value,
    refereeRewardType: settings.referee_reward_type,
    refereeRewardValue: settings.referee_reward_value,
  };
  const eventData: Record<string, unknown> = { order_id: body.order_id ?? null };
  if (target.kind === "link") {
    const window = { archivedAt: target.archived_at, startsAt: target.starts_at, endsAt: target.ends_at };
    if (!isPromotionActive(window, r.now)) throw conflict("Promotion is not active");
    if (r.clickedAt !== null && !withinAttribution(r.clickedAt, target.attribution_days, r.now)) {
      throw notFound(ATTRIBUTION_NOT_FOUND);
    }
    const owner = {
      userId: target.user_id,
      emailCanonical: target.email_canonical,
      externalUserId: target.external_user_id,
    };
    if (isSelfReferral(owner, r.referee)) throw conflict("Referral flagged for abuse", { reason: "self_referral" });
    referralCode = await linkReferral(c, target, r.refereeId);
    rewards = rewardsFor(target.reward_receiver, {
      rewardType: target.reward_type,
      rewardValue: target.reward_value,
      refereeRewardType: target.referee_reward_type,
      refereeRewardValue: target.referee_reward_value,
    });
    eventData.promotion_id = target.promotion_id;
    eventData.product_id = body.product_id ?? target.product_id;
    eventData.link_code = target.code;
  } else {
    eventData.product_id = body.product_id ?? null;
  }

  const { plan } = r;
  if (!plan.completes) {
    const moved = await advanceMilestone(db, {
      appspaceId: appspace.id,
      code: referralCode,
      milestone: r.event,
      allowedFrom: plan.allowedFrom,
      eventData,
      linkReferrals: true,
    });
    if (!moved) throw notFound("Referral not found, expired, or invalid milestone");
    return moved.id;
  }
  const secret = c.var.config.ipHashSecret;
  const [ipHash, deviceHash] = await Promise.all([
    hashSignal(secret, "ip", appspace.id, body.ip),
    hashSignal(secret, "device", appspace.id, body.device_id),
  ]);
  const observed = await completeInDb(db, {
    appspaceId: appspace.id,
    code: referralCode,
    milestone: r.event,
    referredUserId: r.refereeId,
    referredUserName: null,
    ipHash,
    deviceHash,
    ...rewards,
    eventData,
    linkReferrals: true,
  });
  const outcome = completionOutcome(observed);
  switch (outcome.kind) {
    case "not_found":
      throw notFound("Referral not found");
    case "closed":
      throw notFound("Referral not found or already completed");
    case "abuse":
      throw conflict("Referral flagged for abuse", { reason: outcome.reason });
    case "repeated":
    case "completed":
      return outcome.referral.id;
  }
}

/** The referee's referral on a reusable link (created on their first conversion). */
async function linkReferral(c: Context<AppEnv>, target: repo.LinkTarget, refereeId: string): Promise<string> {
  const { appspace } = c.var.caller;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let result: repo.LinkReferral;
    try {
      result = await repo.ensureLinkReferral(c.var.db, {
        appspaceId: appspace.id,
        linkCode: target.code,
        code: generateReferralCode(),
        referee: refereeId,
        promotionId: target.promotion_id,
        productId: target.product_id,
        // A referee's referral stays open at least as long as the promotion attributes clicks: a
        // purchase weeks after a sign-up, on an aid still inside the window, still completes it.
        expirationDays: Math.max(appspace.settings.expiration_days, target.attribution_days),
        referralUrlPrefix: referralUrlPrefix(appspace.domains),
      });
    } catch (error) {
      if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) continue;
      throw error;
    }
    if (result.kind === "ok") return result.code;
    if (result.kind === "gone") throw notFound(ATTRIBUTION_NOT_FOUND);
    if (result.kind === "already_referred") {
      throw conflict("Referral flagged for abuse", { reason: "already_referred" });
    }
  }
  throw new Error(`could not create the referee's referral in ${ATTEMPTS} attempts`);
}
