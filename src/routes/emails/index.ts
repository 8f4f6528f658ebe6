import { secretApiRouter } from "../secret-api";
import * as handlers from "./emails.handlers";
import * as routes from "./emails.routes";

/** `/v1/api/emails` — the Link API's email outbox (secret key). */
export const emailsRouter = secretApiRouter();
emailsRouter.openapi(routes.list, handlers.list);
