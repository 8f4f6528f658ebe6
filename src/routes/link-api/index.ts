import { secretApiRouter } from "../secret-api";
import * as handlers from "./link-api.handlers";
import * as routes from "./link-api.routes";

/** `/v1/api/links/*` — Aklamio's Link API: a ready-to-share link per user and promotion. */
export const linksApiRouter = secretApiRouter();
linksApiRouter.openapi(routes.createLink, handlers.createLink).openapi(routes.getLink, handlers.getLink);

/** `/v1/api/users/*` — Link API users (lookup, export, erasure). */
export const usersRouter = secretApiRouter();
usersRouter
  .openapi(routes.findUserByEmail, handlers.findUserByEmail)
  .openapi(routes.getUser, handlers.getUser)
  .openapi(routes.exportUser, handlers.exportUser)
  .openapi(routes.deleteUser, handlers.deleteUser);
