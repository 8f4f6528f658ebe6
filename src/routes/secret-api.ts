import { createRouter } from "../lib/router";
import { apiKeyAuth, requireSecretKey } from "../middleware/auth";
import { dispatchAfterWrite } from "../middleware/dispatch";
import { appspaceIdempotency } from "../middleware/idempotency";

/**
 * A router for `/v1/api/*` resources that only a secret key may use (the Link API: promotions,
 * links, conversions, users, emails): API key auth, then the secret-key rule, the outbox
 * dispatches after writes (webhook events, queued emails) and Idempotency-Key on POSTs — the same
 * chain as the referral routes, in one place.
 */
export function secretApiRouter() {
  const router = createRouter();
  router.use("*", apiKeyAuth());
  router.use("*", requireSecretKey());
  router.use("*", dispatchAfterWrite({ emails: true }));
  router.use("*", appspaceIdempotency());
  return router;
}
