import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mintToken } from "../../src/links/continue-token";
import { hashSignal } from "../../src/referrals/signals";
import { deviceKey } from "../../src/services/deferred-records";
import { call } from "../support/api";
import { kvEntries, linkFixture, UA, visit, waitForToken } from "../support/links";

/**
 * Attribution can't be planted: /ref/:code/continue records only tokens /ref/:code minted (for this
 * link, recently), refuses what the browser says is not our page's own navigation, and one IP's
 * flood of records can't hide another device's.
 */
const SECRET = "test-ip-hash-secret-0123456789"; // vitest.config.ts's IP_HASH_SECRET
const SIGNALS = "tz=Europe%2FBerlin&l=de-DE&w=393&h=852";

afterEach(() => vi.restoreAllMocks());

async function iosContinueUrl(host: string, code: string, ip: string) {
  const page = await visit(`https://${host}/ref/${code}`, { ua: UA.iphone, ip });
  const url = page.body.match(/\/ref\/[A-Z0-9]+\/continue\?t=[A-Za-z0-9_.-]+/)?.[0];
  if (!url) throw new Error("no continue URL on the iOS page");
  return url;
}

/**
 * Every deferred record of the appspace. /continue writes its record in `waitUntil`, which
 * `visit` has already waited out: no record now means none was written.
 */
async function recordsOf(appspaceId: string) {
  return [...(await kvEntries(`t:${appspaceId}:`)), ...(await kvEntries(`d:${appspaceId}:`))];
}

