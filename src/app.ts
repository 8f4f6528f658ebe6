import { swaggerUI } from "@hono/swagger-ui";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { ConfigError } from "./config";
import { ping } from "./db/appspaces";
import { ApiError } from "./lib/errors";
import { createRouter } from "./lib/router";
import { services } from "./middleware/services";
import { adminRouter } from "./routes/admin";
import { deferredRouter } from "./routes/deferred";
import { linksRouter } from "./routes/links";
import { referralsRouter } from "./routes/referrals";

export const API_VERSION = "0.1.0";

export function createApp() {
  const app = createRouter();

  app.use("*", secureHeaders());
  // The public link domain first: its hot path skips the API's middleware (request ids, body
  // limits, the database client), which it doesn't need.
  app.route("/", linksRouter);
  app.use("*", requestId());
  app.use(
    "*",
    bodyLimit({
      maxSize: 64 * 1024,
      onError: (c) => c.json({ error: "Request body is too large (limit 64 KB)" }, 413),
    }),
  );

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
  app.get("/docs", swaggerUI({ url: "/openapi.json", title: "edgeref API reference" }));

  app.use("*", services());

  app.get("/health", async (c) => {
    try {
      await ping(c.var.db);
      return c.json({ status: "ok" }, 200);
    } catch (error) {
      console.error(JSON.stringify({ msg: "health check failed", requestId: c.var.requestId, error: String(error) }));
      return c.json({ status: "unavailable", error: "database unreachable" }, 503);
    }
  });

  app.route("/v1/admin", adminRouter);
  app.route("/v1/api/referral", referralsRouter);
  app.route("/api/deferred", deferredRouter);

  app.notFound((c) => c.json({ error: `Not found: ${c.req.method} ${c.req.path}` }, 404));

  app.onError((error, c) => {
    if (error instanceof ApiError) {
      return c.json({ error: error.message, ...error.extra }, error.status);
    }
    if (error instanceof HTTPException) {
      const message = error.message || "Bad request";
      return c.json({ error: message }, error.status);
    }
    const requestId = c.get("requestId");
    // Log the failure, never request headers or bodies (they carry keys and tokens).
    console.error(
      JSON.stringify({
        msg: "unhandled error",
        requestId,
        method: c.req.method,
        path: c.req.path,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      }),
    );
    if (error instanceof ConfigError) {
      return c.json({ error: error.message, request_id: requestId }, 500);
    }
    return c.json({ error: "Internal server error", request_id: requestId }, 500);
  });

  return app;
}
