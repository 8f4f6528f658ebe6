/**
 * Diagnostic only (bench/support/redirect-ablation.ts): the bare 302 Worker plus the two HMACs a
 * desktop click computes (src/lib/crypto.ts's hmacHex over messages shaped like the aid's and the
 * IP hash's), to price them alone.
 */
import { hmacHex } from "../../../src/lib/crypto";

const SECRET = "bench-ip-hash-secret-0123456789";
const APPSPACE = "0b8c1b5e-4f1e-4a57-9d0a-3f1f0f0f0f0f";

export default {
  async fetch(request) {
    const ip = request.headers.get("cf-connecting-ip") ?? "";
    const aid = await hmacHex(SECRET, `aid|v1|${APPSPACE}|ABCDEFGHJK|${Date.now().toString(36)}|abcdefghijklmnop`);
    const ipHash = await hmacHex(SECRET, `ip|${APPSPACE}|${ip}`);
    return new Response(null, {
      status: 302,
      headers: { location: `https://example.com/?aid=${aid.slice(0, 32)}`, etag: ipHash.slice(0, 8) },
    });
  },
};
