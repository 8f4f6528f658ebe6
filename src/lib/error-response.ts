import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ConfigError } from "../config";
import { isPgDataException } from "../db/errors";
import type { AppEnv } from "../types";
import { ApiError, DATA_EXCEPTION_MESSAGE } from "./errors";
import { log } from "./log";

/**
 * The one error contract, on every error the Worker answers in JSON (API, admin, deferred links,
 * link-domain JSON files, rate limits, body limits, unknown paths, crashes):
 *
 *   { "error": "<the seed's message>", "code": "<stable, machine-readable>", "request_id": "…", …extra }
 *
 * `error` stays what the seed documents (clients compare it today); `code` is what programs
 * should branch on (an enum, documented in OpenAPI); `request_id` is also the `X-Request-Id`
 * header and is in our log lines, so support can find the request. Extra fields say more:
 * `field` (a 400's bad field), `reason` (an abuse refusal), `domain`.
 */
export const ERROR_CODES = [
  "invalid_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "conflict",
  "domain_taken",
  "idempotency_key_in_progress",
  "payload_too_large",
  "unsupported_media_type",
  "idempotency_key_reused",
  "rate_limited",
  "internal_error",
  "server_misconfigured",
  "unavailable",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: "invalid_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "idempotency_key_reused",
  429: "rate_limited",
  500: "internal_error",
  503: "unavailable",
};

export const errorCodeFor = (status: number): ErrorCode =>
  BY_STATUS[status] ?? (status >= 500 ? "internal_error" : "invalid_request");

/**
 * This request's id: the one hono's requestId middleware set (it is also the X-Request-Id
 * header), else one made now — the link domain skips that middleware on its hot path.
 */
export function requestIdOf(c: Context<AppEnv>): string {
  let id = c.get("requestId") as string | undefined;
  if (!id) {
    id = crypto.randomUUID();
    c.set("requestId", id);
    c.header("x-request-id", id);
  }
  return id;
}

/** The error body for `status`; `extra.code` (a more specific ErrorCode) replaces the status's. */
export function errorBody(status: number, message: string, requestId: string, extra: Record<string, unknown> = {}) {
  const { code, ...rest } = extra;
  return {
    error: message,
    code: (code as ErrorCode | undefined) ?? errorCodeFor(status),
    request_id: requestId,
    ...rest,
  };
}

export function errorJson(
  c: Context<AppEnv>,
  status: ContentfulStatusCode,
  message: string,
  extra?: Record<string, unknown>,
  headers?: Record<string, string>,
) {
  return c.json(errorBody(status, message, requestIdOf(c), extra), status, headers);
}

/** The app's error handler (app.onError): every thrown error becomes the contract above. */
export function handleError(error: Error, c: Context<AppEnv>) {
  if (error instanceof ApiError) return errorJson(c, error.status, error.message, error.extra);
  if (error instanceof HTTPException) {
    // The JSON validator's 415 says only "Unsupported Media Type": say what to send.
    const message =
      error.status === 415
        ? "Request body must be JSON: send Content-Type: application/json"
        : error.message || "Bad request";
    return errorJson(c, error.status, message);
  }
  const requestId = requestIdOf(c);
  // Never request headers or bodies (they carry keys and tokens), never the concrete path (user
  // ids and codes): the route pattern. `describeError` keeps SQL parameters out.
  const where = { requestId, method: c.req.method, route: c.req.routePath };
  if (isPgDataException(error)) {
    log.warn("value rejected by the database", { ...where, error });
    return errorJson(c, 400, DATA_EXCEPTION_MESSAGE);
  }
  log.error("unhandled error", { ...where, error });
  if (error instanceof ConfigError) return errorJson(c, 500, error.message, { code: "server_misconfigured" });
  return errorJson(c, 500, "Internal server error");
}

/** Unknown paths. */
export const notFoundJson = (c: Context<AppEnv>) => errorJson(c, 404, `Not found: ${c.req.method} ${c.req.path}`);
