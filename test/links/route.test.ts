import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyForRouting } from "../../src/links/device";
import { decideRoute, isLinkUsable, playStoreUrl, type RouteInput } from "../../src/links/route";
import type { AppRouting, LinkSnapshot, Os, RoutingUa } from "../../src/links/types";

const NOW = Date.UTC(2025, 5, 1);
const HOST = "https://host.example/get-the-app";
const APP_STORE = "https://apps.apple.com/app/id1234567890";
const WEB = "https://example.com/download";

const IPHONE = classifyForRouting(
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
);
const ANDROID = classifyForRouting(
  "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
);
const DESKTOP = classifyForRouting(
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
);
const CRAWLER = classifyForRouting("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)");
const INSTAGRAM_IOS: RoutingUa = { ...IPHONE, browser: "instagram", inApp: "instagram", safariVersion: null };
const FACEBOOK_ANDROID: RoutingUa = { ...ANDROID, browser: "facebook", inApp: "facebook" };

function app(overrides: Partial<AppRouting> = {}): AppRouting {
  return {
    iosAppStoreUrl: APP_STORE,
    androidPackage: "com.example.app",
    webFallbackUrl: WEB,
    ogTitle: null,
    ogDescription: null,
    ogImageUrl: null,
    ...overrides,
  };
}

function link(overrides: Partial<LinkSnapshot> = {}): LinkSnapshot {
  return {
    code: "K7M2Q9XR4T",
    appspaceId: "as_1",
    status: "pending",
    expiresAt: NOW + 60_000,
    domains: ["links.example.com"],
    referrerName: null,
    app: app(),
    landing: null,
    ...overrides,
  };
}

function route(overrides: Partial<RouteInput> = {}) {
  return decideRoute({
    method: "GET",
    ua: IPHONE,
    link: link(),
    now: NOW,
    token: "abc123",
    hostFallbackUrl: HOST,
    ...overrides,
  });
}

