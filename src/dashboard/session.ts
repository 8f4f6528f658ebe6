import { hmacHex, sha256Hex, timingSafeEqualStrings } from "../lib/crypto";

/**
 * Dashboard sessions: a signed cookie, no session table. Hand-written because what it signs is
 * ours (which key or admin token it stands for, which appspace is open) and the primitives are
 * one HMAC; a session library would add a store we don't want at the edge.
 *
 *   value = base64url(JSON payload) "." mac (HMAC-SHA256, 64 hex)
 *
 * The MAC key is derived from IP_HASH_SECRET for this purpose alone. A session names the API key
 * it was opened with (`sub`), and every request checks that key is still active, so revoking the
 * key ends its sessions at once; an admin session names a fingerprint of ADMIN_TOKEN, so rotating
 * the token ends those. The CSRF token is a MAC of the session's nonce: it changes with every
 * sign-in and can't be computed without the server's secret.
 */

export const SESSION_COOKIE = "edgeref_session";
export const SESSION_TTL_SECONDS = 8 * 3600;

const PURPOSE = "edgeref:dashboard-session:v1";

export interface Session {
  /** `key`: opened with a secret key; `admin`: with ADMIN_TOKEN (may switch appspaces). */
  kind: "key" | "admin";
  /** The API key's id, or the admin token's fingerprint. */
  sub: string;
  /** The appspace the dashboard shows (an admin session may have none picked yet). */
  appspace: string | null;
  /** Expiry, seconds since the epoch. */
  exp: number;
  nonce: string;
}

const derived = new Map<string, string>();
async function macKey(secret: string): Promise<string> {
  let key = derived.get(secret);
  if (!key) {
    key = await hmacHex(secret, PURPOSE);
    derived.set(secret, key);
  }
  return key;
}

const toBase64Url = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

function fromBase64Url(text: string): string | null {
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(binary, (ch) => ch.charCodeAt(0)),
    );
  } catch {
    return null;
  }
}

export async function signSession(secret: string, session: Session): Promise<string> {
  const payload = toBase64Url(JSON.stringify(session));
  return `${payload}.${await hmacHex(await macKey(secret), `session|${payload}`)}`;
}

/** The session a cookie carries, or null when it is malformed, forged or expired. */
export async function readSession(
  secret: string,
  value: string | undefined,
  now = Date.now(),
): Promise<Session | null> {
  if (!value || value.length > 2048) return null;
  const dot = value.lastIndexOf(".");
  if (dot < 1) return null;
  const payload = value.slice(0, dot);
  const given = value.slice(dot + 1);
  if (!timingSafeEqualStrings(await hmacHex(await macKey(secret), `session|${payload}`), given)) return null;
  const json = fromBase64Url(payload);
  if (json === null) return null;
  try {
    const s = JSON.parse(json) as Session;
    if ((s.kind !== "key" && s.kind !== "admin") || typeof s.sub !== "string" || typeof s.nonce !== "string")
      return null;
    if (typeof s.exp !== "number" || s.exp * 1000 <= now) return null;
    return s;
  } catch {
    return null;
  }
}

export function newSession(p: Pick<Session, "kind" | "sub" | "appspace">, now = Date.now()): Session {
  const nonce = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  return { ...p, exp: Math.floor(now / 1000) + SESSION_TTL_SECONDS, nonce };
}

export async function csrfToken(secret: string, session: Session): Promise<string> {
  return (await hmacHex(await macKey(secret), `csrf|${session.nonce}`)).slice(0, 32);
}

export async function csrfMatches(secret: string, session: Session, given: unknown): Promise<boolean> {
  return typeof given === "string" && timingSafeEqualStrings(await csrfToken(secret, session), given);
}

/** What an admin session names instead of a key id: changes when ADMIN_TOKEN does. */
export async function adminFingerprint(adminToken: string): Promise<string> {
  return `admin:${(await sha256Hex(`${PURPOSE}|${adminToken}`)).slice(0, 32)}`;
}
