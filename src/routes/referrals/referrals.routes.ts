import { createRoute, z } from "@hono/zod-openapi";
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
  ErrorResponse,
  LeaderboardQuery,
  LeaderboardResponse,
  MilestoneBody,
  MilestoneResponse,
  ReferralLookupResponse,
} from "./referrals.schemas";

const tags = ["Referrals"];
const security: Record<string, string[]>[] = [{ bearerKey: [] }, { apiKeyHeader: [] }];
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});
const body = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});
const errors = (...codes: (400 | 401 | 403 | 404 | 409)[]) =>
  Object.fromEntries(codes.map((code) => [code, json(ErrorResponse, "Error")]));

export const create = createRoute({
  method: "post",
  path: "/create",
  tags,
  security,
  summary: "Create (or return the pending) referral code for a user",
  request: body(CreateReferralBody),
  responses: { 200: json(CreateReferralResponse, "The user's pending referral code"), ...errors(400, 401, 403) },
});

export const leaderboard = createRoute({
  method: "get",
  path: "/leaderboard",
  tags,
  security,
  summary: "Top referrers ranked by completed referrals (secret key)",
  middleware: [requireSecretKey()] as const,
  request: { query: LeaderboardQuery },
  responses: { 200: json(LeaderboardResponse, "Leaderboard"), ...errors(400, 401, 403) },
});

export const byUser = createRoute({
  method: "get",
  path: "/by-user/{userId}",
  tags,
  security,
  summary: "List a user's referrals (secret key)",
  middleware: [requireSecretKey()] as const,
  request: {
    params: z.object({ userId: z.string().trim().min(1).max(256) }),
    query: ByUserQuery,
  },
  responses: { 200: json(ByUserResponse, "Referrals"), ...errors(400, 401, 403) },
});

export const lookup = createRoute({
  method: "get",
  path: "/{code}",
  tags,
  security,
  summary: "Look up a referral by code",
  request: { params: z.object({ code: codeField }) },
  responses: { 200: json(ReferralLookupResponse, "The referral"), ...errors(401, 404) },
});

export const milestone = createRoute({
  method: "post",
  path: "/milestone",
  tags,
  security,
  summary: "Advance a pending referral's milestone (secret key)",
  middleware: [requireSecretKey()] as const,
  request: body(MilestoneBody),
  responses: { 200: json(MilestoneResponse, "The referral"), ...errors(400, 401, 403, 404, 409) },
});

export const complete = createRoute({
  method: "post",
  path: "/complete",
  tags,
  security,
  summary: "Complete a referral, with abuse checks (secret key)",
  middleware: [requireSecretKey()] as const,
  request: body(CompleteBody),
  responses: { 200: json(CompleteResponse, "The completed referral"), ...errors(400, 401, 403, 404, 409) },
});

export const claimReward = createRoute({
  method: "post",
  path: "/claim-reward",
  tags,
  security,
  summary: "Claim the referrer's reward, once (secret key)",
  middleware: [requireSecretKey()] as const,
  request: body(ClaimBody),
  responses: { 200: json(ClaimResponse, "Claimed"), ...errors(400, 401, 403, 404, 409) },
});

export const claimRefereeReward = createRoute({
  method: "post",
  path: "/claim-referee-reward",
  tags,
  security,
  summary: "Claim the referred user's reward, once (secret key)",
  middleware: [requireSecretKey()] as const,
  request: body(ClaimBody),
  responses: { 200: json(ClaimRefereeResponse, "Claimed"), ...errors(400, 401, 403, 404, 409) },
});
