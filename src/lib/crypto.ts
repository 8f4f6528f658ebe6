import { type _HMAC, hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

const encoder = new TextEncoder();

function toHex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sha256Hex(value: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
}

/**
 * HMAC-SHA256 in JavaScript (@noble/hashes, audited, dependency-free) rather than WebCrypto: for
 * the short messages signed here it costs ~7 µs where `crypto.subtle.sign` costs ~70 µs (its
 * promise round trip dominates), and it runs on the /ref hot path (deferred tokens, aids) and for
 * every stored IP hash. Same algorithm, same output: a test compares the two.
 *
 * One keyed instance per secret (an isolate sees one or two) and one scratch instance that each
 * call resets to the keyed state with `_cloneInto` (noble's clone without allocating): `clone()`
 * builds three objects and their buffers per call, half an HMAC's cost in a profile of /ref.
 * Safe because a call runs start to finish without yielding (nothing else can use the scratch).
 */
type Hmac = _HMAC<ReturnType<typeof sha256.create>>;
interface Keyed {
  base: Hmac;
  scratch: Hmac;
  out: Uint8Array;
}
const keyed = new Map<string, Keyed>();

/** Keyed hash (HMAC-SHA256, hex) — how IPs are stored: comparable, never reversible. */
export async function hmacHex(secret: string, value: string): Promise<string> {
  let k = keyed.get(secret);
  if (!k) {
    const base: Hmac = hmac.create(sha256, encoder.encode(secret));
    k = { base, scratch: base.clone(), out: new Uint8Array(32) };
    if (keyed.size >= 8) keyed.clear();
    keyed.set(secret, k);
  }
  const { base, scratch, out } = k;
  base._cloneInto(scratch).update(encoder.encode(value)).digestInto(out);
  return bytesToHex(out);
}

/** Constant-time string comparison (workerd's `crypto.subtle.timingSafeEqual`). */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  if (left.byteLength !== right.byteLength) return false;
  return crypto.subtle.timingSafeEqual(left, right);
}

/** base64url's 64 characters: `randomString(BASE64URL, n)` is n × 6 random bits, URL-safe, no padding. */
export const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * `length` characters drawn uniformly from `alphabet`, from cryptographically random bytes.
 * Rejection sampling keeps it unbiased for any alphabet size (bytes that would wrap unevenly
 * are discarded). Small enough that a dependency would not pay for itself.
 */
export function randomString(alphabet: string, length: number): string {
  if (alphabet.length < 2 || alphabet.length > 256) throw new RangeError("alphabet size");
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    // getRandomValues takes at most 64 KiB per call.
    const bytes = crypto.getRandomValues(new Uint8Array(Math.min(65_536, (length - out.length) * 2)));
    for (const byte of bytes) {
      if (byte >= limit) continue;
      out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

// Derived AES-GCM keys, per (secret, purpose); resolved keys only, as for the HMAC keys above.
const aeadKeys = new Map<string, CryptoKey>();

async function aeadKey(secret: string, purpose: string): Promise<CryptoKey> {
  const id = `${purpose}\u0000${secret}`;
  let key = aeadKeys.get(id);
  if (!key) {
    const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
    key = await crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(`edgeref:${purpose}`) },
      material,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
    aeadKeys.set(id, key);
  }
  return key;
}

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

/**
 * Encrypts `text` at rest (AES-256-GCM under a key derived from `secret` for `purpose`, a fresh
 * 96-bit IV each time). `context` is bound as associated data: a sealed value only opens in the
 * row it was written for. Output: `v1.<base64 iv>.<base64 ciphertext>`.
 */
export async function seal(secret: string, purpose: string, context: string, text: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
    await aeadKey(secret, purpose),
    encoder.encode(text),
  );
  return `v1.${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
}

/** The text `seal` sealed, or null when it can't be opened (another secret, another row, tampered). */
export async function unseal(secret: string, purpose: string, context: string, value: string): Promise<string | null> {
  const [version, iv, data] = value.split(".");
  if (version !== "v1" || !iv || !data) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64(iv), additionalData: encoder.encode(context) },
      await aeadKey(secret, purpose),
      fromBase64(data),
    );
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}
