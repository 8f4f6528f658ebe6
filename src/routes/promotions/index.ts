import { secretApiRouter } from "../secret-api";
import * as handlers from "./promotions.handlers";
import * as routes from "./promotions.routes";

/** `/v1/api/promotions/*` — Link API campaigns. */
export const promotionsRouter = secretApiRouter();

promotionsRouter
  .openapi(routes.create, handlers.create)
  .openapi(routes.list, handlers.list)
  .openapi(routes.get, handlers.get)
  .openapi(routes.update, handlers.update)
  .openapi(routes.archive, handlers.archive);
