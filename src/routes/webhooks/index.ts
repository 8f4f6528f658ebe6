import { createRouter } from "../../lib/router";
import * as handlers from "./webhooks.handlers";
import * as routes from "./webhooks.routes";

/**
 * Webhook subscriptions, delivery log, replay and test; mounted inside the admin router, whose
 * middleware (ADMIN_TOKEN, Idempotency-Key) covers these routes too.
 */
export const webhooksRouter = createRouter();

webhooksRouter
  .openapi(routes.createEndpoint, handlers.createEndpoint)
  .openapi(routes.listEndpoints, handlers.listEndpoints)
  .openapi(routes.updateEndpoint, handlers.updateEndpoint)
  .openapi(routes.deleteEndpoint, handlers.deleteEndpoint)
  .openapi(routes.rotateSecret, handlers.rotateSecret)
  .openapi(routes.listDeliveries, handlers.listDeliveries)
  .openapi(routes.replay, handlers.replay)
  .openapi(routes.sendTest, handlers.sendTest);
