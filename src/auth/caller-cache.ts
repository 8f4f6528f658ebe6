import type { ApiCaller } from "../types";

/**
 * Verified keys, per isolate, for a few seconds: an API call then costs one database round
 * trip (its own operation) instead of two. Revocations and settings changes made through this
 * isolate drop entries at once; other isolates see them within CALLER_CACHE_TTL_MS.
 */
export const CALLER_CACHE_TTL_MS = 10_000;
const MAX_ENTRIES = 5_000;

const entries = new Map<string, { caller: ApiCaller; expiresAt: number }>();

export function getCachedCaller(keyHash: string, now = Date.now()): ApiCaller | undefined {
  const entry = entries.get(keyHash);
  if (!entry) return undefined;
  if (entry.expiresAt <= now) {
    entries.delete(keyHash);
    return undefined;
  }
  return entry.caller;
}

export function cacheCaller(keyHash: string, caller: ApiCaller, now = Date.now()): void {
  if (entries.size >= MAX_ENTRIES) {
    const oldest = entries.keys().next().value;
    if (oldest !== undefined) entries.delete(oldest);
  }
  entries.set(keyHash, { caller, expiresAt: now + CALLER_CACHE_TTL_MS });
}

export function forgetKey(keyHash: string): void {
  entries.delete(keyHash);
}

export function forgetAppspace(appspaceId: string): void {
  for (const [hash, entry] of entries) {
    if (entry.caller.appspace.id === appspaceId) entries.delete(hash);
  }
}
