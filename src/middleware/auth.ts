import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { readSettings } from "../appspaces/settings";
import { cacheCaller, getCachedCaller } from "../auth/caller-cache";
import { hashKey, keyTypeOf } from "../auth/keys";
import { findActiveKey } from "../db/appspaces";
import { sha256Hex, timingSafeEqualStrings } from "../lib/crypto";
import { type ApiError, forbidden, unauthorized } from "../lib/errors";
import { POLICIES } from "../ratelimit/policies";
import { clientKey, rateLimitedJson, withinLimit } from "../services/rate-limiter";
import type { AppEnv } from "../types";

function bearer(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/**
 * Clients this isolate has seen go over the failed-authentication limit, until when. Checked before
 * a key is looked up, so a guesser past the limit costs no database round trip either (a key
 * already verified and cached still works). Per isolate and bounded: a cost control, not the
 * limit itself, which AUTH_FAIL_LIMITER keeps across isolates.
 */
const blockedClients = new Map<string, number>();
const MAX_BLOCKED = 10_000;

function isBlocked(client: string, now = Date.now()): boolean {
  const until = blockedClients.get(client);
  if (until === undefined) return false;
  if (until > now) return true;
  blockedClients.delete(client);
  return false;
}

/** What the failed-authentication limit needs of a request (an API call's or a dashboard page's). */
type Caller = { env: AppEnv["Bindings"]; req: { header(name: string): string | undefined } };

/**
 * Counts a failed authentication (an API call's or a dashboard sign-in's) against the caller's IP.
 * False once past the limit: the caller is then also blocked in this isolate for the period.
 */
export async function countAuthFailure(c: Caller): Promise<boolean> {
  const client = clientKey(c.req.header("cf-connecting-ip"));
  if (await withinLimit(c.env, POLICIES.authFailures, client)) return true;
  if (blockedClients.size >= MAX_BLOCKED) blockedClients.clear();
  blockedClients.set(client, Date.now() + POLICIES.authFailures.periodSeconds * 1000);
  return false;
}

/** Whether this isolate has seen the caller go over the failed-authentication limit just now. */
export const authBlocked = (c: Caller) => isBlocked(clientKey(c.req.header("cf-connecting-ip")));

/**
 * A failed authentication counts against the caller's IP: past the limit it answers 429 instead
 * of 401, so guessing keys or the admin token costs the guesser, not us.
 */
async function failAuth(c: Context<AppEnv>, error: ApiError): Promise<Response> {
  if (!(await countAuthFailure(c))) return rateLimitedJson(c, POLICIES.authFailures);
  throw error;
}

/**
 * The authenticated caller's budget: a 429 or null. Per secret key (the admin token is one key);
 * per publishable key and client IP (`POLICIES.publishableApi` says why).
 */
async function overApiBudget(c: Context<AppEnv>, keyId: string, publishable = false): Promise<Response | null> {
  const policy = publishable ? POLICIES.publishableApi : POLICIES.api;
  const key = publishable ? `${keyId}:${clientKey(c.req.header("cf-connecting-ip"))}` : keyId;
  return (await withinLimit(c.env, policy, key)) ? null : rateLimitedJson(c, policy);
}

/** Admin API: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
export function adminAuth() {
  return createMiddleware<AppEnv>(async function adminAuth(c, next) {
    const token = bearer(c.req.header("authorization"));
    if (!token) return failAuth(c, unauthorized("Missing admin token: send Authorization: Bearer <ADMIN_TOKEN>"));
    // Hash both sides first so the comparison is over equal lengths and leaks nothing.
    const [given, expected] = await Promise.all([sha256Hex(token), sha256Hex(c.var.config.adminToken)]);
    if (!timingSafeEqualStrings(given, expected)) return failAuth(c, unauthorized("Invalid admin token"));
    const limited = await overApiBudget(c, "admin");
    if (limited) return limited;
    await next();
  });
}

/**
 * API keys: `Authorization: Bearer <key>` or `X-API-Key: <key>`. Looked up by SHA-256 (the
 * index probe can only leak timing about a hash of a ~238-bit secret), then the stored hash is
 * compared in constant time.
 */
export function apiKeyAuth() {
  return createMiddleware<AppEnv>(async function apiKeyAuth(c, next) {
    const key = bearer(c.req.header("authorization")) ?? c.req.header("x-api-key")?.trim();
    if (!key) return failAuth(c, unauthorized("Missing API key: send Authorization: Bearer <key> or X-API-Key: <key>"));
    if (!keyTypeOf(key) || key.length > 200) return failAuth(c, unauthorized("Invalid API key"));
    const keyHash = await hashKey(key);
    let caller = getCachedCaller(keyHash);
    if (!caller) {
      if (isBlocked(clientKey(c.req.header("cf-connecting-ip")))) return rateLimitedJson(c, POLICIES.authFailures);
      const row = await findActiveKey(c.var.db, keyHash);
      if (!row || !timingSafeEqualStrings(row.keyHash, keyHash)) return failAuth(c, unauthorized("Invalid API key"));
      caller = {
        keyId: row.keyId,
        keyType: row.keyType,
        appspace: { ...row.appspace, settings: readSettings(row.appspace.settings) },
      };
      cacheCaller(keyHash, caller);
    }
    const limited = await overApiBudget(c, caller.keyId, caller.keyType === "publishable");
    if (limited) return limited;
    c.set("caller", caller);
    await next();
  });
}

/**
 * Publishable keys ship inside apps, so anyone can extract them: they may only create and look
 * up referrals. Progress, rewards and listings of other users need a secret key.
 */
export function requireSecretKey() {
  return createMiddleware<AppEnv>(async function requireSecretKey(c, next) {
    if (c.var.caller.keyType !== "secret") {
      throw forbidden(
        "This endpoint requires a secret key (sk_…); publishable keys (pk_…) may only create and look up referrals",
      );
    }
    await next();
  });
}
