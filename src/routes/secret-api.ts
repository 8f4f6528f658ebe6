import { createRouter } from "../lib/router";
import { apiKeyAuth, requireSecretKey } from "../middleware/auth";
import { dispatchEventsAfterWrite } from "../middleware/dispatch";
import { appspaceIdempotency } from "../middleware/idempotency";
import { dispatchEmailsAfterWrite } from "../services/email-outbox";

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
  router.use("*", dispatchEventsAfterWrite());
  router.use("*", dispatchEmailsAfterWrite());
  router.use("*", appspaceIdempotency());
  return router;
}
