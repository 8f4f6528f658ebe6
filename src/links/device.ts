/**
 * The hot-path User-Agent classification for /ref/:code: just what routing needs, in a few µs.
 *
 * A full parser (ua-parser-js, bowser) costs 10–80 µs per call, more than a whole bare redirect,
 * so it runs later in the click consumer (`parse.ts`). Here:
 *
 * - in-app browsers: the small ordered table below (~0.3 µs), then, for UAs it doesn't name and
 *   isbot doesn't flag, the generic web-view check (`isGenericWebView`, two or three substring tests);
 * - crawlers: `isbot` (one precompiled regex over a maintained list; ~2 µs for a typical browser UA,
 *   the bulk of the cost), skipped for the in-app browsers the table names;
 * - OS / device type / Safari version: a handful of substring checks and one tiny regex.
 */
import { isbot } from "isbot";
import type { DeviceType, Os, RoutingUa } from "./types";

/**
 * In-app browsers that keep universal links / app links from opening the app, first match wins.
 *
 * Why not `inapp-spy` (MIT, works without `window` when given `{ ua }`): on real UAs it names the
 * Facebook app "messenger" unless the UA carries the newer `IABMV` marker (its Messenger regex
 * matches any `FBAN`/`FB_IAB` UA without it), reports `facebookexternalhit` as the Facebook app,
 * has no Gmail, matches `/GSA/i` anywhere in the UA, and runs ~14 regexes per call (~1.8 µs in
 * Node against ~0.25 µs for this table, bench/ua.ts). The tokens below are the apps' own markers:
 *
 *   messenger  `FBAN/MessengerForiOS` (iOS), `FB_IAB/Orca-Android` or `FB_IAB/MESSENGER` (Android)
 *   facebook   `FBAN/FBIOS`, `FBAN/EMA` (Lite), `FB_IAB/FB4A`, `FBAV/` — after messenger, which also has FBAV;
 *              newer builds: `… Safari/604.1 MetaIAB Facebook` (no FB token, and a Safari token on iOS)
 *   instagram  `Instagram 336.0.2.17.98 (iPhone15,2; …)` / `… Instagram 335.0.0.39.93 Android (…)`, or
 *              `MetaIAB Instagram` (the Android app appends it)
 *   tiktok     `musical_ly_34.5.0` / `trill_2022806050` / `BytedanceWebview/…`
 *   linkedin   `[LinkedInApp]/9.29` (the crawler is `LinkedInBot`, left to isbot)
 *   snapchat   `Snapchat/13.0.0.43`; older Android builds glue it to the Chrome token with no slash
 *              either: `Mobile Safari/537.36Snapchat10.74.6.0 (SM-G973U; …)`
 *   x          `Twitter for iPhone/10.48`, `Twitter for iPad/…`, `TwitterAndroid` (not `Twitterbot`)
 *   line       `Safari Line/14.9.0` / `Line/14.8.0/IAB` (case-sensitive: not `Linux`)
 *   wechat     `MicroMessenger/8.0.49(…)`
 *   gmail      `Gmail/6.0.240609` (iOS; Gmail on Android uses Chrome Custom Tabs, a plain Chrome UA)
 *
 * Apps append their token to the web view's own UA, usually after a space but not always (Snapchat
 * above), so a token may follow a digit or punctuation. `(?<![A-Za-z])` rather than `\b` says only
 * that it must not be the tail of a longer word; `\b` failed every token glued to a version number.
 * Case-sensitive throughout: the Snap preview bot says `snapchat;` and is left to isbot.
 *
 * Other app web views (the Google app `GSA/` on iOS, which sends a Safari token, …) are not named;
 * those with a generic web-view UA are caught by {@link isGenericWebView}.
 */
