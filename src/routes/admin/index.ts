import { createRouter } from "../../lib/router";
import { adminAuth } from "../../middleware/auth";
import { adminIdempotency } from "../../middleware/idempotency";
import { webhooksRouter } from "../webhooks";
import * as handlers from "./admin.handlers";
import * as routes from "./admin.routes";

/** `/v1/admin/*` — tenants and keys, behind ADMIN_TOKEN. */
export const adminRouter = createRouter();

adminRouter.use("*", adminAuth());
// After auth, before every handler, including the webhook routes mounted below (once: not again there).
adminRouter.use("*", adminIdempotency());

adminRouter
  .openapi(routes.createAppspace, handlers.createAppspace)
  .openapi(routes.listAppspaces, handlers.listAppspaces)
  .openapi(routes.getAppspace, handlers.getAppspace)
  .openapi(routes.updateAppspace, handlers.updateAppspace)
  .openapi(routes.createKey, handlers.createKey)
  .openapi(routes.listKeys, handlers.listKeys)
  .openapi(routes.revokeKey, handlers.revokeKey)
  .openapi(routes.rotateIdentitySecret, handlers.rotateIdentitySecret);

adminRouter.route("/", webhooksRouter);
