/**
 * The routing decision of GET/HEAD /ref/:code, as a pure function of the request method, the
 * cheap UA classification, the link snapshot and the clock.
 *
 * No open redirect: every destination comes from the snapshot (the appspace's settings) or the
 * host's configured fallback, never from the request; the token only ever lands inside the Play
 * Store URL's percent-encoded `referrer` parameter.
 */
import type { LinkSnapshot, Route, RoutingUa } from "./types";

export interface RouteInput {
  method: string;
  ua: RoutingUa;
  /** The link's snapshot, or null when the code is unknown. */
  link: LinkSnapshot | null;
  /** Epoch milliseconds. */
  now: number;
  /** Carried to the app through the Play Store install referrer as `tolk_token=<token>`. */
  token: string;
  /** The deployment's fallback when the link's appspace has none (or the code is unknown). */
  hostFallbackUrl: string | null;
}

export function decideRoute(input: RouteInput): Route {
  const { ua, link, hostFallbackUrl } = input;
  if (input.method.toUpperCase() === "HEAD") return { kind: "head" };
  if (link === null) return fallback(present(hostFallbackUrl), false);
  const { app, landing } = link;
  if (!isLinkUsable(link, input.now)) return fallback(present(app.webFallbackUrl) ?? present(hostFallbackUrl), false);
  if (ua.crawler) return { kind: "preview" };
  // A Link API link lands on its target URL, unless its promotion routes phones to the stores.
  const webFallback = landing ? landing.targetUrl : (present(app.webFallbackUrl) ?? present(hostFallbackUrl));
  const toStores = landing === null || landing.appRouting;

  if (toStores && (ua.os === "ios" || ua.os === "android")) {
    const storeUrl = ua.os === "ios" ? present(app.iosAppStoreUrl) : androidStoreUrl(app.androidPackage, input.token);
    if (ua.inApp !== null) return { kind: "interstitial", storeUrl, os: ua.os };
    if (storeUrl === null) return fallback(webFallback, true);
    return ua.os === "ios" ? { kind: "ios_page", storeUrl } : { kind: "play_store", url: storeUrl };
  }
  return fallback(webFallback, true);
}

/**
 * Tenant isolation on the link domain: a code resolves only on its own appspace's domains and on
 * the operator-wide shared hosts. Anywhere else it is unknown, so another tenant's domain (whose
 * AASA would open that tenant's app) never serves it.
 */
export function linkServesHost(link: LinkSnapshot, host: string, sharedHosts: ReadonlySet<string>): boolean {
  const h = host.toLowerCase();
  return sharedHosts.has(h) || link.domains.includes(h);
}

/** A link can still be followed: pending and not past `expiresAt` (completed/expired are final). */
export function isLinkUsable(link: LinkSnapshot, now: number): boolean {
  return link.status === "pending" && link.expiresAt > now;
}

/** The Play Store listing of `androidPackage`, with `tolk_token=<token>` as the install referrer. */
export function playStoreUrl(androidPackage: string, token: string): string {
  return `https://play.google.com/store/apps/details?id=${encodeURIComponent(androidPackage)}&referrer=${encodeURIComponent(`tolk_token=${token}`)}`;
}

function fallback(url: string | null, attributable: boolean): Route {
  return url === null ? { kind: "not_found" } : { kind: "fallback", url, attributable };
}

/** Settings forms may store "" for "not set"; treat it like null. */
function present(value: string | null): string | null {
  return value === null || value === "" ? null : value;
}

function androidStoreUrl(androidPackage: string | null, token: string): string | null {
  const pkg = present(androidPackage);
  return pkg === null ? null : playStoreUrl(pkg, token);
}
