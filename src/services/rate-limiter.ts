import type { Context } from "hono";
import ipaddr from "ipaddr.js";
import { errorJson } from "../lib/error-response";
import { SECURITY_HEADERS } from "../lib/security-headers";
import type { RateLimitBindingName, RateLimitPolicy } from "../ratelimit/policies";
import type { AppEnv } from "../types";

export type RateLimitBindings = Record<RateLimitBindingName, RateLimit>;

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4_CANONICAL = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/**
 * The client part of a rate-limit key: an IPv4 address as is, an IPv6 address by its /64 (one
 * subscriber usually holds a whole /64, so per-address keys would be free to rotate).
 */
export function clientKey(ip: string | undefined | null): string {
  // Most clients: a dotted quad already in canonical form (no leading zeros), which ipaddr.js would
  // return unchanged after parsing it twice (~15 µs of a click).
  if (ip && IPV4_CANONICAL.test(ip)) return ip;
  const raw = ip?.trim();
  if (!raw || !ipaddr.isValid(raw)) return "unknown";
  const address = ipaddr.parse(raw);
  if (address.kind() === "ipv4") return address.toString();
  const v6 = address as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  return `${v6.parts
    .slice(0, 4)
    .map((p) => p.toString(16))
    .join(":")}::/64`;
}

/**
 * One counted request against `policy` for `key`; true when it is within the limit. A limiter
 * that fails (it should not) lets the request through: rate limiting is a cost control, not the
 * arbiter of anything that must happen once.
 */
export async function withinLimit(bindings: RateLimitBindings, policy: RateLimitPolicy, key: string): Promise<boolean> {
  try {
    const { success } = await bindings[policy.binding].limit({ key: `${policy.name}:${key}` });
    return success;
  } catch {
    return true;
  }
}

/**
 * The 429's headers. Cloudflare's limiter reports no remaining count or reset time, so the one
 * truthful bound is the window itself: after `periodSeconds` the count has started over.
 * RateLimit / RateLimit-Policy follow draft-ietf-httpapi-ratelimit-headers (structured fields).
 */
export function rateLimitHeaders(policy: RateLimitPolicy): Record<string, string> {
  const w = String(policy.periodSeconds);
  return {
    "retry-after": w,
    "ratelimit-policy": `"${policy.name}";q=${policy.limit};w=${w}`,
    ratelimit: `"${policy.name}";r=0;t=${w}`,
    "cache-control": "no-store",
  };
}

export function rateLimitMessage(policy: RateLimitPolicy): string {
  return `Too many requests: at most ${policy.limit} per ${policy.periodSeconds} s per ${policy.per}; retry after ${policy.periodSeconds} s`;
}

/** A JSON 429 in the one error shape. */
export function rateLimitedJson(c: Context<AppEnv>, policy: RateLimitPolicy): Response {
  return errorJson(c, 429, rateLimitMessage(policy), {}, rateLimitHeaders(policy));
}

/** A plain-text 429 for the link domain (people and crawlers, not API clients). */
export function rateLimitedText(policy: RateLimitPolicy): Response {
  return new Response("Too many requests", {
    status: 429,
    headers: { ...SECURITY_HEADERS, "content-type": "text/plain; charset=UTF-8", ...rateLimitHeaders(policy) },
  });
}
