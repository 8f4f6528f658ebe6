/**
 * The full User-Agent parse for click analytics. It costs ~25 µs per call (bench/ua.ts), so it runs
 * in the click consumer (queue), never on the /ref/:code hot path, which uses `classifyForRouting`.
 *
 * Library: ua-parser-js 1.x rather than bowser. Both are MIT (the 1.x line; ua-parser-js 2.x is
 * AGPL, so it stays pinned to 1.x) and both run in workerd, but ua-parser-js resolves device vendor
 * and model for far more devices (e.g. "Samsung" / "SM-A536B" from a bare Android UA), reports OS
 * and browser versions for more browsers, and names the in-app browsers (Instagram, Facebook,
 * WeChat, Line, TikTok, …) as the browser. Its speed deficit (~21 µs against bowser's ~14 µs per
 * call over the corpus) does not matter off the hot path.
 *
 * `inApp` and `crawler` come from the same cheap classification the router used, so analytics and
 * routing always agree on them; `deviceType` falls back to it when ua-parser-js has no answer
 * (desktops, unknown Android models, iPadOS in desktop mode).
 */
// Default import: ua-parser-js 1.x is CommonJS (`module.exports = UAParser`); workerd's CJS interop
// exposes no named `UAParser` export.
import UAParser from "ua-parser-js";
import { classifyForRouting } from "./device";
import type { DeviceType } from "./types";

export interface ParsedUserAgent {
  /** ua-parser-js's OS name: "iOS", "Android", "Mac OS", "Windows", "Linux", "Chromium OS", … */
  os: string | null;
  osVersion: string | null;
  /** ua-parser-js's browser name: "Mobile Safari", "Chrome", "Instagram", "Facebook", … */
  browser: string | null;
  browserVersion: string | null;
  deviceType: DeviceType;
  /** "Apple", "Samsung", "Google", … */
  deviceVendor: string | null;
  /** "iPhone", "SM-A536B", "Pixel 8", … */
  deviceModel: string | null;
  /** As in `RoutingUa.inApp`. */
  inApp: string | null;
  crawler: boolean;
}

/**
 * Chrome's reduced User-Agent replaces the Android model with this fixed placeholder
 * ("Linux; Android 10; K"); it names no device.
 */
const REDUCED_UA_MODEL = "K";

export function parseUserAgent(ua: string | undefined): ParsedUserAgent {
  const routing = classifyForRouting(ua);
  if (!ua) {
    return {
      os: null,
      osVersion: null,
      browser: null,
      browserVersion: null,
      deviceType: routing.deviceType,
      deviceVendor: null,
      deviceModel: null,
      inApp: null,
      crawler: false,
    };
  }
  const { os, browser, device } = new UAParser(ua).getResult();
  return {
    os: os.name ?? null,
    osVersion: os.version ?? null,
    browser: browser.name ?? null,
    browserVersion: browser.version ?? null,
    deviceType: deviceTypeOf(device.type) ?? routing.deviceType,
    deviceVendor: device.vendor ?? null,
    deviceModel: device.model === undefined || device.model === REDUCED_UA_MODEL ? null : device.model,
    inApp: routing.inApp,
    crawler: routing.crawler,
  };
}

/** ua-parser-js device types; the rest (console, smarttv, embedded, xr, none) defer to the cheap one. */
function deviceTypeOf(type: string | undefined): DeviceType | null {
  if (type === "mobile" || type === "wearable") return "phone";
  if (type === "tablet") return "tablet";
  return null;
}