describe("decideRoute", () => {
  it("answers HEAD with headers only, before anything else", () => {
    for (const ua of [IPHONE, ANDROID, DESKTOP, CRAWLER, INSTAGRAM_IOS]) {
      expect(route({ method: "HEAD", ua })).toEqual({ kind: "head" });
      expect(route({ method: "HEAD", ua, link: null, hostFallbackUrl: null })).toEqual({ kind: "head" });
      expect(route({ method: "HEAD", ua, link: link({ status: "expired" }) })).toEqual({ kind: "head" });
    }
    expect(route({ method: "head" })).toEqual({ kind: "head" });
  });

  it("sends unknown codes to the host fallback, or 404s without one", () => {
    expect(route({ link: null })).toEqual({ kind: "fallback", url: HOST, attributable: false });
    expect(route({ link: null, hostFallbackUrl: null })).toEqual({ kind: "not_found" });
    expect(route({ link: null, hostFallbackUrl: "" })).toEqual({ kind: "not_found" });
    expect(route({ link: null, ua: CRAWLER })).toEqual({ kind: "fallback", url: HOST, attributable: false });
  });

  const unusable: [string, LinkSnapshot][] = [
    ["expired", link({ status: "expired" })],
    ["completed", link({ status: "completed" })],
    ["pending past expiresAt", link({ expiresAt: NOW - 1 })],
    ["pending at exactly expiresAt", link({ expiresAt: NOW })],
  ];

  it.each(unusable)("sends every visitor of a %s link to a fallback, appspace's first", (_, snapshot) => {
    expect(isLinkUsable(snapshot, NOW)).toBe(false);
    for (const ua of [IPHONE, ANDROID, DESKTOP, CRAWLER, INSTAGRAM_IOS, FACEBOOK_ANDROID]) {
      expect(route({ ua, link: snapshot })).toEqual({ kind: "fallback", url: WEB, attributable: false });
      expect(route({ ua, link: { ...snapshot, app: app({ webFallbackUrl: null }) } })).toEqual({
        kind: "fallback",
        url: HOST,
        attributable: false,
      });
      expect(route({ ua, link: { ...snapshot, app: app({ webFallbackUrl: null }) }, hostFallbackUrl: null })).toEqual({
        kind: "not_found",
      });
    }
  });

  it("gives crawlers a preview of a usable link", () => {
    expect(isLinkUsable(link(), NOW)).toBe(true);
    expect(route({ ua: CRAWLER })).toEqual({ kind: "preview" });
    // Googlebot Smartphone looks like an Android phone but is still a crawler.
    const googlebot = classifyForRouting(
      "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    );
    expect(route({ ua: googlebot })).toEqual({ kind: "preview" });
    expect(route({ ua: { ...INSTAGRAM_IOS, crawler: true } })).toEqual({ kind: "preview" });
  });

  it("sends Android to the Play Store with the token as install referrer", () => {
    expect(route({ ua: ANDROID })).toEqual({
      kind: "play_store",
      url: "https://play.google.com/store/apps/details?id=com.example.app&referrer=tolk_token%3Dabc123",
    });
    const tablet: RoutingUa = { ...ANDROID, deviceType: "tablet" };
    expect(route({ ua: tablet, token: "a b&c=d/é" })).toEqual({
      kind: "play_store",
      url: "https://play.google.com/store/apps/details?id=com.example.app&referrer=tolk_token%3Da%20b%26c%3Dd%2F%C3%A9",
    });
  });

  it("sends iOS to the page that continues to the App Store", () => {
    expect(route({ ua: IPHONE })).toEqual({ kind: "ios_page", storeUrl: APP_STORE });
    expect(route({ ua: { ...IPHONE, deviceType: "tablet" } })).toEqual({ kind: "ios_page", storeUrl: APP_STORE });
  });

  it("puts an interstitial in front of in-app browsers on iOS and Android", () => {
    expect(route({ ua: INSTAGRAM_IOS })).toEqual({ kind: "interstitial", storeUrl: APP_STORE, os: "ios" });
    expect(route({ ua: FACEBOOK_ANDROID })).toEqual({
      kind: "interstitial",
      storeUrl: playStoreUrl("com.example.app", "abc123"),
      os: "android",
    });
    expect(route({ ua: INSTAGRAM_IOS, link: link({ app: app({ iosAppStoreUrl: null }) }) })).toEqual({
      kind: "interstitial",
      storeUrl: null,
      os: "ios",
    });
    expect(route({ ua: FACEBOOK_ANDROID, link: link({ app: app({ androidPackage: null }) }) })).toEqual({
      kind: "interstitial",
      storeUrl: null,
      os: "android",
    });
    // In-app on a desktop (WeChat for Windows): no store to protect, the web fallback.
    expect(route({ ua: { ...DESKTOP, inApp: "wechat", browser: "wechat" } })).toEqual({
      kind: "fallback",
      url: WEB,
      attributable: true,
    });
  });

  it("falls back when the platform's store is not configured", () => {
    const noStores = link({ app: app({ iosAppStoreUrl: null, androidPackage: null }) });
    expect(route({ ua: IPHONE, link: noStores })).toEqual({ kind: "fallback", url: WEB, attributable: true });
    expect(route({ ua: ANDROID, link: noStores })).toEqual({ kind: "fallback", url: WEB, attributable: true });
    const blank = link({ app: app({ iosAppStoreUrl: "", androidPackage: "", webFallbackUrl: "" }) });
    expect(route({ ua: IPHONE, link: blank })).toEqual({ kind: "fallback", url: HOST, attributable: true });
    expect(route({ ua: ANDROID, link: blank, hostFallbackUrl: null })).toEqual({ kind: "not_found" });
    // One platform's store does not stand in for the other's.
    expect(route({ ua: IPHONE, link: link({ app: app({ iosAppStoreUrl: null }) }) })).toEqual({
      kind: "fallback",
      url: WEB,
      attributable: true,
    });
  });

  it("sends desktops and other platforms to the web fallback, then the host's, then 404", () => {
    for (const os of ["macos", "windows", "linux", "other"] as const) {
      const ua: RoutingUa = { ...DESKTOP, os };
      expect(route({ ua })).toEqual({ kind: "fallback", url: WEB, attributable: true });
      expect(route({ ua, link: link({ app: app({ webFallbackUrl: null }) }) })).toEqual({
        kind: "fallback",
        url: HOST,
        attributable: true,
      });
      expect(route({ ua, link: link({ app: app({ webFallbackUrl: null }) }), hostFallbackUrl: null })).toEqual({
        kind: "not_found",
      });
    }
  });
});

describe("no open redirect", () => {
  it("keeps any token inside the Play Store URL's referrer", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 64 }), (token) => {
        const result = route({ ua: ANDROID, token });
        if (result.kind !== "play_store") throw new Error(`unexpected ${result.kind}`);
        const url = new URL(result.url);
        expect(url.protocol).toBe("https:");
        expect(url.host).toBe("play.google.com");
        expect(url.pathname).toBe("/store/apps/details");
        expect([...url.searchParams.keys()]).toEqual(["id", "referrer"]);
        expect(url.searchParams.get("id")).toBe("com.example.app");
        expect(url.searchParams.get("referrer")).toBe(`tolk_token=${token}`);
      }),
      { numRuns: 500 },
    );
  });

  it("lands a Link API link's visitors on its target URL; phones go to the stores only with app_routing", () => {
    const landing = { targetUrl: "https://shop.example.com/welcome?x=1", appRouting: false };
    const web = link({ landing });
    for (const ua of [IPHONE, ANDROID, DESKTOP, INSTAGRAM_IOS, FACEBOOK_ANDROID]) {
      expect(route({ ua, link: web })).toEqual({ kind: "fallback", url: landing.targetUrl, attributable: true });
    }
    expect(route({ ua: CRAWLER, link: web })).toEqual({ kind: "preview" });
    const routed = link({ landing: { ...landing, appRouting: true } });
    expect(route({ ua: IPHONE, link: routed })).toEqual({ kind: "ios_page", storeUrl: APP_STORE });
    expect(route({ ua: ANDROID, link: routed }).kind).toBe("play_store");
    expect(route({ ua: INSTAGRAM_IOS, link: routed }).kind).toBe("interstitial");
    expect(route({ ua: DESKTOP, link: routed })).toEqual({
      kind: "fallback",
      url: landing.targetUrl,
      attributable: true,
    });
    // A phone without a configured store lands on the target too, never on the appspace's fallback.
    const noStore = link({ landing: { ...landing, appRouting: true }, app: app({ iosAppStoreUrl: null }) });
    expect(route({ ua: IPHONE, link: noStore })).toEqual({
      kind: "fallback",
      url: landing.targetUrl,
      attributable: true,
    });
  });

  it("only ever sends visitors to configured destinations", () => {
    const url = fc.option(fc.webUrl(), { nil: null });
    const ua: fc.Arbitrary<RoutingUa> = fc.record({
      os: fc.constantFrom<Os>("ios", "android", "macos", "windows", "linux", "other"),
      deviceType: fc.constantFrom("phone", "tablet", "desktop"),
      browser: fc.string(),
      inApp: fc.option(fc.constantFrom("instagram", "facebook", "x", "wechat"), { nil: null }),
      crawler: fc.boolean(),
      safariVersion: fc.option(fc.string(), { nil: null }),
    });
    const snapshot: fc.Arbitrary<LinkSnapshot | null> = fc.option(
      fc.record({
        code: fc.string(),
        appspaceId: fc.string(),
        domains: fc.array(fc.domain(), { maxLength: 3 }),
        status: fc.constantFrom("pending", "completed", "expired"),
        expiresAt: fc.integer({ min: NOW - 10, max: NOW + 10 }),
        referrerName: fc.option(fc.string(), { nil: null }),
        landing: fc.option(fc.record({ targetUrl: fc.webUrl(), appRouting: fc.boolean() }), { nil: null }),
        app: fc.record({
          iosAppStoreUrl: url,
          androidPackage: fc.option(fc.string({ minLength: 1 }), { nil: null }),
          webFallbackUrl: url,
          ogTitle: fc.constant(null),
          ogDescription: fc.constant(null),
          ogImageUrl: fc.constant(null),
        }),
      }),
      { nil: null },
    );
    fc.assert(
      fc.property(
        fc.constantFrom("GET", "HEAD", "POST"),
        ua,
        snapshot,
        fc.string(),
        url,
        (method, visitor, current, token, hostFallbackUrl) => {
          const result = decideRoute({ method, ua: visitor, link: current, now: NOW, token, hostFallbackUrl });
          const configured = [
            current?.app.iosAppStoreUrl,
            current?.app.webFallbackUrl,
            current?.landing?.targetUrl,
            hostFallbackUrl,
          ];
          const pkg = current?.app.androidPackage;
          if (pkg) configured.push(playStoreUrl(pkg, token));
          if (result.kind === "fallback") expect(configured).toContain(result.url);
          if (result.kind === "play_store") expect(result.url).toBe(configured.at(-1));
          if (result.kind === "ios_page") expect(result.storeUrl).toBe(current?.app.iosAppStoreUrl);
          if (result.kind === "interstitial" && result.storeUrl !== null) expect(configured).toContain(result.storeUrl);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
