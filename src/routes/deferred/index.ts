import { createRoute, z } from "@hono/zod-openapi";
import { claimDeferred, claimedTokens } from "../../db/links";
import { matchInstall } from "../../deferred/match";
import { sha256Hex } from "../../lib/crypto";
import { ApiError, badRequest, notFound } from "../../lib/errors";
import { API_KEY_SECURITY, errorResponses, jsonBody, jsonContent } from "../../lib/openapi";
import { createRouter } from "../../lib/router";
import { isLinkUsable } from "../../links/route";
import { apiKeyAuth } from "../../middleware/auth";
import { dispatchAfterWrite } from "../../middleware/dispatch";
import { appspaceIdempotency } from "../../middleware/idempotency";
import { CODE_ALPHABET, CODE_LENGTH, LINK_CODE_LENGTH, normalizeCode } from "../../referrals/code";
import { hashSignal } from "../../referrals/signals";
import { deferredFromIp, loadDeferredByToken } from "../../services/deferred-records";
import { linkSnapshot } from "../../services/link-snapshots";

/**
 * `/api/deferred/*` — what an app calls on first launch to get the link that brought it:
 * by install-referrer token (Android, deterministic) or by device signals (iOS, probabilistic).
 * A record is claimed at most once, decided in Postgres.
 */
export const deferredRouter = createRouter();
deferredRouter.use("*", apiKeyAuth());
deferredRouter.use("*", dispatchAfterWrite({ includeGet: true }));
// A first launch is where networks drop answers: a claim or match retried with its
// Idempotency-Key gets the first answer back instead of "already claimed" (or, for a match, the
// next-best record: someone else's click). GET /claim changes state, so it takes a key too.
deferredRouter.use("*", appspaceIdempotency({ statefulGet: true }));

const tags = ["Deferred deep links"];
const NOT_FOUND = "Deferred link not found, expired, or already claimed";

const Claimed = z
  .object({
    path: z.string().openapi({ example: "/ref/XKCD7B2MNQ" }),
    referral_code: z.string(),
    token: z.string(),
    clicked_at: z.string(),
  })
  .openapi("DeferredClaim");

const claimRoute = createRoute({
  method: "get",
  path: "/claim",
  tags,
  security: API_KEY_SECURITY,
  summary: "Android: claim the deferred link of an install-referrer token (once)",
  request: {
    query: z.object({
      token: z.string().trim().min(1).max(128).openapi({ description: "The `tolk_token` from the install referrer" }),
    }),
  },
  responses: { 200: jsonContent(Claimed, "The original link"), ...errorResponses(400, 401, 404) },
});

deferredRouter.openapi(claimRoute, async (c) => {
  const { token } = c.req.valid("query");
  const appspaceId = c.var.caller.appspace.id;
  const record = await loadDeferredByToken(c.env.LINKS, appspaceId, token);
  // Another appspace's record is as invisible as a missing one.
  if (!record || record.appspaceId !== appspaceId) throw notFound(NOT_FOUND);
  const won = await claimDeferred(c.var.db, {
    token: record.token,
    appspaceId,
    code: record.code,
    method: "token",
    path: record.path,
  });
  if (!won) throw notFound(NOT_FOUND);
  return c.json(
    {
      path: record.path,
      referral_code: record.code,
      token: record.token,
      clicked_at: new Date(record.clickedAt).toISOString(),
    },
    200,
  );
});

const ClaimCodeBody = z
  .strictObject({
    referral_code: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .openapi({ example: "XKCD7B2MNQ", description: "The code the user typed (any case)" }),
    install_id: z.string().trim().min(8).max(128).openapi({
      example: "6F9619FF-8B86-D011-B42D-00CF4FC964FF",
      description:
        "A stable id of this install (iOS identifierForVendor, or a UUID the app stores on first launch): one code claim per install",
    }),
  })
  .openapi("DeferredClaimCodeRequest");

const ClaimedCode = z
  .object({
    path: z.string().openapi({ example: "/ref/XKCD7B2MNQ" }),
    referral_code: z.string(),
    method: z.literal("code"),
  })
  .openapi("DeferredClaimCode");

const claimCodeRoute = createRoute({
  method: "post",
  path: "/claim-code",
  tags,
  security: API_KEY_SECURITY,
  summary: "Any platform: claim the link of a referral code the user typed (once per install)",
  description:
    "Deterministic, no matching: the code must be a live link of this appspace (a pending, unexpired referral code or an active Link API link). Each install claims one code, once; a second claim by the same install_id is a 404.",
  request: jsonBody(ClaimCodeBody),
  responses: { 200: jsonContent(ClaimedCode, "The link of the code"), ...errorResponses(400, 401, 404) },
});

/** What a referral code (10 characters) or a Link API link code (8) can look like. */
const CODE_SHAPE = new RegExp(`^([${CODE_ALPHABET}]{${CODE_LENGTH}}|[${CODE_ALPHABET}]{${LINK_CODE_LENGTH}})$`);

