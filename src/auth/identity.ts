import { hmacHex, randomString, timingSafeEqualStrings } from "../lib/crypto";

/**
 * Identity verification for client-side creates (as Intercom's identity verification does): a
 * publishable key ships in apps, so a `user_id` it sends is only a claim. When an appspace sets
 * `require_user_hash`, the customer's backend computes
 *
 *   user_hash = hex(HMAC-SHA256(identity_secret, user_id))
 *
 * and hands it to its own signed-in user; a create without a valid one is refused (401).
 */
const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export const generateIdentitySecret = () => `idsec_${randomString(SECRET_ALPHABET, 40)}`;

export async function userHashMatches(secret: string, userId: string, given: string): Promise<boolean> {
  const expected = await hmacHex(secret, userId);
  return timingSafeEqualStrings(expected, given.toLowerCase());
}
