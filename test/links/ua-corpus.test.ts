import { describe, expect, it } from "vitest";
import { classifyForRouting, detectInApp, IN_APP_BROWSERS, isGenericWebView } from "../../src/links/device";
import { parseUserAgent } from "../../src/links/parse";
import { decideRoute } from "../../src/links/route";
import type { Route } from "../../src/links/types";
import { CORPUS_LINK, CORPUS_NOW, UA_CORPUS, type UaCase } from "./ua-corpus";

function routeOf(ua: string): Route {
  return decideRoute({
    method: "GET",
    ua: classifyForRouting(ua),
    link: CORPUS_LINK,
    now: CORPUS_NOW,
    token: "tok123",
    hostFallbackUrl: "https://host.example/fallback",
  });
}

function find(name: string): UaCase {
  const found = UA_CORPUS.find((c) => c.name.startsWith(name));
  if (!found) throw new Error(`no corpus entry ${name}`);
  return found;
}

describe("UA corpus", () => {
  it("is large, unique and covers every visitor route", () => {
    expect(UA_CORPUS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(UA_CORPUS.map((c) => c.name)).size).toBe(UA_CORPUS.length);
    expect(new Set(UA_CORPUS.map((c) => c.ua)).size).toBe(UA_CORPUS.length);
    const kinds = new Set(UA_CORPUS.map((c) => c.route));
    for (const kind of ["preview", "play_store", "ios_page", "interstitial", "fallback"] as const) {
      expect(kinds).toContain(kind);
    }
    const inApps = new Set(UA_CORPUS.map((c) => c.expected.inApp));
    for (const app of ["instagram", "facebook", "messenger", "tiktok", "linkedin", "snapchat", "x", "line", "wechat"]) {
      expect(inApps).toContain(app);
    }
    expect(inApps).toContain("gmail");
    expect(inApps).toContain("webview");
  });

  it.each(UA_CORPUS)("classifies and routes: $name", ({ ua, expected, route }) => {
    const { os, deviceType, inApp, crawler } = classifyForRouting(ua);
    expect({ os, deviceType, inApp, crawler }).toEqual(expected);
    expect(routeOf(ua).kind).toBe(route);
  });

  it.each(UA_CORPUS)("full parse agrees with the routing classification: $name", ({ ua, expected }) => {
    const parsed = parseUserAgent(ua);
    expect(parsed.inApp).toBe(expected.inApp);
    expect(parsed.crawler).toBe(expected.crawler);
    expect(parsed.deviceType).toBe(expected.deviceType);
  });
});

describe("classifyForRouting", () => {
  it("treats a missing or empty UA as an unknown desktop visitor", () => {
    const unknown = {
      os: "other",
      deviceType: "desktop",
      browser: "other",
      inApp: null,
      crawler: false,
      safariVersion: null,
    };
    expect(classifyForRouting(undefined)).toEqual(unknown);
    expect(classifyForRouting("")).toEqual(unknown);
    expect(routeOf("").kind).toBe("fallback");
  });

  it("reads Safari's Version token on Apple platforms only", () => {
    expect(classifyForRouting(find("Safari, iOS 17.5").ua).safariVersion).toBe("17.5");
    expect(classifyForRouting(find("Safari, iOS 15.6.1").ua).safariVersion).toBe("15.6.1");
    expect(classifyForRouting(find("Safari, iOS 26").ua).safariVersion).toBe("26.0");
    expect(classifyForRouting(find("Safari 17.4.1, macOS").ua).safariVersion).toBe("17.4.1");
    expect(classifyForRouting(find("Chrome (CriOS), iOS").ua).safariVersion).toBeNull();
    expect(classifyForRouting(find("Instagram, iOS").ua).safariVersion).toBeNull();
    // Android WebView's fixed "Version/4.0" is not a Safari version.
    expect(classifyForRouting(find("Android System WebView").ua).safariVersion).toBeNull();
  });

  it("names the browser", () => {
    const browser = (name: string) => classifyForRouting(find(name).ua).browser;
    expect(browser("Safari, iOS 17.5")).toBe("safari");
    expect(browser("Safari 17.4.1, macOS")).toBe("safari");
    expect(browser("Chrome (CriOS)")).toBe("chrome");
    expect(browser("Chrome, Windows")).toBe("chrome");
    expect(browser("Firefox (FxiOS)")).toBe("firefox");
    expect(browser("Firefox, Android phone")).toBe("firefox");
    expect(browser("Samsung Internet, Galaxy S24")).toBe("samsung");
    expect(browser("Edge, Windows")).toBe("edge");
    expect(browser("Edge (EdgiOS)")).toBe("edge");
    expect(browser("Edge (EdgA)")).toBe("edge");
    expect(browser("Android System WebView")).toBe("webview");
    expect(browser("Opera, Windows")).toBe("other");
    expect(browser("Opera Mini, Android 14")).toBe("other");
    expect(browser("Generic WKWebView")).toBe("webview");
    expect(browser("Instagram, Android")).toBe("instagram");
    expect(browser("Googlebot Smartphone")).toBe("other");
  });

  it("does not take bots' or other apps' tokens for in-app browsers", () => {
    expect(classifyForRouting("Twitterbot/1.0").inApp).toBeNull();
    expect(
      classifyForRouting("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)").inApp,
    ).toBeNull();
    expect(classifyForRouting(find("facebookexternalhit").ua).inApp).toBeNull();
    expect(classifyForRouting(find("Chrome, Linux").ua).inApp).toBeNull();
  });
});

