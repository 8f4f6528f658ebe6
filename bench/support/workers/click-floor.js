/**
 * Diagnostic only (bench/support/redirect-ablation.ts): the floor of a click that keeps every
 * default — the work /ref/:code must do per click, written flat with the product's own building
 * blocks and none of its structure (no config, no link lookup, no Visit, no route decision):
 *
 * - classify the User-Agent for routing (OS, in-app browser, crawler: src/links/device.ts);
 * - one rate-limit call on the click limiter (the IP as key);
 * - desktop: a signed aid (16-char nonce + HMAC) on the landing URL; Android: a signed continue
 *   token (src/links/continue-token.ts) in the Play Store referrer;
 * - the redirect's four security headers (src/lib/security-headers.ts);
 * - off the response path: `request.cf` (country, city, timezone), the keyed IP hash (HMAC), a
 *   click id, and the click queued through the product's batching (src/services/clicks.ts), with
 *   the Android deferred record riding along.
 *
 * Its ratio against the bare 302 is the most a product that keeps these defaults can reach on
 * this harness; the product's distance from it is what its structure costs. `BENCH_ABLATE`
 * (comma-separated) takes out the two services Miniflare hosts inside the Worker's own workerd
 * (on Cloudflare they run elsewhere): `limiter` skips the limit call, `queue` builds the click
 * message but doesn't queue it.
 */
import { BASE64URL, hmacHex, randomString } from "../../../src/lib/crypto";
import { REDIRECT_HEADERS } from "../../../src/lib/security-headers";
import { mintToken } from "../../../src/links/continue-token";
import { classifyForRouting } from "../../../src/links/device";
import { queueClick } from "../../../src/services/clicks";

const SECRET = "bench-ip-hash-secret-0123456789";
const APPSPACE = "0b8c1b5e-4f1e-4a57-9d0a-3f1f0f0f0f0f";
const CODE = "ABCDEFGHJK";
const WEB = "https://example.com/";
const PLAY = "https://play.google.com/store/apps/details?id=com.example.app&referrer=tolk_token%3D";

export default {
  async fetch(request, env, ctx) {
    const ip = request.headers.get("cf-connecting-ip") ?? "unknown";
    const userAgent = request.headers.get("user-agent") ?? "";
    const ua = classifyForRouting(userAgent);
    const skip = String(env.BENCH_ABLATE ?? "").split(",");
    const { success } = skip.includes("limiter")
      ? { success: true }
      : await env.CLICK_LIMITER.limit({ key: `clicks:${ip}` });
    if (!success) return new Response("Too many requests", { status: 429 });
    const now = Date.now();
    const issued = Math.floor(now / 1000).toString(36);
    let location;
    let token = null;
    let aid = null;
    if (ua.os === "android") {
      token = await mintToken(SECRET, { appspaceId: APPSPACE, code: CODE, client: ip, now });
      location = `${PLAY}${token}`;
    } else {
      const nonce = randomString(BASE64URL, 16);
      const mac = await hmacHex(SECRET, `aid|v1|${APPSPACE}|${CODE}|${issued}|${nonce}`);
      aid = `${CODE}.${issued}.${nonce}.${mac.slice(0, 32)}`;
      location = `${WEB}?aid=${aid}`;
    }
    ctx.waitUntil(
      (async () => {
        const cf = request.cf;
        const ipHash = await hmacHex(SECRET, `ip|${APPSPACE}|${ip}`);
        const message = {
          id: crypto.randomUUID(),
          appspaceId: APPSPACE,
          code: CODE,
          clickedAt: new Date(now).toISOString(),
          route: token ? "play_store" : "fallback",
          token,
          userAgent: userAgent.slice(0, 512),
          ipHash,
          country: cf?.country ?? null,
          city: cf?.city ?? null,
          utm: {},
          refererHost: null,
          aid,
          ...(token
            ? {
                deferred: {
                  token,
                  appspaceId: APPSPACE,
                  code: CODE,
                  path: `/ref/${CODE}`,
                  ipHash,
                  fingerprint: "",
                  os: ua.os,
                  signals: {
                    timezone: cf?.timezone ?? null,
                    language: null,
                    screenWidth: null,
                    screenHeight: null,
                    safariVersion: ua.safariVersion,
                  },
                  source: "headers",
                  clickedAt: now,
                },
              }
            : {}),
        };
        if (!skip.includes("queue")) await queueClick(env.CLICKS, message);
      })(),
    );
    return new Response(null, { status: 302, headers: { ...REDIRECT_HEADERS, location } });
  },
};