export const IN_APP_BROWSERS: ReadonlyArray<readonly [name: string, pattern: RegExp]> = [
  ["messenger", /(?<![A-Za-z])(?:FBAN\/Messenger|FB_IAB\/(?:Orca-Android|MESSENGER))/],
  ["facebook", /(?<![A-Za-z])(?:FB(?:AN|_IAB|AV)\/|MetaIAB Facebook\b)/],
  ["instagram", /(?<![A-Za-z])(?:Instagram \d|MetaIAB Instagram\b)/],
  ["tiktok", /(?<![A-Za-z])(?:musical_ly_|trill_\d|BytedanceWebview\/)/],
  ["linkedin", /\[LinkedInApp\]/],
  ["snapchat", /Snapchat\/?\d/],
  ["x", /(?<![A-Za-z])(?:Twitter for i(?:Phone|Pad)\b|TwitterAndroid\b)/],
  ["line", /(?<![A-Za-z])Line\/\d/],
  ["wechat", /(?<![A-Za-z])MicroMessenger\//],
  ["gmail", /(?<![A-Za-z])Gmail\/\d/],
];

/** What {@link classifyForRouting} calls an app's web view that no table entry names. */
export const GENERIC_WEBVIEW = "webview";

/**
 * Standalone browsers whose UAs look like an app's web view: Android browsers built on the system
 * WebView keep its `; wv)` (Opera Mini `OPR/…2254…`, Vivo, Huawei, Maxthon, 2345, Baidu browser,
 * Sleipnir), and a few iOS browsers leave out `Safari/` (Opera Touch `OPT/` 1.x, Firefox Focus 4,
 * UC, 360, Ecosia 3); some are rows of test/links/ua-corpus.ts, all are from public UA fixtures.
 * Not exhaustive: a browser missing here gets the interstitial, which still offers the store.
 */
const WEBVIEW_SHAPED_BROWSERS =
  /(?<![A-Za-z])(?:OPR|VivoBrowser|HuaweiBrowser|MxBrowser|Mb2345Browser|bdbrowser|Sleipnir|OPT|Focus|UCBrowser|QihooBrowser)\/|\(Ecosia ios@/;

/**
 * An app's embedded web view that the table doesn't name, from the UA's shape (hand-written: no
 * library gives this cheaply and right). Android System WebView adds `; wv)` to the platform
 * tokens (Android 5+); WKWebView (and the old UIWebView) on iOS sends Safari's UA without its
 * `Version/… Safari/…` tokens, while Safari, SFSafariViewController, Chrome (`CriOS/… Safari/`),
 * Firefox (`FxiOS/… Safari/`), Edge, Opera and the Google app all keep `Safari/`.
 *
 * inapp-spy has the same two rules (`Android.*wv\)`, `(iPhone|iPod|iPad)(?!.*Safari/)`) but not
 * exported, only behind `InAppSpy()`: its app regexes run first and are case-insensitive (the Snap
 * preview bot comes out as Snapchat), and its rules take Googlebot's `; wv)` smartphone UA, Opera
 * Mini and a native app's `CFNetwork` request (`ExampleApp/1 iPhone5,2 iOS/10_1 CFNetwork/…`) for
 * in-app browsers. ua-parser-js knows the Android one ("Chrome WebView"; iOS web views are just
 * "WebKit") but costs ~25 µs; bowser calls them "Chrome" and "Safari". So: `AppleWebKit/` is required on iOS (a web view, not a native
 * client), {@link WEBVIEW_SHAPED_BROWSERS} are excluded, and the caller asks isbot first.
 */
export function isGenericWebView(userAgent: string, os: Os): boolean {
  if (os === "android") return userAgent.includes("; wv)") && !WEBVIEW_SHAPED_BROWSERS.test(userAgent);
  if (os === "ios") {
    return (
      userAgent.includes("AppleWebKit/") && !userAgent.includes("Safari/") && !WEBVIEW_SHAPED_BROWSERS.test(userAgent)
    );
  }
  return false;
}

/** The in-app browser named by the UA (see {@link IN_APP_BROWSERS}), or null. */
export function detectInApp(userAgent: string): string | null {
  for (const [name, pattern] of IN_APP_BROWSERS) if (pattern.test(userAgent)) return name;
  return null;
}

const SAFARI_VERSION = /\bVersion\/(\d+(?:\.\d+)*)/;
/** Chromium browsers that are not Chrome but carry its "Chrome/" token. */
const OTHER_CHROMIUM = /\b(?:OPR|Silk|HuaweiBrowser|MiuiBrowser|YaBrowser|Vivaldi)\//;

const UNKNOWN: RoutingUa = {
  os: "other",
  deviceType: "desktop",
  browser: "other",
  inApp: null,
  crawler: false,
  safariVersion: null,
};

/**
 * Classifies a User-Agent for routing. Cheap by design (substring checks, one small regex table and
 * `isbot`); see the module comment. A missing or empty UA is an unknown desktop, not a crawler.
 */
export function classifyForRouting(ua: string | undefined): RoutingUa {
  if (!ua) return { ...UNKNOWN };
  const [os, deviceType] = platform(ua);
  const named = detectInApp(ua);
  // An in-app browser the table names is a person in a social app, never a preview crawler (those
  // send their own UAs: facebookexternalhit, Twitterbot, …). Skipping isbot there matters: in-app
  // UAs are the longest (TikTok's ~360 chars) and isbot's cost grows with length (~14 ns/char in
  // Node), while they are most of the traffic a link shared on social apps gets.
  const crawler = named === null && isbot(ua);
  // A generic web-view shape is no such proof (Googlebot's smartphone UA carries `; wv)`), so it
  // counts only for what isbot let through.
  const inApp = named ?? (!crawler && isGenericWebView(ua, os) ? GENERIC_WEBVIEW : null);
  return {
    os,
    deviceType,
    browser: inApp ?? (crawler ? "other" : browserName(ua, os)),
    inApp,
    crawler,
    safariVersion: os === "ios" || os === "macos" ? (SAFARI_VERSION.exec(ua)?.[1] ?? null) : null,
  };
}

/**
 * OS and form factor from the platform tokens, most specific first: iOS UAs also say "like Mac OS
 * X", Android UAs also say "Linux", and Windows Phone UAs claim both Android and iPhone.
 */
function platform(ua: string): [Os, DeviceType] {
  if (ua.includes("iPad")) return ["ios", "tablet"];
  if (ua.includes("Windows Phone")) return ["other", "phone"];
  if (ua.includes("iPhone") || ua.includes("iPod")) return ["ios", "phone"];
  // Android phones carry "Mobile" (Chrome: "Mobile Safari/…", Firefox: "Android 14; Mobile;");
  // tablets leave it out (Chrome on tablets, Firefox "Tablet;", Silk on Kindle Fire).
  if (ua.includes("Android")) return ["android", ua.includes("Mobile") ? "phone" : "tablet"];
  // iPadOS 13+ Safari requests desktop sites by default and then sends exactly the macOS Safari UA
  // ("Macintosh; Intel Mac OS X 10_15_7"); the UA alone cannot tell it from a Mac (only client-side
  // signals like navigator.maxTouchPoints can), so it is classified as a macOS desktop.
  if (ua.includes("Macintosh") || ua.includes("Mac OS X")) return ["macos", "desktop"];
  if (ua.includes("Windows")) return ["windows", "desktop"];
  // ChromeOS ("X11; CrOS x86_64 …") has no Os of its own; it is not a Linux desktop for the
  // product's purposes, so it is "other".
  if (ua.includes("CrOS")) return ["other", "desktop"];
  const os: Os = ua.includes("Linux") || ua.includes("X11") ? "linux" : "other";
  return [os, ua.includes("Mobile") ? "phone" : ua.includes("Tablet") ? "tablet" : "desktop"];
}

/** A short browser name; Chromium forks are checked before the "Chrome/" they all carry. */
function browserName(ua: string, os: Os): string {
  if (ua.includes("Edg/") || ua.includes("EdgA/") || ua.includes("EdgiOS/") || ua.includes("Edge/")) return "edge";
  if (ua.includes("SamsungBrowser/")) return "samsung";
  if (ua.includes("Firefox/") || ua.includes("FxiOS/")) return "firefox";
  if (ua.includes("CriOS/")) return "chrome";
  // Android WebView ("; wv)") and other Chromium browsers (Opera, Silk, Huawei, MIUI, …).
  if (ua.includes("Chrome/")) {
    return ua.includes("; wv)") || OTHER_CHROMIUM.test(ua) ? "other" : "chrome";
  }
  // Safari and SFSafariViewController: "Version/x.y … Safari/…" (WKWebViews have neither); the
  // pre-Chrome Android browser had both too, hence the OS check.
  if ((os === "ios" || os === "macos") && ua.includes("Safari/") && ua.includes("Version/")) return "safari";
  return "other";
}
