import { createMiddleware } from "hono/factory";
import { readSettings } from "../appspaces/settings";
import { cacheCaller, getCachedCaller } from "../auth/caller-cache";
import { hashKey, keyTypeOf } from "../auth/keys";
import { findActiveKey } from "../db/appspaces";
import { sha256Hex, timingSafeEqualStrings } from "../lib/crypto";
import { forbidden, unauthorized } from "../lib/errors";
import type { AppEnv } from "../types";

function bearer(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/** Admin API: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
export function adminAuth() {
  return createMiddleware<AppEnv>(async function adminAuth(c, next) {
    const token = bearer(c.req.header("authorization"));
    if (!token) throw unauthorized("Missing admin token: send Authorization: Bearer <ADMIN_TOKEN>");
    // Hash both sides first so the comparison is over equal lengths and leaks nothing.
    const [given, expected] = await Promise.all([sha256Hex(token), sha256Hex(c.var.config.adminToken)]);
    if (!timingSafeEqualStrings(given, expected)) throw unauthorized("Invalid admin token");
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
    if (!key) throw unauthorized("Missing API key: send Authorization: Bearer <key> or X-API-Key: <key>");
    if (!keyTypeOf(key) || key.length > 200) throw unauthorized("Invalid API key");
    const keyHash = await hashKey(key);
    let caller = getCachedCaller(keyHash);
    if (!caller) {
      const row = await findActiveKey(c.var.db, keyHash);
      if (!row || !timingSafeEqualStrings(row.keyHash, keyHash)) throw unauthorized("Invalid API key");
      caller = {
        keyId: row.keyId,
        keyType: row.keyType,
        appspace: { ...row.appspace, settings: readSettings(row.appspace.settings) },
      };
      cacheCaller(keyHash, caller);
    }
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
