import { hmacHex, timingSafeEqualStrings } from "../lib/crypto";

/**
 * Unsubscribe tokens: the user's id and a MAC over it, so the link in an email unsubscribes that
 * user (of that appspace: user ids are per appspace) and no one else, and a forged or guessed
 * token is refused without a database read. They don't expire: an unsubscribe link in an old
 * email must keep working (RFC 8058 asks for that too).
 *
 *   token = <user id: lower-case UUID> "." <mac: 32 hex (128 bits)>
 *
 * The MAC key is derived from IP_HASH_SECRET for this purpose alone: no other HMAC the Worker
 * computes with that secret (IP hashes, continue tokens, AIDs) can stand in for one of these.
 */
const PURPOSE = "edgeref:unsubscribe-token:v1";
const TOKEN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([0-9a-f]{32})$/;

// The derived key per secret (an isolate sees one): resolved values only, as in src/lib/crypto.ts.
const derivedKeys = new Map<string, string>();

async function derivedKey(secret: string): Promise<string> {
  let key = derivedKeys.get(secret);
  if (!key) {
    key = await hmacHex(secret, PURPOSE);
    derivedKeys.set(secret, key);
  }
  return key;
}

const mac = async (secret: string, userId: string) =>
  (await hmacHex(await derivedKey(secret), `user|${userId}`)).slice(0, 32);

export async function unsubscribeToken(secret: string, userId: string): Promise<string> {
  const id = userId.toLowerCase();
  return `${id}.${await mac(secret, id)}`;
}

/** The user id a token was minted for, or null when it is malformed or forged. */
export async function checkUnsubscribeToken(secret: string, token: string): Promise<string | null> {
  const m = TOKEN.exec(token);
  if (!m) return null;
  const [, userId = "", given = ""] = m;
  return timingSafeEqualStrings(await mac(secret, userId), given) ? userId : null;
}

/** `https://<the appspace's first domain>/unsubscribe/<token>`, or under PUBLIC_BASE_URL without one. */
export function unsubscribeUrl(base: string, token: string): string {
  return `${base}/unsubscribe/${token}`;
}
