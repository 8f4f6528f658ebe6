import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ageReferral, call, sql } from "../support/api";
import {
  kvEntries,
  landingOf,
  linkFixture,
  spyOnQueuedClicks,
  UA,
  visit,
  waitForClicks,
  waitForToken,
} from "../support/links";

let queuedClicks: ReturnType<typeof spyOnQueuedClicks>;
beforeEach(() => {
  queuedClicks = spyOnQueuedClicks();
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("GET /ref/:code", () => {
  it("desktop → 302 to the web fallback, and the click is recorded with its details", async () => {
    const { host, code, space } = await linkFixture();
    const res = await visit(`https://${host}/ref/${code}?utm_source=newsletter&utm_campaign=spring`, {
      ua: UA.desktop,
      headers: { referer: "https://mail.example.org/inbox" },
    });
    expect(res.status).toBe(302);
    expect(landingOf(res)).toBe("https://example.com/welcome");
    const [click] = await waitForClicks(code, 1);
    expect(click).toMatchObject({
      appspace_id: space.id,
      route: "fallback",
      os: expect.stringMatching(/mac/i),
      device_type: "desktop",
      utm_source: "newsletter",
      utm_campaign: "spring",
      referer_host: "mail.example.org",
    });
    expect(click?.ip_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(click)).not.toContain("203.0.113.10");
    const [event] = await sql<{ data: string }>(
      "select data::text as data from events where appspace_id = $1 and type = 'link.clicked'",
      [space.id],
    );
    expect(JSON.parse(event?.data ?? "{}")).toMatchObject({
      prefix: "ref",
      referral_code: code,
      device_type: "desktop",
    });
  });

  it("Android → 302 to the Play Store with the token in referrer=, and a deferred record (24 h TTL)", async () => {
    const { host, code, space } = await linkFixture();
    const res = await visit(`https://${host}/ref/${code}`, { ua: UA.android, ip: "198.51.100.7" });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location") ?? "");
    expect(location.origin + location.pathname).toBe("https://play.google.com/store/apps/details");
    expect(location.searchParams.get("id")).toBe("com.example.app");
    const referrer = location.searchParams.get("referrer") ?? "";
    expect(referrer).toMatch(/^tolk_token=[A-Za-z0-9_-]{22}\.[0-9a-z]+\.[0-9a-f]{32}$/);
    expect(res.headers.get("location")).toContain(`referrer=tolk_token%3D${referrer.slice(11)}`);
    const token = referrer.slice("tolk_token=".length);
    const [byToken] = await waitForToken(token);
    const record = JSON.parse(byToken?.value ?? "{}");
    expect(record).toMatchObject({ token, code, path: `/ref/${code}`, appspaceId: space.id, os: "android" });
    expect(record.signals.language).toBe("en-US");
    const ttl = (byToken?.expiration ?? 0) - Date.now() / 1000;
    expect(ttl).toBeGreaterThan(86_400 - 120);
    expect(ttl).toBeLessThanOrEqual(86_400 + 1);
    const deviceEntries = await kvEntries(`d:${space.id}:`);
    expect(deviceEntries).toHaveLength(1);
    for (const entry of [...deviceEntries, byToken]) {
      expect(entry?.value).not.toContain("198.51.100.7");
      expect(entry?.value).not.toContain("Pixel 8");
    }
  });

  it("repeated clicks from one device update its record instead of piling up", async () => {
    const { host, code, space } = await linkFixture();
    const first = await visit(`https://${host}/ref/${code}`, { ua: UA.android, ip: "198.51.100.8" });
    await waitForToken(new URL(first.headers.get("location") ?? "").searchParams.get("referrer")?.slice(11));
    const second = await visit(`https://${host}/ref/${code}`, { ua: UA.android, ip: "198.51.100.8" });
    const secondToken = new URL(second.headers.get("location") ?? "").searchParams.get("referrer")?.slice(11);
    await waitForToken(secondToken);
    const devices = await kvEntries(`d:${space.id}:`);
    expect(devices).toHaveLength(1);
    const record = JSON.parse(devices[0]?.value ?? "{}");
    expect(record.token).toBe(secondToken);
    // The click leaves an Android record's fingerprint to the consumer (IP hash + User-Agent).
    expect(queuedClicks().map((m) => m.deferred?.fingerprint)).toEqual(["", ""]);
    expect(record.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // Another phone behind the same IP is another device.
    const samsung = UA.android.replace("Android 14; Pixel 8", "Android 13; SM-S911B");
    const other = await visit(`https://${host}/ref/${code}`, { ua: samsung, ip: "198.51.100.8" });
    await waitForToken(new URL(other.headers.get("location") ?? "").searchParams.get("referrer")?.slice(11));
    expect(await kvEntries(`d:${space.id}:`)).toHaveLength(2);
  });

  it("iOS → a small self-contained page that continues (with signals) to the App Store", async () => {
    const { host, code, space } = await linkFixture();
    const res = await visit(`https://${host}/ref/${code}`, { ua: UA.iphone, ip: "192.0.2.50" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(res.body.length).toBeLessThan(4096);
    expect(res.body).not.toMatch(/<(script|img|link)[^>]+(src|href)="?https?:/i);
    const continueUrl = res.body.match(/\/ref\/[A-Z0-9]+\/continue\?t=[A-Za-z0-9_.-]+/)?.[0];
    expect(continueUrl).toBeDefined();
    expect(res.body).toContain(`<noscript><meta http-equiv="refresh" content="0;url=${continueUrl}">`);
    // What the page's script does:
    const next = await visit(`https://${host}${continueUrl}&tz=Europe%2FBerlin&l=de-DE&w=393&h=852`, {
      ua: UA.iphone,
      ip: "192.0.2.50",
    });
    expect(next.status).toBe(302);
    expect(next.headers.get("location")).toBe("https://apps.apple.com/app/id1234567890");
    const token = continueUrl?.split("t=")[1];
    const [entry] = await waitForToken(token);
    expect(JSON.parse(entry?.value ?? "{}")).toMatchObject({
      source: "script",
      os: "ios",
      appspaceId: space.id,
      signals: {
        timezone: "Europe/Berlin",
        language: "de-DE",
        screenWidth: 393,
        screenHeight: 852,
        safariVersion: "17.4",
      },
    });
  });

  it("iOS without JavaScript still reaches the store, keeping what the headers tell", async () => {
    const { host, code } = await linkFixture();
    const res = await visit(`https://${host}/ref/${code}`, { ua: UA.iphone });
    const continueUrl = res.body.match(/\/ref\/[A-Z0-9]+\/continue\?t=[A-Za-z0-9_.-]+/)?.[0];
    const next = await visit(`https://${host}${continueUrl}`, { ua: UA.iphone });
    expect(next.headers.get("location")).toBe("https://apps.apple.com/app/id1234567890");
    const [entry] = await waitForToken(continueUrl?.split("t=")[1]);
    expect(JSON.parse(entry?.value ?? "{}")).toMatchObject({
      source: "headers",
      signals: { language: "en-US", screenWidth: null, screenHeight: null },
    });
  });

  it("in-app browsers get an interstitial offering the system browser, then the store", async () => {
    const { host, code } = await linkFixture();
    const ios = await visit(`https://${host}/ref/${code}`, { ua: UA.instagramIos });
    expect(ios.status).toBe(200);
    expect(ios.body).toContain(`x-safari-https://${host}/ref/${code}`);
    expect(ios.body).toMatch(/\/ref\/[A-Z0-9]+\/continue\?t=/);
    const android = await visit(`https://${host}/ref/${code}`, { ua: UA.facebookAndroid });
    expect(android.status).toBe(200);
    expect(android.body).toContain(`intent://${host}/ref/${code}#Intent;scheme=https;end`);
    expect(android.body).toContain(
      "https://play.google.com/store/apps/details?id=com.example.app&amp;referrer=tolk_token%3D",
    );
  });

  it("crawlers get an Open Graph preview: no redirect, no click", async () => {
    const { host, code } = await linkFixture();
    for (const ua of [UA.slackbot, UA.facebookexternalhit]) {
      const res = await visit(`https://${host}/ref/${code}`, { ua });
      expect(res.status).toBe(200);
      expect(res.body).toContain('<meta property="og:title" content="Jane Doe invited you to Example">');
      expect(res.body).toContain('<meta property="og:image" content="https://example.com/og.png">');
      expect(res.body).toContain(`<meta property="og:url" content="https://${host}/ref/${code}">`);
      expect(res.body).toContain('<meta name="twitter:card" content="summary_large_image">');
    }
    const head = await visit(`https://${host}/ref/${code}`, { ua: UA.desktop, method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    // `visit` returns once each request's background work is done: no click was queued.
    expect(queuedClicks().filter((m) => m.code === code)).toEqual([]);
  });

  it("escapes what the referrer controls in previews", async () => {
    const { host, space } = await linkFixture();
    const res = await call<{ referral_code: string }>("POST", "/v1/api/referral/create", {
      key: space.pk,
      body: { user_id: "mallory", user_name: '"><script>alert(1)</script>' },
    });
    const page = await visit(`https://${host}/ref/${res.body.referral_code}`, { ua: UA.slackbot });
    expect(page.body).not.toContain("<script>alert(1)</script>");
    expect(page.body).toContain("&quot;&gt;&lt;script&gt;");
  });

  it("unknown and expired codes: the domain's fallback, no deferred record; unknown domains: a 404 page", async () => {
    const { host, code, space } = await linkFixture();
    const unknown = await visit(`https://${host}/ref/ZZZZZZZZZZ`, { ua: UA.android });
    expect([unknown.status, unknown.headers.get("location")]).toEqual([302, "https://example.com/welcome"]);
    await ageReferral(code, 31);
    const expired = await visit(`https://${host}/ref/${code}`, { ua: UA.android });
    // The snapshot cached by linkFixture's creation is not involved: this code was never visited.
    expect([expired.status, expired.headers.get("location")]).toEqual([302, "https://example.com/welcome"]);
    // Deferred records ride on queued clicks (the consumer writes them): none was queued.
    expect(queuedClicks().filter((m) => m.appspaceId === space.id)).toEqual([]);
    expect(await kvEntries(`d:${space.id}:`)).toEqual([]);
    const nowhere = await visit("https://unknown-domain.test/ref/ZZZZZZZZZZ", { ua: UA.desktop });
    expect(nowhere.status).toBe(404);
    expect(nowhere.body).toContain("doesn’t exist");
  });

  it("never redirects to a destination taken from the request", async () => {
    const { host, code } = await linkFixture();
    for (const path of [
      `/ref/${code}?url=https://evil.example`,
      `/ref/${code}?redirect=https://evil.example`,
      `/ref/${code}/continue?t=AAAAAAAAAAAAAAAAAAAAAA&next=https://evil.example`,
    ]) {
      const res = await visit(`https://${host}${path}`, {
        ua: UA.iphone,
        headers: { referer: "https://evil.example" },
      });
      expect(res.headers.get("location") ?? "").not.toContain("evil");
    }
  });
});

describe("app association files", () => {
  const fingerprint = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, "0").toUpperCase()).join(":");

  it("serves apple-app-site-association and assetlinks.json for the appspace's domain", async () => {
    const { host } = await linkFixture({
      apple_team_id: "ABCDE12345",
      ios_bundle_ids: ["com.example.app"],
      android_sha256_cert_fingerprints: [fingerprint.toLowerCase()],
    });
    const aasa = await visit(`https://${host}/.well-known/apple-app-site-association`);
    expect(aasa.status).toBe(200);
    expect(aasa.headers.get("content-type")).toMatch(/^application\/json/);
    expect(JSON.parse(aasa.body)).toMatchObject({
      applinks: { details: [{ appIDs: ["ABCDE12345.com.example.app"], components: [{ "/": "/ref/*" }] }] },
    });
    const assetlinks = await visit(`https://${host}/.well-known/assetlinks.json`);
    expect(assetlinks.status).toBe(200);
    expect(assetlinks.headers.get("content-type")).toMatch(/^application\/json/);
    expect(JSON.parse(assetlinks.body)).toEqual([
      {
        relation: ["delegate_permission/common.handle_all_urls"],
        target: { namespace: "android_app", package_name: "com.example.app", sha256_cert_fingerprints: [fingerprint] },
      },
    ]);
  });

  it("404 when the domain has no app configured", async () => {
    const { host } = await linkFixture({ android_package: null });
    expect((await visit(`https://${host}/.well-known/apple-app-site-association`)).status).toBe(404);
    expect((await visit(`https://${host}/.well-known/assetlinks.json`)).status).toBe(404);
  });
});
