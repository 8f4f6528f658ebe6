import { describe, expect, it } from "vitest";
import { classifyForRouting } from "../../src/links/device";
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
    expect(browser("Android System WebView")).toBe("other");
    expect(browser("Opera, Windows")).toBe("other");
    expect(browser("Generic WKWebView")).toBe("other");
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