describe("/ref/:code/continue accepts only tokens /ref/:code minted", () => {
  it("a token of the client's own choosing reaches the store but records nothing", async () => {
    const { host, code, space } = await linkFixture();
    for (const t of ["AAAAAAAAAAAAAAAAAAAAAA", "attacker-chosen-token-0123456789", "x".repeat(64)]) {
      const res = await visit(`https://${host}/ref/${code}/continue?t=${t}&${SIGNALS}`, { ua: UA.iphone });
      expect([res.status, res.headers.get("location")]).toEqual([302, "https://apps.apple.com/app/id1234567890"]);
    }
    expect(await recordsOf(space.id)).toEqual([]);
  });

  it("a minted token is bound to its link, appspace and issue time", async () => {
    const a = await linkFixture();
    const b = await linkFixture();
    const url = await iosContinueUrl(a.host, a.code, "192.0.2.61");
    const token = url.split("t=")[1] ?? "";
    // A's token on B's link (and B's domain): nothing recorded for B.
    await visit(`https://${b.host}/ref/${b.code}/continue?t=${token}&${SIGNALS}`, { ua: UA.iphone });
    // Tampered: one character of the MAC changed.
    const tampered = token.slice(0, -1) + (token.endsWith("0") ? "1" : "0");
    await visit(`https://${a.host}/ref/${a.code}/continue?t=${tampered}&${SIGNALS}`, { ua: UA.iphone });
    // Genuine but issued 16 minutes ago (the lifetime is 15).
    const stale = await mintToken(SECRET, {
      appspaceId: a.space.id,
      code: a.code,
      client: "192.0.2.61",
      now: Date.now() - 16 * 60_000,
    });
    await visit(`https://${a.host}/ref/${a.code}/continue?t=${stale}&${SIGNALS}`, { ua: UA.iphone });
    expect(await recordsOf(b.space.id)).toEqual([]);
    expect(await recordsOf(a.space.id)).toEqual([]);
    // The real one still works.
    await visit(`https://${a.host}${url}&${SIGNALS}`, { ua: UA.iphone, ip: "192.0.2.61" });
    const [entry] = await waitForToken(token);
    expect(entry?.name).toBe(`t:${a.space.id}:${token}`);
  });

  it("a token is bound to the client that asked for the page: fetched by one IP, planted from another, it records nothing", async () => {
    const { host, code, space } = await linkFixture();
    // The attacker's server asks for the page and takes its token...
    const url = await iosContinueUrl(host, code, "198.51.100.7");
    // ...and plants it in a victim's browser that sends no Fetch Metadata (older Safari).
    const planted = await visit(`https://${host}${url}&${SIGNALS}`, { ua: UA.iphone, ip: "192.0.2.99" });
    expect(planted.status).toBe(302); // the victim still reaches the store
    expect(await recordsOf(space.id)).toEqual([]);
    // An IPv6 client keeps its token across addresses of its /64 (privacy addresses rotate).
    const v6 = await iosContinueUrl(host, code, "2001:db8:1:2::10");
    await visit(`https://${host}${v6}&${SIGNALS}`, { ua: UA.iphone, ip: "2001:db8:1:2:abcd::99" });
    await waitForToken(v6.split("t=")[1]);
  });

  it.each([
    [{ "sec-fetch-dest": "image", "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors" }],
    [{ "sec-fetch-dest": "empty", "sec-fetch-site": "same-origin", "sec-fetch-mode": "no-cors" }],
    [{ "sec-fetch-dest": "document", "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" }],
    [{ "sec-fetch-dest": "iframe", "sec-fetch-site": "same-origin" }],
  ])("refuses what Fetch Metadata says is not our own navigation: %j", async (headers) => {
    const { host, code, space } = await linkFixture();
    const url = await iosContinueUrl(host, code, "192.0.2.62");
    const res = await visit(`https://${host}${url}&${SIGNALS}`, { ua: UA.iphone, ip: "192.0.2.62", headers });
    expect(res.status).toBe(403);
    expect(res.headers.get("location")).toBeNull();
    expect(await recordsOf(space.id)).toEqual([]);
  });

  it("our own page's navigation (same-origin document, or typed: none) is recorded", async () => {
    const { host, code } = await linkFixture();
    const url = await iosContinueUrl(host, code, "192.0.2.63");
    const res = await visit(`https://${host}${url}&${SIGNALS}`, {
      ua: UA.iphone,
      ip: "192.0.2.63",
      headers: { "sec-fetch-dest": "document", "sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate" },
    });
    expect(res.status).toBe(302);
    await waitForToken(url.split("t=")[1]);
  });

  it("is rate-limited per IP with its own budget: 429 with Retry-After and RateLimit headers", async () => {
    const { host, code, space } = await linkFixture();
    const url = await iosContinueUrl(host, code, "192.0.2.64");
    const limit = vi.spyOn(env.CONTINUE_LIMITER, "limit").mockResolvedValue({ success: false });
    const res = await visit(`https://${host}${url}&${SIGNALS}`, { ua: UA.iphone, ip: "192.0.2.64" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("60");
    expect(res.headers.get("ratelimit-policy")).toBe('"continue";q=60;w=60');
    expect(res.headers.get("ratelimit")).toBe('"continue";r=0;t=60');
    expect(limit).toHaveBeenCalledWith({ key: "continue:192.0.2.64" });
    expect(await recordsOf(space.id)).toEqual([]);
  });
});

describe("one IP's records can't evict another device's", () => {
  it("a real click is still matched behind 1,500 other records from the same IP", async () => {
    const { host, code, space } = await linkFixture();
    const ip = "198.51.100.77";
    const url = await iosContinueUrl(host, code, ip);
    await visit(`https://${host}${url}&${SIGNALS}`, { ua: UA.iphone, ip });
    const token = url.split("t=")[1] ?? "";
    await waitForToken(token);
    // A flood of device records from the same IP (what 1,500 other clicks would leave), none of
    // them this device's. Their keys sort before and after the real one.
    const ipHash = (await hashSignal(SECRET, "ip", space.id, ip)) ?? "";
    const junk = {
      appspaceId: space.id,
      code,
      path: `/ref/${code}`,
      ipHash,
      os: "ios",
      source: "script",
      signals: {
        timezone: "Asia/Tokyo",
        language: "ja-JP",
        screenWidth: 430,
        screenHeight: 932,
        safariVersion: "17.4",
      },
    };
    await Promise.all(
      Array.from({ length: 1500 }, (_, i) => {
        const record = { ...junk, token: `junk${i}`, fingerprint: `f${i}`, clickedAt: Date.now() };
        return env.LINKS.put(
          deviceKey({ ...record, fingerprint: i.toString(16).padStart(4, "0") }),
          JSON.stringify(record),
          {
            expirationTtl: 3600,
            metadata: record,
          },
        );
      }),
    );
    const res = await call("POST", "/api/deferred/match", {
      key: space.pk,
      headers: { "cf-connecting-ip": ip },
      body: { timezone: "Europe/Berlin", language: "de-DE", screen_width: 393, screen_height: 852, os_version: "17.4" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token, referral_code: code });
  });

  it("an iPhone is still matched behind 10,200 Android records from the same IP (more than a match lists)", async () => {
    const { host, code, space } = await linkFixture();
    const ip = "198.51.100.78";
    const url = await iosContinueUrl(host, code, ip);
    await visit(`https://${host}${url}&${SIGNALS}`, { ua: UA.iphone, ip });
    const token = url.split("t=")[1] ?? "";
    await waitForToken(token);
    // Android clicks from the same IP: more device records than a match's 10 list pages hold,
    // with fingerprints that sort before any real one. A match reads only the iOS records.
    const ipHash = (await hashSignal(SECRET, "ip", space.id, ip)) ?? "";
    const flood = Array.from({ length: 10_200 }, (_, i) => ({
      token: `android${i}`,
      appspaceId: space.id,
      code,
      path: `/ref/${code}`,
      ipHash,
      fingerprint: `0000${i.toString(16).padStart(6, "0")}`,
      os: "android",
      source: "headers" as const,
      signals: { timezone: null, language: "de-DE", screenWidth: null, screenHeight: null, safariVersion: null },
      clickedAt: Date.now(),
    }));
    for (let i = 0; i < flood.length; i += 500) {
      await Promise.all(
        flood
          .slice(i, i + 500)
          .map((r) => env.LINKS.put(deviceKey(r), JSON.stringify(r), { expirationTtl: 3600, metadata: r })),
      );
    }
    const res = await call("POST", "/api/deferred/match", {
      key: space.pk,
      headers: { "cf-connecting-ip": ip },
      body: { timezone: "Europe/Berlin", language: "de-DE", screen_width: 393, screen_height: 852, os_version: "17.4" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token, referral_code: code });
  }, 120_000);
});
