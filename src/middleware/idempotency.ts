import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { type ClaimObservation, claimKey, finishKey, releaseKey } from "../db/idempotency";
import { seal, sha256Hex, unseal } from "../lib/crypto";
import { ApiError, badRequest, conflict } from "../lib/errors";
import { log } from "../lib/log";
import type { AppEnv } from "../types";

/**
 * `Idempotency-Key` on state-changing POSTs (the Stripe model). Written here rather than taken
 * from a library: the maintained ones (@node-idempotency, express-idempotency) target Node/Express
 * with Redis or memory stores; none claims a key in one Postgres round trip over Neon's HTTP
 * driver, which is what makes concurrent retries execute once.
 *
 * - same key, same request, within 24 h → the stored response again, with `Idempotent-Replayed: true`
 * - same key, another request (method, path or body bytes differ) → 422
 * - same key while the first request still runs → 409 (retry later)
 * - a 5xx or an exception stores nothing and frees the key, so a retry runs again
 * - a runner that died leaves its key locked for `LOCK_SECONDS`; then the same request takes it over
 *
 * Stored responses can hold what is shown only once (API keys, webhook and identity secrets), so
 * their bodies are sealed at rest (AES-GCM under a key derived from IP_HASH_SECRET, bound to the
 * scope and key): a read of the table or a backup doesn't reveal them.
 */

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
/** How long a stored response is replayed (then the cron prunes it: it may contain secrets). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/**
 * How long a running request holds its key. Longer than any request here takes (a few database
 * round trips); after it, the runner is presumed dead and a retry may run the request again.
 */
export const IDEMPOTENCY_LOCK_SECONDS = 60;

const SEAL_PURPOSE = "idempotency-response";
const sealContext = (scope: string, key: string) => `${scope}\n${key}`;

/** 1–255 printable ASCII characters (a UUID is the usual choice). */
const KEY_FORMAT = /^[\x20-\x7e]{1,255}$/;
/** Response headers that belong to the answer itself and are replayed with it. */
const STORED_HEADERS = ["content-type", "location", "retry-after"];

export type ClaimDecision =
  | { kind: "run"; fence: string }
  | { kind: "replay"; status: number; headers: Record<string, string>; body: string }
  | { kind: "mismatch" }
  | { kind: "in_progress" };

/** What the claim observed, named. */
export function decideClaim(observed: ClaimObservation, requestHash: string): ClaimDecision {
  if (observed.fence) return { kind: "run", fence: observed.fence };
  const record = observed.record;
  // No row: its runner failed and released the key between our two statements; retrying runs it.
  if (!record) return { kind: "in_progress" };
  if (record.requestHash !== requestHash) return { kind: "mismatch" };
  if (record.status === "done" && record.responseStatus !== null) {
    return {
      kind: "replay",
      status: record.responseStatus,
      headers: record.responseHeaders ?? {},
      body: record.responseBody ?? "",
    };
  }
  return { kind: "in_progress" };
}

/**
 * Which responses are the operation's answer and are kept: 2xx and 4xx. Not 5xx (the key is freed
 * so a retry can succeed), nor 401/403/429, which say the request was not allowed to run at all
 * (with another key, or later, the same request may be).
 */
export const isStoredStatus = (status: number) =>
  status >= 200 && status < 500 && status !== 401 && status !== 403 && status !== 429;

function logFailure(c: Context<AppEnv>, msg: string, error: unknown) {
  // Never the key, body or response: responses carry API keys and webhook secrets (and `log`
  // describes a database error without the statement's parameters, which hold the response).
  log.error(msg, { requestId: c.var.requestId, route: c.req.routePath, error });
}

/**
 * Mount after authentication (the scope comes from the caller) and before the handlers. Other
 * methods ignore the header: GET, PATCH and DELETE are idempotent by themselves — except a GET
 * that changes state, which a router opts in with `statefulGet` (GET /api/deferred/claim, a claim
 * by Tolinku's contract).
 */
