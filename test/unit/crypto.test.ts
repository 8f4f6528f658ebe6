import { describe, expect, it } from "vitest";
import { hmacHex } from "../../src/lib/crypto";

/** hmacHex runs HMAC-SHA256 in JS (@noble/hashes) for speed: it must be exactly WebCrypto's. */
describe("hmacHex", () => {
  const webCrypto = async (secret: string, value: string) => {
    const enc = new TextEncoder();
    const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(value)));
    return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
  };

  it("equals WebCrypto's HMAC-SHA256 for short, long, unicode and empty inputs, per secret", async () => {
    const secrets = ["test-ip-hash-secret-0123456789", "x".repeat(100), "ünïcødé-sëcret-🔑"];
    const values = ["", "203.0.113.7", "aid|v1|a|ABCDEFGHJK|lz3k9a|nonce", "é🙂".repeat(50), "y".repeat(5000)];
    for (const secret of secrets) {
      for (const value of values) {
        expect(await hmacHex(secret, value), `${secret} / ${value.slice(0, 20)}`).toBe(await webCrypto(secret, value));
      }
    }
  });

  it("matches RFC 4231 test case 2", async () => {
    expect(await hmacHex("Jefe", "what do ya want for nothing?")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });
});
