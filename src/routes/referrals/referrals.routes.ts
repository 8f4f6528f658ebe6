import { createRoute, z } from "@hono/zod-openapi";
import { API_KEY_SECURITY, errorResponses, jsonBody, jsonContent } from "../../lib/openapi";
import { requireSecretKey } from "../../middleware/auth";
import {
  ByUserQuery,
  ByUserResponse,
  ClaimBody,
  ClaimRefereeResponse,
  ClaimResponse,
  CompleteBody,
  CompleteResponse,
  CreateReferralBody,
  CreateReferralResponse,
  codeField,
  LeaderboardQuery,
  LeaderboardResponse,
  MilestoneBody,
  MilestoneResponse,
  ReferralLookupResponse,
  StatsQuery,
  StatsResponse,
} from "./referrals.schemas";

const tags = ["Referrals"];

export const create = createRoute({
  method: "post",
  path: "/create",
  tags,
  security: API_KEY_SECURITY,
  summary: "Create (or return the pending) referral code for a user",
  request: jsonBody(CreateReferralBody),
  responses: {
    200: jsonContent(CreateReferralResponse, "The user's pending referral code"),
    ...errorResponses(400, 401, 403),
  },
});

export const leaderboard = createRoute({
  method: "get",
  path: "/leaderboard",
  tags,
  security: API_KEY_SECURITY,
  summary: "Top referrers ranked by completed referrals or reward value, all time or the last 7 / 30 days (secret key)",
  middleware: [requireSecretKey()] as const,
  request: { query: LeaderboardQuery },
  responses: { 200: jsonContent(LeaderboardResponse, "Leaderboard"), ...errorResponses(400, 401, 403) },
});

export const stats = createRoute({
  method: "get",
  path: "/stats",
  tags,
  security: API_KEY_SECURITY,
  summary: "Referral totals by status and the conversion rate, optionally for a creation-day range (secret key)",
  middleware: [requireSecretKey()] as const,
  request: { query: StatsQuery },
  responses: { 200: jsonContent(StatsResponse, "Stats"), ...errorResponses(400, 401, 403) },
});

export const byUser = createRoute({
  method: "get",
  path: "/by-user/{userId}",
  tags,
  security: API_KEY_SECURITY,
  summary: "List a user's referrals (secret key)",
  middleware: [requireSecretKey()] as const,
  request: {
    params: z.object({ userId: z.string().trim().min(1).max(256) }),
    query: ByUserQuery,
  },
  responses: { 200: jsonContent(ByUserResponse, "Referrals"), ...errorResponses(400, 401, 403) },
});

export const lookup = createRoute({
  method: "get",
  path: "/{code}",
  tags,
  security: API_KEY_SECURITY,
  summary: "Look up a referral by code",
  request: { params: z.object({ code: codeField }) },
  responses: { 200: jsonContent(ReferralLookupResponse, "The referral"), ...errorResponses(401, 404) },
});

export const milestone = createRoute({
  method: "post",
  path: "/milestone",
  tags,
  security: API_KEY_SECURITY,
  summary: "Advance a pending referral's milestone (secret key)",
  middleware: [requireSecretKey()] as const,
  request: jsonBody(MilestoneBody),
  responses: { 200: jsonContent(MilestoneResponse, "The referral"), ...errorResponses(400, 401, 403, 404, 409) },
});

export const complete = createRoute({
  method: "post",
  path: "/complete",
  tags,
  security: API_KEY_SECURITY,
  summary: "Complete a referral, with abuse checks (secret key)",
  middleware: [requireSecretKey()] as const,
  request: jsonBody(CompleteBody),
  responses: {
    200: jsonContent(CompleteResponse, "The completed referral"),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

export const claimReward = createRoute({
  method: "post",
  path: "/claim-reward",
  tags,
  security: API_KEY_SECURITY,
  summary: "Claim the referrer's reward, once (secret key)",
  middleware: [requireSecretKey()] as const,
  request: jsonBody(ClaimBody),
  responses: { 200: jsonContent(ClaimResponse, "Claimed"), ...errorResponses(400, 401, 403, 404, 409) },
});

export const claimRefereeReward = createRoute({
  method: "post",
  path: "/claim-referee-reward",
  tags,
  security: API_KEY_SECURITY,
  summary: "Claim the referred user's reward, once (secret key)",
  middleware: [requireSecretKey()] as const,
  request: jsonBody(ClaimBody),
  responses: { 200: jsonContent(ClaimRefereeResponse, "Claimed"), ...errorResponses(400, 401, 403, 404, 409) },
});