deferredRouter.openapi(claimCodeRoute, async (c) => {
  const body = c.req.valid("json");
  const appspaceId = c.var.caller.appspace.id;
  const code = normalizeCode(body.referral_code);
  // A typo can't be a code: answered without a lookup.
  if (!CODE_SHAPE.test(code)) throw notFound("Referral code not found, expired, or already used");
  const link = await linkSnapshot(c.var.db, { kv: c.env.LINKS, waitUntil: (p) => c.executionCtx.waitUntil(p) }, code);
  // Another appspace's code, or one no longer usable, is as unknown as a missing one.
  if (!link || link.appspaceId !== appspaceId || !isLinkUsable(link, Date.now())) {
    throw notFound("Referral code not found, expired, or already used");
  }
  const path = `/ref/${link.code}`;
  // One claim per install (the claim's key: the appspace and a hash of the install id).
  const won = await claimDeferred(c.var.db, {
    token: `code:${appspaceId}:${await sha256Hex(body.install_id)}`,
    appspaceId,
    code: link.code,
    method: "code",
    path,
  });
  if (!won) throw notFound("This install has already claimed a referral code");
  return c.json({ path, referral_code: link.code, method: "code" as const }, 200);
});

const MatchBody = z
  .strictObject({
    timezone: z.string().trim().min(1).max(64).openapi({ example: "America/New_York" }),
    language: z.string().trim().min(1).max(35).openapi({ example: "en-US" }),
    screen_width: z.number().int().min(1).max(10_000).openapi({ example: 393, description: "Points" }),
    screen_height: z.number().int().min(1).max(10_000).openapi({ example: 852, description: "Points" }),
    os_version: z
      .string()
      .trim()
      .regex(/^\d+(\.\d+){0,2}$/, "must be a version like 17.4")
      .optional()
      .openapi({
        example: "17.4",
        description:
          "iOS version (UIDevice.current.systemVersion), compared with Safari's Version/x.y token. Send it: behind a shared IP (an office, carrier NAT) it is what tells apart devices of one model; optional only for old clients, and a match without it is much less often right.",
      }),
  })
  .openapi("DeferredMatchRequest");

const MatchInfo = z
  .object({
    strategy: z.enum(["strict", "published"]),
    score: z.number(),
    max_score: z.number(),
    matched_signals: z.array(z.string()),
    candidates: z.number().int(),
    confidence: z.number(),
  })
  .openapi("DeferredMatchInfo");

const Matched = z
  .object({
    path: z.string(),
    referral_code: z.string(),
    token: z.string(),
    clicked_at: z.string(),
    match: MatchInfo,
  })
  .openapi("DeferredMatch");

const matchRoute = createRoute({
  method: "post",
  path: "/match",
  tags,
  security: API_KEY_SECURITY,
  summary: "iOS: match this install to a click from the same IP by device signals (once)",
  description:
    "Probabilistic: the response says how it matched (strategy, score, signals, candidates, confidence). Never grant rewards on a probabilistic match alone.",
  request: jsonBody(MatchBody),
  responses: { 200: jsonContent(Matched, "The matched link"), ...errorResponses(400, 401, 404) },
});

deferredRouter.openapi(matchRoute, async (c) => {
  const body = c.req.valid("json");
  const { appspace } = c.var.caller;
  const ip = c.req.header("cf-connecting-ip");
  if (!ip) throw badRequest("the request's IP address is unknown (CF-Connecting-IP)");
  const ipHash = await hashSignal(c.var.config.ipHashSecret, "ip", appspace.id, ip);
  const records = ipHash ? await deferredFromIp(c.env.LINKS, appspace.id, ipHash) : [];
  const claimed = await claimedTokens(
    c.var.db,
    records.map((r) => r.token),
  );
  const settings = appspace.settings;
  const result = matchInstall(
    {
      timezone: body.timezone,
      language: body.language,
      screenWidth: body.screen_width,
      screenHeight: body.screen_height,
      safariVersion: body.os_version ?? null,
    },
    records
      // Only iOS clicks are candidates (Android installs claim by token).
      .filter((r) => r.os === "ios" && !claimed.has(r.token))
      .map((r) => ({ token: r.token, clickedAt: r.clickedAt, signals: r.signals, path: r.path, code: r.code })),
    {
      strategy: settings.match_strategy,
      minConfidence: settings.match_min_confidence,
      windowMinutes: settings.match_window_minutes,
      now: Date.now(),
      // Every record of the IP's last 24 h (claimed too): how busy the network is.
      ipRecords: records.filter((r) => r.os === "ios").length,
    },
  );
  if (!result.matched) {
    throw new ApiError(404, "No matching deferred link for this device", {
      reason: result.reason,
      strategy: result.strategy,
      candidates: result.candidates,
      best_score: result.bestScore,
      confidence: result.confidence,
    });
  }
  const { candidate } = result;
  const won = await claimDeferred(c.var.db, {
    token: candidate.token,
    appspaceId: appspace.id,
    code: candidate.code,
    method: "match",
    path: candidate.path,
  });
  if (!won) throw notFound(NOT_FOUND);
  return c.json(
    {
      path: candidate.path,
      referral_code: candidate.code,
      token: candidate.token,
      clicked_at: new Date(candidate.clickedAt).toISOString(),
      match: {
        strategy: result.strategy,
        score: result.score,
        max_score: result.maxScore,
        matched_signals: result.matchedSignals,
        candidates: result.candidates,
        confidence: result.confidence,
      },
    },
    200,
  );
});
