import { badRequest } from "../../lib/errors";
import { createRouter } from "../../lib/router";
import { apiKeyAuth } from "../../middleware/auth";
import { dispatchAfterWrite } from "../../middleware/dispatch";
import { appspaceIdempotency } from "../../middleware/idempotency";
import * as handlers from "./referrals.handlers";
import * as routes from "./referrals.routes";

/** `/v1/api/referral/*` — Tolinku's Referrals API contract. */
export const referralsRouter = createRouter();

referralsRouter.use("*", apiKeyAuth());
referralsRouter.use("*", dispatchAfterWrite());
// After auth (keys are per appspace), before every handler: POSTs with an Idempotency-Key.
referralsRouter.use("*", appspaceIdempotency());
// An empty userId never reaches the `{userId}` route; answer with the contract's message.
referralsRouter.get("/by-user", () => {
  throw badRequest("userId is required", { field: "userId" });
});
referralsRouter.get("/by-user/", () => {
  throw badRequest("userId is required", { field: "userId" });
});

referralsRouter
  .openapi(routes.create, handlers.create)
  .openapi(routes.leaderboard, handlers.leaderboard)
  .openapi(routes.stats, handlers.stats)
  .openapi(routes.byUser, handlers.byUser)
  .openapi(routes.milestone, handlers.milestone)
  .openapi(routes.complete, handlers.complete)
  .openapi(routes.claimReward, handlers.claimReward)
  .openapi(routes.claimRefereeReward, handlers.claimRefereeReward)
  .openapi(routes.lookup, handlers.lookup);
