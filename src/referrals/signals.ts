import { hmacHex } from "../lib/crypto";

/**
 * Fraud signals (IP, device id) are kept only as keyed hashes, scoped to the appspace: equal
 * inputs compare equal within one tenant, nothing can be reversed, and tenants can't be
 * correlated with each other.
 */
export function hashSignal(
  secret: string,
  kind: "ip" | "device" | "fingerprint",
  appspaceId: string,
  value: string | null | undefined,
): Promise<string | null> {
  const v = value?.trim();
  if (!v) return Promise.resolve(null);
  return hmacHex(secret, `${kind}|${appspaceId}|${v.toLowerCase()}`);
}