export function idempotency(
  scopeOf: (c: Context<AppEnv>) => string | Promise<string>,
  { statefulGet = false }: { statefulGet?: boolean } = {},
) {
  return createMiddleware<AppEnv>(async function idempotency(c, next) {
    const key = c.req.header(IDEMPOTENCY_HEADER);
    const method = c.req.method;
    if (!(method === "POST" || (statefulGet && method === "GET")) || key === undefined) {
      await next();
      return;
    }
    if (!KEY_FORMAT.test(key)) {
      throw badRequest(`${IDEMPOTENCY_HEADER} must be 1–255 printable ASCII characters`, {
        field: IDEMPOTENCY_HEADER,
      });
    }
    // The body's exact bytes (as text; Hono caches it, so the handler's validator reads it again):
    // a retry must resend the same request, not merely an equivalent one.
    const url = new URL(c.req.url);
    const requestHash = await sha256Hex(
      `${method} ${url.pathname}${url.search}\n${method === "GET" ? "" : await c.req.text()}`,
    );
    const scope = await scopeOf(c);
    const db = c.var.db;
    const decision = decideClaim(
      await claimKey(db, {
        scope,
        key,
        requestHash,
        lockSeconds: IDEMPOTENCY_LOCK_SECONDS,
        ttlSeconds: IDEMPOTENCY_TTL_SECONDS,
      }),
      requestHash,
    );
    switch (decision.kind) {
      case "mismatch":
        throw new ApiError(422, `${IDEMPOTENCY_HEADER} reused with a different request`, {
          field: IDEMPOTENCY_HEADER,
        });
      case "in_progress":
        throw conflict(`A request with this ${IDEMPOTENCY_HEADER} is in progress`, {
          code: "idempotency_key_in_progress",
        });
      case "replay": {
        const body = await unseal(c.var.config.ipHashSecret, SEAL_PURPOSE, sealContext(scope, key), decision.body);
        // Sealed under another IP_HASH_SECRET (it was rotated since): the answer is gone, and
        // running the request again could do it twice.
        if (body === null) {
          throw conflict(`The response stored for this ${IDEMPOTENCY_HEADER} can no longer be read; use a new key`);
        }
        return new Response(body, {
          status: decision.status,
          headers: { ...decision.headers, "idempotent-replayed": "true" },
        });
      }
      case "run":
        break;
    }
    const claimed = { scope, key, fence: decision.fence };
    let stored = false;
    try {
      await next();
      // Thrown ApiErrors have already become c.res (the app's error handler runs inside next()).
      if (isStoredStatus(c.res.status) && !c.get("transientAnswer")) {
        const headers: Record<string, string> = {};
        for (const name of STORED_HEADERS) {
          const value = c.res.headers.get(name);
          if (value !== null) headers[name] = value;
        }
        const body = await seal(
          c.var.config.ipHashSecret,
          SEAL_PURPOSE,
          sealContext(scope, key),
          await c.res.clone().text(),
        );
        stored = true;
        // If this write fails the response still stands (the work is done); the key stays locked
        // (retries get 409) until LOCK_SECONDS pass, then a retry runs the request again.
        await finishKey(db, { ...claimed, status: c.res.status, headers, body }).catch((error: unknown) =>
          logFailure(c, "idempotency: storing the response failed", error),
        );
      }
    } finally {
      if (!stored) {
        await releaseKey(db, claimed).catch((error: unknown) =>
          logFailure(c, "idempotency: releasing the key failed", error),
        );
      }
    }
  });
}

/** Referral API: keys are per appspace (every key of one appspace shares them). */
export const appspaceIdempotency = (options: { statefulGet?: boolean } = {}) =>
  idempotency((c) => `appspace:${c.var.caller.appspace.id}`, options);

/** Admin API: keys are per admin token (a hash, never the token); rotating the token starts afresh. */
export const adminIdempotency = () => idempotency(async (c) => `admin:${await sha256Hex(c.var.config.adminToken)}`);

/** Where POSTs take an Idempotency-Key: the /v1/ APIs and the apps' first-launch claims. */
export const IDEMPOTENT_PREFIXES = ["/v1/", "/api/deferred/"] as const;
/** The GETs that change state and take one too. */
export const IDEMPOTENT_GETS = ["/api/deferred/claim"] as const;

/**
 * Documents the header on every POST under `IDEMPOTENT_PREFIXES` and the `IDEMPOTENT_GETS` (one
 * shared parameter). Call once the routers are mounted; it rewrites only the document's route
 * entries, not the routes' validators.
 */
export function documentIdempotencyKey(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent("parameters", "IdempotencyKey", {
    name: IDEMPOTENCY_HEADER,
    in: "header",
    required: false,
    schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x20-\\x7e]+$" },
    description:
      "Makes a retry safe: the same key with the same request (method, path with query, and body bytes) within 24 h replays the first response, with `Idempotent-Replayed: true`; the same key with another request → 422; while the first request runs → 409. 5xx responses are not stored. Keys are per appspace (per admin token on admin routes).",
  });
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== "route") continue;
    const { route } = definition;
    const post = route.method === "post" && IDEMPOTENT_PREFIXES.some((prefix) => route.path.startsWith(prefix));
    const statefulGet = route.method === "get" && (IDEMPOTENT_GETS as readonly string[]).includes(route.path);
    if (!post && !statefulGet) continue;
    // `parameters` is typed as a union of OpenAPI 3.0/3.1 arrays; a $ref belongs to each of them.
    const parameters = [...(route.parameters ?? []), { $ref: "#/components/parameters/IdempotencyKey" }];
    definition.route = { ...route, parameters: parameters as typeof route.parameters };
  }
}
