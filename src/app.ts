import type { MiddlewareHandler } from "hono";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { ping } from "./db/appspaces";
import { DOCS_ASSETS, DOCS_CSP, DOCS_HTML } from "./docs/page";
import { errorBody, errorJson, handleError, notFoundJson, requestIdOf } from "./lib/error-response";
import { log } from "./lib/log";
import { documentCommonErrors } from "./lib/openapi";
import { createRouter } from "./lib/router";
import { SECURE_HEADERS_OPTIONS } from "./lib/security-headers";
import { bodyLimit } from "./middleware/body-limit";
import { documentIdempotencyKey } from "./middleware/idempotency";
import { methodNotAllowed } from "./middleware/method-not-allowed";
import { ipRateLimit } from "./middleware/rate-limit";
import { services } from "./middleware/services";
import { POLICIES } from "./ratelimit/policies";
import { adminRouter } from "./routes/admin";
import { analyticsRouter } from "./routes/analytics";
import { conversionsRouter } from "./routes/conversions";
import { dashboardRouter } from "./routes/dashboard";
import { deferredRouter } from "./routes/deferred";
import { emailsRouter } from "./routes/emails";
import { linksApiRouter, usersRouter } from "./routes/link-api";
import { linksRouter } from "./routes/links";
import { promotionsRouter } from "./routes/promotions";
import { referralsRouter } from "./routes/referrals";
import { unsubscribeRouter } from "./routes/unsubscribe";
import type { AppEnv } from "./types";

export const API_VERSION = "0.1.0";

/**
 * /v1/* answers carry API keys, webhook secrets and tenant data, /api/deferred/* a device's
 * deferred link: no browser, proxy or CDN may keep a copy, whatever the route (errors included:
 * they are set on the way out).
 */
const noStore: MiddlewareHandler = async (c, next) => {
  await next();
  c.res.headers.set("cache-control", "no-store");
};

/** The JSON API and its documentation: every path but the public link domain's. */
const API_BODY_PATHS = ["/v1/*", "/api/*"];
const API_PATHS = [...API_BODY_PATHS, "/health", "/openapi.json", "/docs", "/docs/*"];

export function createApp() {
  const app = createRouter();

  // Responses that bring no policy of their own (JSON, redirects, assets) get the strictest one;
  // HTML pages set theirs (hashes of their inline code), which `overwrite: false` keeps.
  app.use("*", secureHeaders(SECURE_HEADERS_OPTIONS));
  app.use("/v1/*", noStore);
  app.use("/api/deferred/*", noStore);
  // The public link domain (/ref/*, /.well-known/*, /aid.js, /unsubscribe/*) brings its own
  // middleware; the API's below is mounted on the API's paths, so neither depends on the order
  // the two are registered in.
  app.route("/", linksRouter);
  app.route("/", unsubscribeRouter);
  app.route("/", dashboardRouter as unknown as typeof app);
  for (const path of API_PATHS) app.use(path, requestId());
  // Anonymous, non-link routes: a budget per IP (the API's are per key, in its auth middleware).
  for (const path of ["/health", "/openapi.json", "/docs", "/docs/*"]) app.use(path, ipRateLimit(POLICIES.public));
  const limitBody = bodyLimit({
    maxSize: 64 * 1024,
    onError: (c) => errorJson(c, 413, "Request body is too large (limit 64 KB)"),
  });
  for (const path of API_BODY_PATHS) app.use(path, limitBody);

  // Documentation needs no database.
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "edgeref API",
      version: API_VERSION,
      description:
        "Referrals and deferred deep links on Cloudflare Workers. API keys: `Authorization: Bearer <key>` or `X-API-Key`. Publishable keys (pk_) may only create and look up referrals; everything else needs a secret key (sk_).",
    },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerKey", {
    type: "http",
    scheme: "bearer",
    description: "An API key: pk_… (publishable) or sk_… (secret)",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKeyHeader", {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "The ADMIN_TOKEN secret",
  });
  app.get("/docs", (c) => c.html(DOCS_HTML, 200, { "content-security-policy": DOCS_CSP }));
  // Swagger UI's files, from Workers static assets. Every request runs this Worker first
  // (assets.run_worker_first), so they get the same headers here as in tests.
  app.get("/docs/:file", async (c) => {
    const file = c.req.param("file");
    if (!DOCS_ASSETS.some((name) => name === file)) return notFoundJson(c);
    const asset = await c.env.ASSETS.fetch(c.req.raw);
    // A fetched response's headers are immutable; the middleware above still has to set its own.
    return new Response(asset.body, asset);
  });

  for (const path of [...API_BODY_PATHS, "/health"]) app.use(path, services());

  app.get("/health", async (c) => {
    try {
      await ping(c.var.db);
      return c.json({ status: "ok" }, 200);
    } catch (error) {
      log.error("health check failed", { requestId: c.var.requestId, error });
      return c.json({ status: "unavailable", ...errorBody(503, "database unreachable", requestIdOf(c)) }, 503);
    }
  });

  // Registered before the routers (Hono runs handlers in registration order); its table is filled
  // from the registry once they are mounted.
  let allowMethods: MiddlewareHandler<AppEnv> = (_c, next) => next();
  app.use("/v1/*", (c, next) => allowMethods(c, next));
  app.use("/api/deferred/*", (c, next) => allowMethods(c, next));
  app.route("/v1/admin", adminRouter);
  app.route("/v1/api/referral", referralsRouter);
  app.route("/v1/api/promotions", promotionsRouter);
  app.route("/v1/api/links", linksApiRouter);
  app.route("/v1/api/users", usersRouter);
  app.route("/v1/api/conversions", conversionsRouter);
  app.route("/v1/api/emails", emailsRouter);
  app.route("/v1/api/analytics", analyticsRouter);
  app.route("/api/deferred", deferredRouter);
  allowMethods = methodNotAllowed(app);
  documentIdempotencyKey(app);
  documentCommonErrors(app);

  app.notFound(notFoundJson);
  app.onError(handleError);

  return app;
}
