/**
 * Real User-Agent strings (as sent by the browsers, apps and crawlers named), with what the cheap
 * routing classification must say and the route a GET gets for a usable link whose appspace has
 * an App Store URL, an Android package and a web fallback configured.
 */
import type { DeviceType, LinkSnapshot, Os, Route } from "../../src/links/types";

export interface UaCase {
  name: string;
  ua: string;
  expected: { os: Os; deviceType: DeviceType; inApp: string | null; crawler: boolean };
  route: Route["kind"];
}

export const UA_CORPUS: readonly UaCase[] = [
  // ---------------------------------------------------------------- iOS / iPadOS browsers
  {
    name: "Safari, iOS 17.5 iPhone",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    expected: { os: "ios", deviceType: "phone", inApp: null, crawler: false },
    route: "ios_page",
  },
  {
    name: "Safari, iOS 26 iPhone (OS frozen at 18_6)",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1",
    expected: { os: "ios", deviceType: "phone", inApp: null, crawler: false },
    route: "ios_page",
  },
  {
    name: "Safari, iOS 18.0 iPhone",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
    expected: { os: "ios", deviceType: "phone", inApp: null, crawler: false },
    route: "ios_page",
  },
  {
    name: "Safari, iOS 16.6 iPhone",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    expected: { os: "ios", deviceType: "phone", inApp: null, crawler: false },
    route: "ios_page",
  },
  {
    name: "Safari, iOS 15.6.1 iPhone",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 15_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6.1 Mobile/15E148 Safari/604.1",
    expected: { os: "ios", deviceType: "phone", inApp: null, crawler: false },
    route: "ios_page",
  },
  {
    name: "Safari, iOS 14.8 iPhone",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 14_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.1.2 Mobile/15E148 Safari/604.1",
    expected: { os: "ios", deviceType: "phone", inApp: null, crawler: false },
    route: "ios_page",
  },
  {
    name: "Safari, iOS 12.5.7 iPhone",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 12_5_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1",
    expected: { os: "ios", deviceType: "phone", inApp: null, crawler: false },
    route: "ios_page",
  },
  {
    name: "Safari, iPod touch iOS 15.7",
    ua: "Mozilla/5.0 (iPod touch; CPU iPhone OS 15_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.7 Mobile/15E148 Safari/604.1",
    expected: { os: "ios", deviceType: "phone", inApp: null, crawler: false },
    route: "ios_page",
  },
  {
    name: "Safari, iPad iOS 12 (before iPadOS desktop mode)",
    ua: "Mozilla/5.0 (iPad; CPU OS 12_5_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1",
    expected: { os: "ios", deviceType: "tablet", inApp: null, crawler: false },
    route: "ios_page",
  },
  {
    name: "Safari, iPad mobile site requested (iPadOS 17)",
    ua: "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    expected: { os: "ios", deviceType: "tablet", inApp: null, crawler: false },
    route: "ios_page",
  },
  {
    name: "Safari, iPadOS 17 default desktop mode (indistinguishable from a Mac)",
    ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    expected: { os: "macos", deviceType: "desktop", inApp: null, crawler: false },
    route: "fallback",
  },
  {
    name: "Chrome (CriOS), iOS 17.5 iPhone",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
    expected: { os: "ios", deviceType: "phone", inApp: null, crawler: false },
    route: "ios_page",
  },
  {
    name: "Chrome (CriOS), iPad",
    ua: "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
    expected: { os: "ios", deviceType: "tablet", inApp: null, crawler: false },
    route: "ios_page",
  },
  {
    name: "Firefox (FxiOS), iOS 17.5 iPhone",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/127.0 Mobile/15E148 Safari/605.1.15",
    expected: { os: "ios", deviceType: "phone", inApp: null, crawler: false },
    route: "ios_page",
  },
  {
    name: "Edge (EdgiOS), iOS 17.5 iPhone",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/125.2535.60 Mobile/15E148 Safari/604.1",
    expected: { os: "ios", deviceType: "phone", inApp: null, crawler: false },
    route: "ios_page",
  },
  // inapp-spy src/tests/mobile.ts (not in-app)
  {
    name: "Opera (OPT), iOS 18",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1 OPT/5.0.7",
    expected: { os: "ios", deviceType: "phone", inApp: null, crawler: false },
    route: "ios_page",
  },
  // inapp-spy src/tests/mobile.ts (not in-app)
  {
    name: "Yandex Browser, iOS 18",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 YaBrowser/24.7.7.799.10 SA/3 Mobile/15E148 Safari/604.1",
    expected: { os: "ios", deviceType: "phone", inApp: null, crawler: false },
    route: "ios_page",
  },
  // isbot fixtures/browsers.yml
  {
    name: "Opera Touch 1.x, iPad (a browser without Safari/)",
    ua: "Mozilla/5.0 (iPad; CPU OS 12_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) OPT/1.11.0 Mobile/15E148",
    expected: { os: "ios", deviceType: "tablet", inApp: null, crawler: false },
    route: "ios_page",
  },
  // isbot fixtures/browsers.yml
  {
    name: "Firefox Focus 4, iOS 11 (a browser without Safari/)",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 11_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Focus/4.1 Mobile/15G77",
    expected: { os: "ios", deviceType: "phone", inApp: null, crawler: false },
    route: "ios_page",
  },
  {
    name: "Google app (GSA), iOS — not in the in-app list",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/322.0.648915268 Mobile/15E148 Safari/604.1",
    expected: { os: "ios", deviceType: "phone", inApp: null, crawler: false },
    route: "ios_page",
  },

  // ---------------------------------------------------------------- Android browsers
  {
    name: "Chrome, Android phone (reduced UA)",
    ua: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
    expected: { os: "android", deviceType: "phone", inApp: null, crawler: false },
    route: "play_store",
  },
  {
    name: "Chrome, Pixel 8 Pro (full UA)",
    ua: "Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
    expected: { os: "android", deviceType: "phone", inApp: null, crawler: false },
    route: "play_store",
  },
  {
    name: "Chrome, Moto G7 Power Android 9",
    ua: "Mozilla/5.0 (Linux; Android 9; moto g(7) power) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/108.0.0.0 Mobile Safari/537.36",
    expected: { os: "android", deviceType: "phone", inApp: null, crawler: false },
    route: "play_store",
  },
  {
    name: "Chrome, Android tablet (reduced UA)",
    ua: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    expected: { os: "android", deviceType: "tablet", inApp: null, crawler: false },
    route: "play_store",
  },
  {
    name: "Chrome, Galaxy Tab S9",
    ua: "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36",
    expected: { os: "android", deviceType: "tablet", inApp: null, crawler: false },
    route: "play_store",
  },
  {
    name: "Samsung Internet, Galaxy S24 Ultra",
    ua: "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
    expected: { os: "android", deviceType: "phone", inApp: null, crawler: false },
    route: "play_store",
  },
  {
    name: "Samsung Internet, Galaxy Tab S9 Ultra",
    ua: "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-X910) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Safari/537.36",
    expected: { os: "android", deviceType: "tablet", inApp: null, crawler: false },
    route: "play_store",
  },
  // ua-parser-js test/data/ua/device/motorola.json
  {
    name: "Opera Mini, Android 14 (built on WebView: '; wv)')",
    ua: "Mozilla/5.0 (Linux; U; Android 14; moto g24 power Build/UTAS34.82-97-1; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/133.0.6943.138 Mobile Safari/537.36 OPR/89.0.2254.76420",
    expected: { os: "android", deviceType: "phone", inApp: null, crawler: false },
    route: "play_store",
  },
  // ua-parser-js test/data/ua/browser/browser-all.json
  {
    name: "Vivo Browser, Android 13 (built on WebView: '; wv)')",
    ua: "Mozilla/5.0 (Linux; Android 13; 23049RAD8C; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/87.0.4280.141 Mobile Safari/537.36 VivoBrowser/16.7.1.1",
    expected: { os: "android", deviceType: "phone", inApp: null, crawler: false },
    route: "play_store",
  },
  // ua-parser-js test/data/ua/device/sony.json
  {
    name: "Sleipnir, Xperia 10 IV Android 12 (built on WebView: '; wv)')",
    ua: "Mozilla/5.0 (Linux; Android 12; XQ-BT44 Build/62.1.A.1.227; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/101.0.4951.61 Mobile Safari/537.36 Sleipnir/3.6.0",
    expected: { os: "android", deviceType: "phone", inApp: null, crawler: false },
    route: "play_store",
  },
  {
    name: "Firefox, Android phone",
    ua: "Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0",
    expected: { os: "android", deviceType: "phone", inApp: null, crawler: false },
    route: "play_store",
  },
  {
    name: "Firefox, Android tablet",
    ua: "Mozilla/5.0 (Android 13; Tablet; rv:127.0) Gecko/127.0 Firefox/127.0",
    expected: { os: "android", deviceType: "tablet", inApp: null, crawler: false },
    route: "play_store",
  },
  {
    name: "Edge (EdgA), Android phone",
    ua: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36 EdgA/125.0.2535.51",
    expected: { os: "android", deviceType: "phone", inApp: null, crawler: false },
    route: "play_store",
  },
  {
    name: "Opera, Android phone",
    ua: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 OPR/82.0.4342.79421",
    expected: { os: "android", deviceType: "phone", inApp: null, crawler: false },
    route: "play_store",
  },
  {
    name: "Silk, Kindle Fire HD 10",
    ua: "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/125.3.4 like Chrome/125.0.6422.113 Safari/537.36",
    expected: { os: "android", deviceType: "tablet", inApp: null, crawler: false },
    route: "play_store",
  },
  {
    name: "Huawei Browser, HarmonyOS phone",
    ua: "Mozilla/5.0 (Linux; Android 10; HarmonyOS; ELS-NX9; HMSCore 6.13.0.302) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.5735.196 HuaweiBrowser/15.0.4.312 Mobile Safari/537.36",
    expected: { os: "android", deviceType: "phone", inApp: null, crawler: false },
    route: "play_store",
  },
  {
    name: "MIUI Browser, Xiaomi 12T",
    ua: "Mozilla/5.0 (Linux; U; Android 13; en-us; 22071212AG Build/TKQ1.220829.002) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/112.0.5615.136 Mobile Safari/537.36 XiaoMi/MiuiBrowser/14.6.0-gn",
    expected: { os: "android", deviceType: "phone", inApp: null, crawler: false },
    route: "play_store",
  },
  {
    name: "Edge Mobile, Windows 10 Mobile (claims Android and iPhone)",
    ua: "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063",
    expected: { os: "other", deviceType: "phone", inApp: null, crawler: false },
    route: "fallback",
  },

  // ---------------------------------------------------------------- desktop browsers
  {
    name: "Chrome, Windows 10/11",
    ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    expected: { os: "windows", deviceType: "desktop", inApp: null, crawler: false },
    route: "fallback",
  },
  {
    name: "Chrome 109, Windows 7",
    ua: "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
    expected: { os: "windows", deviceType: "desktop", inApp: null, crawler: false },
    route: "fallback",
  },
  {
    name: "Edge, Windows",
    ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
    expected: { os: "windows", deviceType: "desktop", inApp: null, crawler: false },
    route: "fallback",
  },
  {
    name: "Firefox, Windows",
    ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    expected: { os: "windows", deviceType: "desktop", inApp: null, crawler: false },
    route: "fallback",
  },
  {
    name: "Opera, Windows",
    ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 OPR/111.0.0.0",
    expected: { os: "windows", deviceType: "desktop", inApp: null, crawler: false },
    route: "fallback",
  },
  {
    name: "Internet Explorer 11, Windows 10",
    ua: "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
    expected: { os: "windows", deviceType: "desktop", inApp: null, crawler: false },
    route: "fallback",
  },
  {
    name: "Safari 17.4.1, macOS",
    ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    expected: { os: "macos", deviceType: "desktop", inApp: null, crawler: false },
    route: "fallback",
  },
  {
    name: "Chrome, macOS",
    ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    expected: { os: "macos", deviceType: "desktop", inApp: null, crawler: false },
    route: "fallback",
  },
  {
    name: "Firefox, macOS",
    ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0",
    expected: { os: "macos", deviceType: "desktop", inApp: null, crawler: false },
    route: "fallback",
  },
  {
    name: "Edge, macOS",
    ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
    expected: { os: "macos", deviceType: "desktop", inApp: null, crawler: false },
    route: "fallback",
  },
  {
    name: "Chrome, Linux (also Android Chrome's 'desktop site')",
    ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    expected: { os: "linux", deviceType: "desktop", inApp: null, crawler: false },
    route: "fallback",
  },
  {
    name: "Firefox, Ubuntu",
    ua: "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    expected: { os: "linux", deviceType: "desktop", inApp: null, crawler: false },
    route: "fallback",
  },
  {
    name: "Chrome, ChromeOS",
    ua: "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: false },
    route: "fallback",
  },

  // ---------------------------------------------------------------- in-app browsers
  {
    name: "Instagram, iOS",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 336.0.2.17.98 (iPhone15,2; iOS 17_5; en_US; en; scale=3.00; 1179x2556; 609866112; IABMV/1)",
    expected: { os: "ios", deviceType: "phone", inApp: "instagram", crawler: false },
    route: "interstitial",
  },
  // inapp-spy src/tests/mobile.ts
  {
    name: "Instagram, iOS 18 (trailing Safari token)",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/22F76 Instagram 393.1.0.36.70 (iPhone15,3; iOS 18_5; en_US; en; scale=3.00; 1290x2796; IABMV/1; 776538208) Safari/604.1)",
    expected: { os: "ios", deviceType: "phone", inApp: "instagram", crawler: false },
    route: "interstitial",
  },
  {
    name: "Instagram, iPad",
    ua: "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 295.0.0.20.108 (iPad13,4; iPadOS 16_6; en_US; en; scale=2.00; 1668x2388; 498421880)",
    expected: { os: "ios", deviceType: "tablet", inApp: "instagram", crawler: false },
    route: "interstitial",
  },
  {
    name: "Instagram, Android",
    ua: "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/125.0.6422.165 Mobile Safari/537.36 Instagram 335.0.0.39.93 Android (34/14; 480dpi; 1080x2115; samsung; SM-S918B; dm3q; qcom; en_US; 606558400)",
    expected: { os: "android", deviceType: "phone", inApp: "instagram", crawler: false },
    route: "interstitial",
  },
  {
    name: "Facebook (FBAN/FBIOS), iOS 17",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/469.0.0.36.101;FBBV/604848524;FBDV/iPhone16,1;FBMD/iPhone;FBSN/iOS;FBSV/17.5;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/606558400;IABMV/1]",
    expected: { os: "ios", deviceType: "phone", inApp: "facebook", crawler: false },
    route: "interstitial",
  },
  {
    name: "Facebook (FBAN/FBIOS, no IABMV), iOS 13",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 13_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBDV/iPhone11,8;FBMD/iPhone;FBSN/iOS;FBSV/13.3.1;FBSS/2;FBID/phone;FBLC/en_US;FBOP/5;FBCR/]",
    expected: { os: "ios", deviceType: "phone", inApp: "facebook", crawler: false },
    route: "interstitial",
  },
  {
    name: "Facebook, iPad",
    ua: "Mozilla/5.0 (iPad; CPU OS 16_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/440.0.0.32.109;FBBV/549052435;FBDV/iPad7,5;FBMD/iPad;FBSN/iPadOS;FBSV/16.7;FBSS/2;FBID/tablet;FBLC/en_US;FBOP/5;FBRV/0]",
    expected: { os: "ios", deviceType: "tablet", inApp: "facebook", crawler: false },
    route: "interstitial",
  },
  {
    name: "Facebook (FB_IAB/FB4A), Android",
    ua: "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/114.0.5735.196 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/420.0.0.32.61;]",
    expected: { os: "android", deviceType: "phone", inApp: "facebook", crawler: false },
    route: "interstitial",
  },
  {
    name: "Facebook (FB_IAB/FB4A, IABMV), Android Pixel 7",
    ua: "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/AP1A.240505.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/125.0.6422.53 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/466.1.0.57.85;IABMV/1;]",
    expected: { os: "android", deviceType: "phone", inApp: "facebook", crawler: false },
    route: "interstitial",
  },
  {
    name: "Facebook Lite (FBAN/EMA), Android",
    ua: "Mozilla/5.0 (Linux; Android 11; RMX2185 Build/RP1A.201005.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/118.0.5993.111 Mobile Safari/537.36 [FBAN/EMA;FBLC/en_US;FBAV/382.0.0.11.115;]",
    expected: { os: "android", deviceType: "phone", inApp: "facebook", crawler: false },
    route: "interstitial",
  },
  // inapp-spy src/tests/mobile.ts
  {
    name: "Facebook (MetaIAB), iOS 18 (a Safari token, no FBAN)",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/22G100 Safari/604.1 MetaIAB Facebook",
    expected: { os: "ios", deviceType: "phone", inApp: "facebook", crawler: false },
    route: "interstitial",
  },
  // isbot fixtures/browsers.yml
  {
    name: "Facebook (MetaIAB), Android 16",
    ua: "Mozilla/5.0 (Linux; Android 16; Pixel 10 Pro XL Build/CP1A.260305.018; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/146.0.7680.174 Mobile Safari/537.36 MetaIAB Facebook",
    expected: { os: "android", deviceType: "phone", inApp: "facebook", crawler: false },
    route: "interstitial",
  },
  {
    name: "Messenger (FBAN/MessengerForiOS), iOS",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/MessengerForiOS;FBAV/431.0.0.36.107;FBBV/516383427;FBDV/iPhone13,2;FBMD/iPhone;FBSN/iOS;FBSV/16.6;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/0]",
    expected: { os: "ios", deviceType: "phone", inApp: "messenger", crawler: false },
    route: "interstitial",
  },
  {
    name: "Messenger (FB_IAB/Orca-Android), Android",
    ua: "Mozilla/5.0 (Linux; Android 13; SM-S918U Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/125.0.0.0 Mobile Safari/537.36 [FB_IAB/Orca-Android;FBAV/437.0.0.27.118;]",
    expected: { os: "android", deviceType: "phone", inApp: "messenger", crawler: false },
    route: "interstitial",
  },
  {
    name: "TikTok (musical_ly), iOS",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_34.5.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US ByteFullLocale/en-US isDarkMode/1 WKWebView/1 RevealType/Dialog BytedanceWebview/d8a21c6",
    expected: { os: "ios", deviceType: "phone", inApp: "tiktok", crawler: false },
    route: "interstitial",
  },
  // inapp-spy src/tests/mobile.ts
  {
    name: "TikTok (musical_ly), iOS 18 (Safari token before the app's)",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari/604.1 musical_ly_41.9.0",
    expected: { os: "ios", deviceType: "phone", inApp: "tiktok", crawler: false },
    route: "interstitial",
  },
  {
    name: "TikTok (musical_ly), Android",
    ua: "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240605.024; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.71 Mobile Safari/537.36 musical_ly_2023405020 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/musical_ly app_version/34.5.2 ByteLocale/en ByteFullLocale/en Region/US Spark/1.5.8.3-bugfix AppVersion/34.5.2 BytedanceWebview/d8a21c6",
    expected: { os: "android", deviceType: "phone", inApp: "tiktok", crawler: false },
    route: "interstitial",
  },
  {
    name: "TikTok (trill), Android",
    ua: "Mozilla/5.0 (Linux; Android 12; SM-G991U Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/108.0.5359.128 Mobile Safari/537.36 trill_2022806050 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/trill app_version/28.6.5 ByteLocale/en ByteFullLocale/en Region/US Spark/1.2.7-alpha.8 AppVersion/28.6.5 BytedanceWebview/d8a21c6",
    expected: { os: "android", deviceType: "phone", inApp: "tiktok", crawler: false },
    route: "interstitial",
  },
  {
    name: "LinkedIn, iOS",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.9208",
    expected: { os: "ios", deviceType: "phone", inApp: "linkedin", crawler: false },
    route: "interstitial",
  },
  {
    name: "LinkedIn, Android",
    ua: "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/AP2A.240605.024; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.71 Mobile Safari/537.36 [LinkedInApp]/4.1.948",
    expected: { os: "android", deviceType: "phone", inApp: "linkedin", crawler: false },
    route: "interstitial",
  },
  {
    name: "Snapchat, iOS",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Snapchat/13.0.0.43 (like Safari/8618.2.12.10.5, panda)",
    expected: { os: "ios", deviceType: "phone", inApp: "snapchat", crawler: false },
    route: "interstitial",
  },
  {
    name: "Snapchat, Android (token glued to Safari/537.36)",
    ua: "Mozilla/5.0 (Linux; Android 13; SM-S901B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/114.0.5735.60 Mobile Safari/537.36Snapchat/12.39.0.43 (SM-S901B; Android 13#S901BXXU2CWD9#33; gzip; )",
    expected: { os: "android", deviceType: "phone", inApp: "snapchat", crawler: false },
    route: "interstitial",
  },
  // isbot fixtures/browsers.yml (there 2020–2024)
  {
    name: "Snapchat, Android (glued to Safari/537.36 without a slash)",
    ua: "Mozilla/5.0 (Linux; Android 10; SM-G973U Build/QP1A.190711.020; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/79.0.3945.136 Mobile Safari/537.36Snapchat10.74.6.0 (SM-G973U; Android 10#G973USQS2CSL1#29; gzip)",
    expected: { os: "android", deviceType: "phone", inApp: "snapchat", crawler: false },
    route: "interstitial",
  },
  // isbot fixtures/browsers.yml (there 2020–2024)
  {
    name: "Snapchat, LG Q710AL Android 8.1 (glued, no slash)",
    ua: "Mozilla/5.0 (Linux; Android 8.1.0; LG-Q710AL Build/O11019; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/73.0.3683.90 Mobile Safari/537.36Snapchat10.54.0.31 (LG-Q710AL; Android 8.1.0#1916317118700#27; gzip)",
    expected: { os: "android", deviceType: "phone", inApp: "snapchat", crawler: false },
    route: "interstitial",
  },
  {
    name: "X (Twitter for iPhone), iOS",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Twitter for iPhone/10.48",
    expected: { os: "ios", deviceType: "phone", inApp: "x", crawler: false },
    route: "interstitial",
  },
  {
    name: "X (Twitter for iPad), iPadOS",
    ua: "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Twitter for iPad/10.48",
    expected: { os: "ios", deviceType: "tablet", inApp: "x", crawler: false },
    route: "interstitial",
  },
  {
    name: "X (TwitterAndroid web view), Android",
    ua: "Mozilla/5.0 (Linux; Android 13; SM-G991B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/112.0.5615.135 Mobile Safari/537.36 TwitterAndroid",
    expected: { os: "android", deviceType: "phone", inApp: "x", crawler: false },
    route: "interstitial",
  },
  {
    name: "LINE, iOS",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/14.9.0",
    expected: { os: "ios", deviceType: "phone", inApp: "line", crawler: false },
    route: "interstitial",
  },
  {
    name: "LINE, Android",
    ua: "Mozilla/5.0 (Linux; Android 13; SM-A525F Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/125.0.6422.165 Mobile Safari/537.36 Line/14.8.0/IAB",
    expected: { os: "android", deviceType: "phone", inApp: "line", crawler: false },
    route: "interstitial",
  },
  {
    name: "WeChat, iOS",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN",
    expected: { os: "ios", deviceType: "phone", inApp: "wechat", crawler: false },
    route: "interstitial",
  },
  {
    name: "WeChat (XWEB), Android",
    ua: "Mozilla/5.0 (Linux; Android 12; V2134A Build/SP1A.210812.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5127 MMWEBSDK/20230405 MMWEBID/2837 MicroMessenger/8.0.35.2360(0x2800235B) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64",
    expected: { os: "android", deviceType: "phone", inApp: "wechat", crawler: false },
    route: "interstitial",
  },
  {
    name: "WeChat, Windows desktop (in-app, but no store to protect)",
    ua: "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.138 Safari/537.36 NetType/WIFI MicroMessenger/7.0.20.1781(0x6700143B) WindowsWechat(0x63090a13) XWEB/8519 Flue",
    expected: { os: "windows", deviceType: "desktop", inApp: "wechat", crawler: false },
    route: "fallback",
  },
  {
    name: "Gmail, iOS",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Gmail/6.0.240609",
    expected: { os: "ios", deviceType: "phone", inApp: "gmail", crawler: false },
    route: "interstitial",
  },

  // ---------------------------------------------------------------- app web views no table entry names
  // Android System WebView adds "; wv)"; WKWebView on iOS sends no "Version/… Safari/…" tokens.
  {
    name: "Android System WebView (generic app)",
    ua: "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/125.0.6422.165 Mobile Safari/537.36",
    expected: { os: "android", deviceType: "phone", inApp: "webview", crawler: false },
    route: "interstitial",
  },
  // ua-parser-js test/data/ua/browser/browser-all.json ("Chrome WebView"), also isbot fixtures/browsers.yml
  {
    name: "Android WebView, Nexus 5 (Android 5.1.1)",
    ua: "Mozilla/5.0 (Linux; Android 5.1.1; Nexus 5 Build/LMY48B; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/43.0.2357.65 Mobile Safari/537.36",
    expected: { os: "android", deviceType: "phone", inApp: "webview", crawler: false },
    route: "interstitial",
  },
  // isbot fixtures/browsers.yml
  {
    name: "Android WebView, Redmi Note 5",
    ua: "Mozilla/5.0 (Linux; Android 6.0.1; RedMi Note 5 Build/RB3N5C; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/68.0.3440.91 Mobile Safari/537.36",
    expected: { os: "android", deviceType: "phone", inApp: "webview", crawler: false },
    route: "interstitial",
  },
  // ua-parser-js test/data/ua/device/motorola.json
  {
    name: "Android WebView, motorola edge 40 (Android 14)",
    ua: "Mozilla/5.0 (Linux; Android 14; motorola edge 40 Build/U1TL34.115-16-1-7; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.104 Mobile Safari/537.36",
    expected: { os: "android", deviceType: "phone", inApp: "webview", crawler: false },
    route: "interstitial",
  },
  // ua-parser-js test/data/ua/device/nothing.json
  {
    name: "Android WebView, Nothing Phone (2a) (Android 14)",
    ua: "Mozilla/5.0 (Linux; Android 14; A142 Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.71 Mobile Safari/537.36",
    expected: { os: "android", deviceType: "phone", inApp: "webview", crawler: false },
    route: "interstitial",
  },
  // ua-parser-js test/data/ua/device/lenovo.json
  {
    name: "Android WebView, Lenovo Tab M11 (Android 14 tablet)",
    ua: "Mozilla/5.0 (Linux; Android 14; TB330FU Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.60 Safari/537.36",
    expected: { os: "android", deviceType: "tablet", inApp: "webview", crawler: false },
    route: "interstitial",
  },
  // ua-parser-js test/data/ua/device/cat.json
  {
    name: "Google app (GSA), Android web view",
    ua: "Mozilla/5.0 (Linux; Android 11; S62 Pro Build/RKQ1.210406.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/94.0.4606.85 Mobile Safari/537.36 GSA/12.34.17.23.arm64",
    expected: { os: "android", deviceType: "phone", inApp: "webview", crawler: false },
    route: "interstitial",
  },
  // isbot fixtures/browsers.yml
  {
    name: "Pinterest, Android",
    ua: "Mozilla/5.0 (Linux; Android 9; STF-L09 Build/HUAWEISTF-L09; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/79.0.3945.79 Mobile Safari/537.36 [Pinterest/Android]",
    expected: { os: "android", deviceType: "phone", inApp: "webview", crawler: false },
    route: "interstitial",
  },
  // inapp-spy src/tests/mobile.ts
  {
    name: "Threads (Barcelona), Android",
    ua: "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240905.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.58 Mobile Safari/537.36 Barcelona 355.0.0.39.109 Android (34/14; 420dpi; 1080x2205; Google/google; Pixel 8; shiba; shiba; en_US; 657318936)",
    expected: { os: "android", deviceType: "phone", inApp: "webview", crawler: false },
    route: "interstitial",
  },
  // ua-parser-js test/data/ua/browser/browser-all.json
  {
    name: "Bing app, Android",
    ua: "Mozilla/5.0 (Linux; Android 9; MIX 2 Build/PKQ1.190118.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4893.0 Mobile Safari/537.36 BingWeb/6.9.12",
    expected: { os: "android", deviceType: "phone", inApp: "webview", crawler: false },
    route: "interstitial",
  },
  // ua-parser-js test/data/ua/browser/browser-all.json
  {
    name: "KakaoTalk, Android (token glued with ';')",
    ua: "Mozilla/5.0 (Linux; Android 12; SM-G988N Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.79 Mobile Safari/537.36;KAKAOTALK 2409760",
    expected: { os: "android", deviceType: "phone", inApp: "webview", crawler: false },
    route: "interstitial",
  },
  {
    name: "Generic WKWebView, iOS 17.5",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    expected: { os: "ios", deviceType: "phone", inApp: "webview", crawler: false },
    route: "interstitial",
  },
  // isbot fixtures/browsers.yml ("Webkit")
  {
    name: "Generic WKWebView, iOS 12.2",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    expected: { os: "ios", deviceType: "phone", inApp: "webview", crawler: false },
    route: "interstitial",
  },
  // isbot fixtures/browsers.yml ("Webkit")
  {
    name: "Generic WKWebView, iPad iOS 11",
    ua: "Mozilla/5.0 (iPad; CPU OS 11_2_5 like Mac OS X) AppleWebKit/604.5.6 (KHTML, like Gecko) Mobile/15D60",
    expected: { os: "ios", deviceType: "tablet", inApp: "webview", crawler: false },
    route: "interstitial",
  },
  // isbot fixtures/browsers.yml
  {
    name: "Gemini app (GoogleWv WKWebView), iOS",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 26_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 GoogleWv/1.0 (WKWebView) GeminiiOS/1.2026.2270600",
    expected: { os: "ios", deviceType: "phone", inApp: "webview", crawler: false },
    route: "interstitial",
  },
  // ua-parser-js test/data/ua/browser/browser-all.json
  {
    name: "Klarna, iOS",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Klarna/23.36.223",
    expected: { os: "ios", deviceType: "phone", inApp: "webview", crawler: false },
    route: "interstitial",
  },
  // isbot fixtures/browsers.yml
  {
    name: "Baidu app, iOS",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 13_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 SP-engine/2.16.0 main/1.0 baiduboxapp/11.20.0.17 (Baidu; P2 13.3.1) NABar/1.0",
    expected: { os: "ios", deviceType: "phone", inApp: "webview", crawler: false },
    route: "interstitial",
  },

  // ---------------------------------------------------------------- link-preview crawlers and bots
  {
    name: "facebookexternalhit (Facebook, Instagram, Messenger, WhatsApp previews)",
    ua: "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "iMessage link preview",
    ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
    expected: { os: "macos", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "Twitterbot",
    ua: "Twitterbot/1.0",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "Slackbot link expanding",
    ua: "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "Slack image proxy",
    ua: "Slack-ImgProxy (+https://api.slack.com/robots)",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "LinkedInBot",
    ua: "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "WhatsApp preview, Android",
    ua: "WhatsApp/2.24.12.78 A",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "WhatsApp preview, iOS",
    ua: "WhatsApp/2.24.12.78 i",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "TelegramBot",
    ua: "TelegramBot (like TwitterBot)",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "Discordbot",
    ua: "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "Applebot",
    ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
    expected: { os: "macos", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "Googlebot (desktop)",
    ua: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "Googlebot Smartphone (an Android phone UA, still a crawler)",
    ua: "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    expected: { os: "android", deviceType: "phone", inApp: null, crawler: true },
    route: "preview",
  },
  // isbot fixtures/downloaded/myip.ms.json
  {
    name: "Googlebot Smartphone with a WebView UA ('; wv)')",
    ua: "Mozilla/5.0 (Linux; Android 13; Pixel 9 Pro Build/TQ3A.240321.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/144.0.7559.132 Chrome/144.0.7559.132 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    expected: { os: "android", deviceType: "phone", inApp: null, crawler: true },
    route: "preview",
  },
  // isbot fixtures/downloaded/matomo-org.json
  {
    name: "DeepCrawl with a WebView UA ('; wv)')",
    ua: "Mozilla/5.0 (Linux; Android 7.0; SM-G892A Build/NRD90M; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/60.0.3112.107 Mobile Safari/537.36 https://deepcrawl.com/bot",
    expected: { os: "android", deviceType: "phone", inApp: null, crawler: true },
    route: "preview",
  },
  // isbot fixtures/downloaded/myip.ms.json
  {
    name: "Yahoo! Slurp, iPhone UA without Safari",
    ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 7_1 like Mac OS X) AppleWebKit (KHTML, like Gecko) Mobile (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
    expected: { os: "ios", deviceType: "phone", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "bingbot",
    ua: "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "Skype / Teams URL preview",
    ua: "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
    expected: { os: "windows", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "Pinterestbot",
    ua: "Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "redditbot",
    ua: "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "Snapchat URL preview service",
    ua: "Mozilla/5.0 (compatible; Snap URL Preview Service; bot; snapchat; https://developers.snap.com/robots)",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "YandexBot",
    ua: "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "DuckDuckBot",
    ua: "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "Embedly",
    ua: "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "Mastodon link preview",
    ua: "Mastodon/4.2.8 (http.rb/5.1.1; +https://mastodon.social/)",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "curl",
    ua: "curl/8.7.1",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
  {
    name: "python-requests",
    ua: "python-requests/2.32.3",
    expected: { os: "other", deviceType: "desktop", inApp: null, crawler: true },
    route: "preview",
  },
];

/** The clock the corpus routes at. */
export const CORPUS_NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

/** The link the corpus's `route` is for: pending, unexpired, every store and fallback configured. */
export const CORPUS_LINK: LinkSnapshot = {
  code: "K7M2Q9XR4T",
  appspaceId: "as_corpus",
  domains: ["links.example.com"],
  status: "pending",
  expiresAt: CORPUS_NOW + 86_400_000,
  referrerName: "Ada",
  landing: null,
  app: {
    iosAppStoreUrl: "https://apps.apple.com/app/id1234567890",
    androidPackage: "com.example.app",
    webFallbackUrl: "https://example.com/download",
    ogTitle: "Ada invited you",
    ogDescription: null,
    ogImageUrl: null,
  },
};
