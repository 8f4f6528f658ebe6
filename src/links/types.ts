/**
 * Shared shapes of the edge link handler (/ref/:code): what routing needs to know about the
 * visitor's User-Agent, the cached snapshot of a link, and the routing decision.
 */

export type Os = "ios" | "android" | "macos" | "windows" | "linux" | "other";
export type DeviceType = "phone" | "tablet" | "desktop";

/** The cheap classification the hot path routes on (full parsing happens in the click consumer). */
export interface RoutingUa {
  os: Os;
  deviceType: DeviceType;
  /** A short browser name ("safari", "chrome", "firefox", "samsung", "edge", "other", or the in-app name). */
  browser: string;
  /** In-app browser that blocks universal links / app links ("instagram", "facebook", "messenger",
   * "tiktok", "linkedin", "snapchat", "x", "line", "wechat", "gmail", …), or null. */
  inApp: string | null;
  /** A link-preview crawler or other bot (facebookexternalhit, Twitterbot, Slackbot, …). */
  crawler: boolean;
  /** Safari's `Version/x.y` token (iOS Safari and SFSafariViewController), or null. */
  safariVersion: string | null;
}

/** What /ref/:code needs about a link, cached in the isolate and in KV. */
export interface LinkSnapshot {
  code: string;
  appspaceId: string;
  /** Effective status when the snapshot was taken; `expiresAt` makes pending → expired exact. */
  status: "pending" | "completed" | "expired";
  /** Epoch milliseconds after which a pending referral reads as expired. */
  expiresAt: number;
  referrerName: string | null;
  /** The appspace's link domains (lower case). */
  domains: string[];
  app: AppRouting;
  /**
   * Link API links: where visitors land (the link's target URL, else its promotion's), and whether
   * phones go to the app stores instead (the promotion's `app_routing`). Null for referral codes.
   */
  landing: { targetUrl: string; appRouting: boolean } | null;
}

/** The appspace settings routing and previews use (from its settings, never from the request). */
export interface AppRouting {
  iosAppStoreUrl: string | null;
  /** The iOS page offers "Copy code and get the app" (settings.ios_pasteboard_claim; absent in
   * edge-cache entries written before it existed: false). */
  iosPasteboard?: boolean;
  androidPackage: string | null;
  webFallbackUrl: string | null;
  ogTitle: string | null;
  ogDescription: string | null;
  ogImageUrl: string | null;
}

export type Route =
  /** Crawler: 200 HTML with Open Graph / Twitter Card tags; no redirect, no click. */
  | { kind: "preview" }
  /** HEAD: headers only, no click. */
  | { kind: "head" }
  /** Android: 302 to the Play Store, `referrer=` carrying `tolk_token=<token>`. */
  | { kind: "play_store"; url: string }
  /** iOS: a minimal page that records device signals, then continues to the App Store. */
  | { kind: "ios_page"; storeUrl: string }
  /** In-app browser: offer to open in the system browser/app, then fall back to the store. */
  | { kind: "interstitial"; storeUrl: string | null; os: Os }
  /**
   * Desktop and anything else (or a platform without a store configured). `attributable`: the visit
   * follows a usable link, so the landing URL gets the click's `aid`.
   */
  | { kind: "fallback"; url: string; attributable: boolean }
  /** Unknown/expired code and no appspace fallback known: a plain 404 page. */
  | { kind: "not_found" };
