import { randomString, sha256Hex } from "../lib/crypto";

export type KeyType = "publishable" | "secret";

const KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** 40 base62 characters ≈ 238 bits of entropy. */
const KEY_LENGTH = 40;

export const KEY_PREFIX: Record<KeyType, string> = { publishable: "pk_", secret: "sk_" };

export function generateKey(type: KeyType): string {
  return KEY_PREFIX[type] + randomString(KEY_ALPHABET, KEY_LENGTH);
}

/**
 * Keys are stored only as SHA-256. A fast hash is right here (unlike passwords): keys carry
 * ~238 random bits, so there is nothing to brute-force, and the lookup stays one index probe.
 */
export const hashKey = (key: string) => sha256Hex(key);

export function keyTypeOf(key: string): KeyType | null {
  if (key.startsWith("pk_")) return "publishable";
  if (key.startsWith("sk_")) return "secret";
  return null;
}

/** What listings show of a key: its prefix and first characters. */
export const keyStart = (key: string) => key.slice(0, 8);