describe("in-app tokens", () => {
  /** The corpus's named in-app rows, each with its table entry's pattern. */
  const named = UA_CORPUS.flatMap((c) => {
    const entry = IN_APP_BROWSERS.find(([name]) => name === c.expected.inApp);
    return entry ? [{ ...c, pattern: entry[1] }] : [];
  });

  it("are found glued to the token before them", () => {
    // Apps append their token to the web view's UA; some leave out the space (Snapchat on Android:
    // "Mobile Safari/537.36Snapchat10.74.6.0"). Glue every row's token (or its opening bracket)
    // to a version number or ")" before it: the table must still name the same app.
    let glued = 0;
    for (const { ua, pattern, expected } of named) {
      const at = pattern.exec(ua)?.index;
      if (at === undefined) throw new Error(`pattern misses ${ua}`);
      const start = ua[at - 1] === "[" ? at - 1 : at;
      if (ua[start - 1] !== " " || !/[\d)]/.test(ua[start - 2] ?? "")) continue;
      const variant = ua.slice(0, start - 1) + ua.slice(start);
      expect(detectInApp(variant), variant).toBe(expected.inApp);
      glued++;
    }
    expect(glued).toBeGreaterThanOrEqual(20);
  });

  it("are not read inside longer words, and are case-sensitive", () => {
    expect(detectInApp("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 OnLine/2.0 Chrome/126.0.0.0")).toBeNull();
    expect(detectInApp("Mozilla/5.0 (Linux; Android 14) MyInstagram 3 Chrome/126.0.0.0")).toBeNull();
    expect(detectInApp(find("Snapchat URL preview service").ua)).toBeNull();
  });

  it("include Meta's MetaIAB marker", () => {
    expect(detectInApp(find("Facebook (MetaIAB), iOS").ua)).toBe("facebook");
    // The Instagram Android app appends " MetaIAB Instagram" to its web view's UA.
    expect(detectInApp(`${find("Android System WebView").ua} MetaIAB Instagram`)).toBe("instagram");
  });
});

describe("isGenericWebView", () => {
  it("is Android's '; wv)' and iOS's WebKit UA without Safari/, not standalone browsers", () => {
    expect(isGenericWebView(find("Android System WebView").ua, "android")).toBe(true);
    expect(isGenericWebView(find("Generic WKWebView, iOS 17.5").ua, "ios")).toBe(true);
    const iosBrowsers = ["Safari, iOS 17.5", "Chrome (CriOS), iOS", "Firefox (FxiOS), iOS", "Edge (EdgiOS)"];
    // The Google app keeps Safari/; Opera Touch 1.x and Firefox Focus 4 leave it out but are browsers.
    for (const name of [...iosBrowsers, "Google app", "Opera Touch 1.x", "Firefox Focus 4"]) {
      expect(isGenericWebView(find(name).ua, "ios"), name).toBe(false);
    }
    // Browsers built on the system WebView keep its "; wv)".
    for (const name of [
      "Opera Mini",
      "Vivo Browser",
      "Sleipnir",
      "Chrome, Pixel 8 Pro",
      "Samsung Internet, Galaxy S24",
    ]) {
      expect(isGenericWebView(find(name).ua, "android"), name).toBe(false);
    }
  });

  it("needs a web view on a phone platform, not a native client or a desktop", () => {
    // A native app's own request names the iPhone but is no web view (isbot's browser fixtures).
    expect(classifyForRouting("ExampleApp/1 iPhone5,2 iOS/10_1 CFNetwork/808.3 Darwin/16.3.0").inApp).toBeNull();
    // A macOS WKWebView (isbot's browser fixtures too) has no store to protect: a desktop visitor.
    const macWebView = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_5) AppleWebKit/605.1.15 (KHTML, like Gecko)";
    expect(classifyForRouting(macWebView)).toMatchObject({ os: "macos", inApp: null });
    expect(routeOf(macWebView).kind).toBe("fallback");
  });

  it("gives way to isbot: a crawler with a web-view UA is a crawler", () => {
    const googlebot = classifyForRouting(find("Googlebot Smartphone with a WebView UA").ua);
    expect(googlebot).toMatchObject({ inApp: null, crawler: true, browser: "other" });
  });

  it("sends iOS web views to the interstitial (the handler points its store link at /continue)", () => {
    expect(routeOf(find("Generic WKWebView, iOS 17.5").ua)).toEqual({
      kind: "interstitial",
      storeUrl: CORPUS_LINK.app.iosAppStoreUrl,
      os: "ios",
    });
  });
});

describe("parseUserAgent", () => {
  it("resolves OS, browser and device details", () => {
    expect(parseUserAgent(find("Instagram, Android").ua)).toEqual({
      os: "Android",
      osVersion: "14",
      browser: "Instagram",
      browserVersion: "335.0.0.39.93",
      deviceType: "phone",
      deviceVendor: "Samsung",
      deviceModel: "SM-S918B",
      inApp: "instagram",
      crawler: false,
    });
    expect(parseUserAgent(find("Safari, iOS 17.5").ua)).toMatchObject({
      os: "iOS",
      osVersion: "17.5",
      browser: "Mobile Safari",
      deviceVendor: "Apple",
      deviceModel: "iPhone",
    });
    expect(parseUserAgent(find("Chrome, Windows 10").ua)).toMatchObject({ os: "Windows", deviceType: "desktop" });
  });

  it("drops the reduced UA's placeholder model", () => {
    expect(parseUserAgent(find("Chrome, Android phone (reduced UA)").ua).deviceModel).toBeNull();
  });

  it("handles missing UAs and bots", () => {
    expect(parseUserAgent(undefined)).toEqual({
      os: null,
      osVersion: null,
      browser: null,
      browserVersion: null,
      deviceType: "desktop",
      deviceVendor: null,
      deviceModel: null,
      inApp: null,
      crawler: false,
    });
    expect(parseUserAgent("Twitterbot/1.0")).toMatchObject({ os: null, browser: null, crawler: true });
  });
});
