import { secretApiRouter } from "../secret-api";
import * as handlers from "./analytics.handlers";
import * as routes from "./analytics.routes";

/** `/v1/api/analytics/*` — clicks and events over time (secret key). */
export const analyticsRouter = secretApiRouter();
analyticsRouter.openapi(routes.clicks, handlers.clicks).openapi(routes.events, handlers.events);
