import { BASE64URL, hmacHex, randomString, timingSafeEqualStrings } from "../lib/crypto";

/**
 * Deferred-link tokens are minted by /ref/:code and authenticated, so /ref/:code/continue can only
 * record a click that really happened: a page elsewhere can't plant a record with a token of its
 * own choosing. The MAC covers the token's random part, the issue time, the code, the appspace
 * and the client that asked for the page (its IPv4 address or IPv6 /64, as the rate limits key
 * it; not in the token itself): a token fetched by an attacker's server can't be planted in
 * someone else's browser either, even one that sends no Fetch Metadata. A token is accepted for
 * CONTINUE_TOKEN_TTL_MS after its issue (time to read the interstitial).
 *
 *   token = <nonce: 22 base64url chars (132 bits)> "." <issued: epoch seconds, base 36> "." <mac: 32 hex>
 *
 * The same token travels in the Play Store referrer and keys the claim (deferred_claims), so it is
 * kept URL-safe and under 64 characters.
 */
export const CONTINUE_TOKEN_TTL_MS = 15 * 60_000;
const TOKEN = /^([A-Za-z0-9_-]{22})\.([0-9a-z]{1,10})\.([0-9a-f]{32})$/;

interface Bound {
  appspaceId: string;
  code: string;
  /** `clientKey(ip)` of the request (src/services/rate-limiter.ts). */
  client: string;
  now: number;
}

const mac = (secret: string, p: Omit<Bound, "now"> & { nonce: string; issued: string }) =>
  hmacHex(secret, `continue-token|v2|${p.appspaceId}|${p.code}|${p.client}|${p.nonce}|${p.issued}`).then((h) =>
    h.slice(0, 32),
  );

/** 22 base64url characters: 132 random bits (one character per random byte: no base64 pass). */
const nonce = () => randomString(BASE64URL, 22);

export async function mintToken(secret: string, p: Bound): Promise<string> {
  const n = nonce();
  const issued = Math.floor(p.now / 1000).toString(36);
  return `${n}.${issued}.${await mac(secret, { ...p, nonce: n, issued })}`;
}

export type TokenCheck = "valid" | "malformed" | "forged" | "expired";

export async function checkToken(secret: string, token: string, p: Bound): Promise<TokenCheck> {
  const m = TOKEN.exec(token);
  if (!m) return "malformed";
  const [, n = "", issued = "", given = ""] = m;
  const expected = await mac(secret, { ...p, nonce: n, issued });
  if (!timingSafeEqualStrings(expected, given)) return "forged";
  const age = p.now - Number.parseInt(issued, 36) * 1000;
  // A little clock skew between isolates is fine; a token from the future is not.
  return age < -60_000 || age > CONTINUE_TOKEN_TTL_MS ? "expired" : "valid";
}

/**
 * Fetch Metadata: /continue is reached by a top-level navigation from our own page (the iOS page's
 * script or <noscript> refresh, the interstitial's button). When the browser says the request is
 * something else — an <img>, a no-cors fetch, a navigation started by another site — refuse it.
 * Browsers without these headers (older Safari) are let through; the signed token still holds.
 */
export function isOwnNavigation(headers: { dest?: string; site?: string }): boolean {
  if (headers.dest !== undefined && headers.dest !== "document") return false;
  if (headers.site === "cross-site") return false;
  return true;
}
