import { createRoute, z } from "@hono/zod-openapi";
import { claimDeferred, claimedTokens } from "../../db/links";
import { matchInstall } from "../../deferred/match";
import { ApiError, badRequest, notFound } from "../../lib/errors";
import { API_KEY_SECURITY, errorResponses, jsonBody, jsonContent } from "../../lib/openapi";
import { createRouter } from "../../lib/router";
import { apiKeyAuth } from "../../middleware/auth";
import { dispatchAfterWrite } from "../../middleware/dispatch";
import { hashSignal } from "../../referrals/signals";
import { deferredFromIp, loadDeferredByToken } from "../../services/deferred-records";

/**
 * `/api/deferred/*` — what an app calls on first launch to get the link that brought it:
 * by install-referrer token (Android, deterministic) or by device signals (iOS, probabilistic).
 * A record is claimed at most once, decided in Postgres.
 */
export const deferredRouter = createRouter();
deferredRouter.use("*", apiKeyAuth());
deferredRouter.use("*", dispatchAfterWrite({ includeGet: true }));

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
      .openapi({ example: "17.4", description: "iOS version; compared with Safari's Version/x.y token" }),
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
