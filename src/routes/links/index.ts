import { type Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { errorJson } from "../../lib/error-response";
import { log } from "../../lib/log";
import { mintAid, withAid } from "../../link-api/aid";
import { AID_SCRIPT } from "../../link-api/aid-script";
import { checkToken, isOwnNavigation, mintToken } from "../../links/continue-token";
import { classifyForRouting } from "../../links/device";
import {
  fillPlaceholders,
  type HtmlPage,
  interstitialPage,
  iosPage,
  notFoundPage,
  previewPage,
} from "../../links/pages";
import { decideRoute, isLinkUsable, linkServesHost } from "../../links/route";
import type { LinkSnapshot, RoutingUa } from "../../links/types";
import { services } from "../../middleware/services";
import { POLICIES, type RateLimitPolicy } from "../../ratelimit/policies";
import { CODE_ALPHABET, CODE_LENGTH, LINK_CODE_LENGTH, normalizeCode } from "../../referrals/code";
import { hashSignal } from "../../referrals/signals";
import { type ClickMessage, queueClick, refererHost, utmParams } from "../../services/clicks";
import {
  DEFERRED_TTL_SECONDS,
  type DeferredRecord,
  headerLanguage,
  saveDeferred,
} from "../../services/deferred-records";
import type { CacheDeps } from "../../services/edge-cache";
import { hostAppspace, linkSnapshot } from "../../services/link-snapshots";
import { clientKey, rateLimitedJson, rateLimitedText, withinLimit } from "../../services/rate-limiter";
import type { AppEnv } from "../../types";

/**
 * The public link domain: /ref/:code and the app-association files. Plain Hono routes (HTML and
 * redirects, not part of the JSON API). The hot path does no database round trip once a link's
 * snapshot is cached, and everything it records leaves through `waitUntil`.
 */
export const linksRouter = new Hono<AppEnv>();

// The same services as the API (config parsed once per env, one database client per isolate; both
// cached, so the hot path pays nothing for them), mounted by path: the API's own paths never pass here.
for (const path of ["/ref/*", "/.well-known/*"]) linksRouter.use(path, services());

/** Referral codes (10 characters) and Link API links (8). */
const CODE_PATTERN = new RegExp(`^([${CODE_ALPHABET}]{${CODE_LENGTH}}|[${CODE_ALPHABET}]{${LINK_CODE_LENGTH}})$`);

function cacheDeps(c: Context<AppEnv>): CacheDeps {
  return { kv: c.env.LINKS, waitUntil: (p) => c.executionCtx.waitUntil(p) };
}

function html(c: Context<AppEnv>, page: HtmlPage, status: 200 | 404 = 200) {
  return c.html(page.html, status, {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "content-security-policy": page.csp,
  });
}

const cf = (c: Context<AppEnv>) => (c.req.raw as Request & { cf?: IncomingRequestCfProperties }).cf;

const limited = (c: Context<AppEnv>, policy: RateLimitPolicy) =>
  withinLimit(c.env, policy, clientKey(c.req.header("cf-connecting-ip"))).then((ok) => !ok);

/**
 * The link behind a code, as this Host may serve it: unknown codes, and codes of an appspace that
 * doesn't own this host (nor is it a shared host), are both null.
 */
async function hostedLink(c: Context<AppEnv>, rawCode: string): Promise<LinkSnapshot | null> {
  const code = normalizeCode(rawCode);
  if (!CODE_PATTERN.test(code)) return null;
  const link = await linkSnapshot(c.var.db, cacheDeps(c), code);
  const host = new URL(c.req.url).hostname;
  return link && linkServesHost(link, host, c.var.config.sharedLinkHosts) ? link : null;
}

/**
 * iOS records are kept per device, not per model: IP + User-Agent is the same for every colleague
 * with the same iOS version behind an office IP (an iPhone's UA names no model), so their clicks
 * overwrote each other. /continue gives the browser a random device id (a first-party cookie on the
 * link domain, living as long as a record); a device's records share it, so a repeat tap replaces
 * its own record and no one else's. A browser that refuses the cookie gets a new id per click:
 * each click a record of its own (never someone else's).
 */
const DEVICE_COOKIE = "edgeref_device";
const DEVICE_ID = /^[0-9a-f]{32}$/;

function deviceIdOf(c: Context<AppEnv>): string | null {
  const value = getCookie(c, DEVICE_COOKIE);
  return value && DEVICE_ID.test(value) ? value : null;
}

function giveDeviceId(c: Context<AppEnv>): string {
  const id =
    deviceIdOf(c) ??
    Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  setCookie(c, DEVICE_COOKIE, id, {
    path: "/ref",
    httpOnly: true,
    secure: new URL(c.req.url).protocol === "https:",
    sameSite: "Lax",
    maxAge: DEFERRED_TTL_SECONDS,
  });
  return id;
}

async function deferredRecord(
  c: Context<AppEnv>,
  link: LinkSnapshot,
  token: string,
  ua: RoutingUa,
  signals: Partial<DeferredRecord["signals"]> | null,
  deviceId: string | null = null,
): Promise<DeferredRecord> {
  const ip = c.req.header("cf-connecting-ip") ?? "unknown";
  const secret = c.var.config.ipHashSecret;
  const props = cf(c);
  const [ipHash, fingerprint] = await Promise.all([
    hashSignal(secret, "ip", link.appspaceId, ip),
    hashSignal(
      secret,
      "fingerprint",
      link.appspaceId,
      deviceId ? `device|${deviceId}` : `${ip}|${c.req.header("user-agent") ?? ""}`,
    ),
  ]);
  return {
    token,
    appspaceId: link.appspaceId,
    code: link.code,
    path: `/ref/${link.code}`,
    ipHash: ipHash ?? "unknown",
    fingerprint: fingerprint ?? "unknown",
    os: ua.os,
    signals: {
      timezone: signals?.timezone ?? (typeof props?.timezone === "string" ? props.timezone : null),
      language: signals?.language ?? headerLanguage(c.req.header("accept-language")),
      screenWidth: signals?.screenWidth ?? null,
      screenHeight: signals?.screenHeight ?? null,
      safariVersion: ua.safariVersion,
    },
    source: signals ? "script" : "headers",
    clickedAt: Date.now(),
  };
}

/**
 * Off the response path: hash the IP and queue the click (batched per isolate). A store-bound
 * click's deferred record rides along; the click consumer writes it to KV.
 */
function recordClick(
  c: Context<AppEnv>,
  link: LinkSnapshot,
  route: ClickMessage["route"],
  token: string | null,
  deferredFor: RoutingUa | null,
  aid: string | null = null,
) {
  const url = new URL(c.req.url);
  const ip = c.req.header("cf-connecting-ip");
  const secret = c.var.config.ipHashSecret;
  const props = cf(c);
  c.executionCtx.waitUntil(
    (async () => {
      const message: ClickMessage = {
        id: crypto.randomUUID(),
        appspaceId: link.appspaceId,
        code: link.code,
        clickedAt: new Date().toISOString(),
        route,
        token,
        userAgent: c.req.header("user-agent")?.slice(0, 512) ?? null,
        ipHash: await hashSignal(secret, "ip", link.appspaceId, ip),
        country: typeof props?.country === "string" ? props.country : null,
        city: typeof props?.city === "string" ? props.city : null,
        utm: utmParams(url),
        refererHost: refererHost(c.req.header("referer")),
        aid,
        ...(deferredFor && token ? { deferred: await deferredRecord(c, link, token, deferredFor, null) } : {}),
      };
      await queueClick(c.env.CLICKS, message);
    })().catch((error: unknown) => log.error("click not recorded", { error })),
  );
}

/** iOS /continue: this device's deferred record, with the page's signals (or the headers'). */
function recordDeferred(
  c: Context<AppEnv>,
  link: LinkSnapshot,
  token: string,
  ua: RoutingUa,
  signals: Partial<DeferredRecord["signals"]> | null,
  deviceId: string,
) {
  c.executionCtx.waitUntil(
    deferredRecord(c, link, token, ua, signals, deviceId)
      .then((record) => saveDeferred(c.env.LINKS, record))
      .catch((error: unknown) => log.error("deferred record not saved", { error })),
  );
}

linksRouter.on(["GET", "HEAD"], "/ref/:code", async (c) => {
  const now = Date.now();
  const { config, db } = c.var;
  const ua = classifyForRouting(c.req.header("user-agent"));
  const counted = c.req.method === "GET" && !ua.crawler;
  const policy = counted ? POLICIES.clicks : POLICIES.crawlers;
  if (await limited(c, policy)) return rateLimitedText(policy);
  const code = normalizeCode(c.req.param("code"));
  const link = await hostedLink(c, code);
  const live = link !== null && isLinkUsable(link, now) ? link : null;
  const host = new URL(c.req.url).hostname;
  const hostFallbackUrl = live
    ? null
    : (link?.app.webFallbackUrl ?? (await hostAppspace(db, cacheDeps(c), host))?.settings.web_fallback_url ?? null);
  // Only store-bound visits need a token (Play Store referrer, iOS /continue); minting costs an HMAC.
  const token =
    counted && live && (ua.os === "ios" || ua.os === "android")
      ? await mintToken(config.ipHashSecret, {
          appspaceId: live.appspaceId,
          code: live.code,
          client: clientKey(c.req.header("cf-connecting-ip")),
          now,
        })
      : "";
  const route = decideRoute({ method: c.req.method, ua, link, now, token, hostFallbackUrl });

  if (!live) {
    // An unknown or finished link: decideRoute answers it with HEAD, a fallback or not_found only.
    if (route.kind === "head") return c.body(null, 404, { "content-type": "text/html; charset=UTF-8" });
    if (route.kind === "fallback") return c.redirect(route.url, 302);
    return html(c, notFoundPage(), 404);
  }
  switch (route.kind) {
    case "head":
      return c.body(null, 200, { "content-type": "text/html; charset=UTF-8" });
    case "not_found":
      return html(c, notFoundPage(), 404);
    case "preview": {
      const { app, referrerName } = live;
      return html(
        c,
        previewPage({
          title: fillPlaceholders(app.ogTitle ?? "{{referrer_name}} invited you", referrerName),
          description: fillPlaceholders(app.ogDescription ?? "Accept the invitation to get started.", referrerName),
          imageUrl: app.ogImageUrl,
          url: `https://${host}/ref/${code}`,
        }),
      );
    }
    case "fallback": {
      // The landing page gets this click's AID, the handle a later sign-up is attributed by.
      const aid = await mintAid(config.ipHashSecret, { appspaceId: live.appspaceId, code: live.code, now });
      recordClick(c, live, "fallback", null, null, aid);
      return c.redirect(withAid(route.url, aid), 302);
    }
    case "play_store":
      recordClick(c, live, "play_store", token, ua);
      return c.redirect(route.url, 302);
    case "ios_page":
      recordClick(c, live, "ios_page", token, null);
      // The deferred record is written by /continue, with the page's signals (or without).
      return html(
        c,
        iosPage({
          continueUrl: `/ref/${code}/continue?t=${token}`,
          pasteboardToken: live.app.iosPasteboard ? token : null,
        }),
      );
    case "interstitial": {
      recordClick(c, live, "interstitial", token, route.os === "android" ? ua : null);
      const storeUrl = route.os === "ios" && route.storeUrl ? `/ref/${code}/continue?t=${token}` : route.storeUrl;
      const openUrl =
        route.os === "android"
          ? `intent://${host}/ref/${code}#Intent;scheme=https;end`
          : route.os === "ios"
            ? `x-safari-https://${host}/ref/${code}`
            : null;
      const title = fillPlaceholders(live.app.ogTitle ?? "{{referrer_name}} invited you", live.referrerName);
      return html(c, interstitialPage({ os: route.os, openUrl, storeUrl, title }));
    }
  }
});

const SIGNAL_LIMITS = {
  tz: /^[A-Za-z0-9_+\-/]{1,64}$/,
  l: /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8}){0,3}$/,
};

function screenSize(value: string | undefined): number | null {
  if (!value || !/^\d{1,5}$/.test(value)) return null;
  const n = Number(value);
  return n >= 100 && n <= 10_000 ? n : null;
}

/**
 * iOS: store the page's signals (or, without JavaScript, the headers' ones), then the App Store.
 * Only a token this Worker minted for this link, recently, records anything; requests that the
 * browser says are not our own page's navigation are refused outright.
 */
linksRouter.get("/ref/:code/continue", async (c) => {
  const now = Date.now();
  if (await limited(c, POLICIES.continue)) return rateLimitedText(POLICIES.continue);
  if (!isOwnNavigation({ dest: c.req.header("sec-fetch-dest"), site: c.req.header("sec-fetch-site") })) {
    return c.text("This link must be opened directly.", 403, { "cache-control": "no-store" });
  }
  const link = await hostedLink(c, c.req.param("code"));
  if (!link || !isLinkUsable(link, now) || !link.app.iosAppStoreUrl) {
    const fallback = link?.app.webFallbackUrl;
    return fallback ? c.redirect(fallback, 302) : html(c, notFoundPage(), 404);
  }
  const token = c.req.query("t");
  const secret = c.var.config.ipHashSecret;
  const valid =
    token !== undefined &&
    (await checkToken(secret, token, {
      appspaceId: link.appspaceId,
      code: link.code,
      client: clientKey(c.req.header("cf-connecting-ip")),
      now,
    })) === "valid";
  // An unsigned, foreign or stale token still reaches the store: the visitor loses nothing, but
  // nothing is recorded for it.
  if (valid) {
    const tz = c.req.query("tz");
    const language = c.req.query("l");
    const width = screenSize(c.req.query("w"));
    const height = screenSize(c.req.query("h"));
    const fromScript = Boolean(tz || language || width || height);
    // The device's id from an earlier click, else a new one (kept by the browser for the next).
    const deviceId = giveDeviceId(c);
    recordDeferred(
      c,
      link,
      token,
      classifyForRouting(c.req.header("user-agent")),
      fromScript
        ? {
            timezone: tz && SIGNAL_LIMITS.tz.test(tz) ? tz : null,
            language: language && SIGNAL_LIMITS.l.test(language) ? language : null,
            screenWidth: width,
            screenHeight: height,
          }
        : null,
      deviceId,
    );
  }
  return c.redirect(link.app.iosAppStoreUrl, 302);
});

/**
 * The AID helper for landing pages (src/link-api/aid-script.ts): loaded cross-origin by the
 * customer's site, so it allows cross-origin embedding (CORP) and is cached publicly.
 */
linksRouter.get("/aid.js", (c) =>
  c.body(AID_SCRIPT, 200, {
    "content-type": "text/javascript; charset=utf-8",
    "cache-control": "public, max-age=3600",
    "cross-origin-resource-policy": "cross-origin",
    "access-control-allow-origin": "*",
  }),
);

/** Universal links: iOS opens the installed app for /ref/* on this domain. */
// The association files cost a database read on a cache miss: anonymous, so limited per IP.
linksRouter.use("/.well-known/*", async (c, next) => {
  if (await limited(c, POLICIES.public)) return rateLimitedJson(c, POLICIES.public);
  await next();
});

linksRouter.get("/.well-known/apple-app-site-association", async (c) => {
  const space = await hostAppspace(c.var.db, cacheDeps(c), new URL(c.req.url).hostname);
  const teamId = space?.settings.apple_team_id;
  const bundles = space?.settings.ios_bundle_ids ?? [];
  if (!teamId || bundles.length === 0) return errorJson(c, 404, "No iOS app is configured for this domain");
  const appIDs = bundles.map((bundle) => `${teamId}.${bundle}`);
  return c.json(
    {
      applinks: {
        apps: [],
        details: [{ appIDs, components: [{ "/": "/ref/*" }], appID: appIDs[0], paths: ["/ref/*"] }],
      },
    },
    200,
    { "cache-control": "public, max-age=3600" },
  );
});

/** App Links: Android opens the installed app for this domain's links. */
linksRouter.get("/.well-known/assetlinks.json", async (c) => {
  const space = await hostAppspace(c.var.db, cacheDeps(c), new URL(c.req.url).hostname);
  const pkg = space?.settings.android_package;
  const fingerprints = space?.settings.android_sha256_cert_fingerprints ?? [];
  if (!pkg || fingerprints.length === 0) return errorJson(c, 404, "No Android app is configured for this domain");
  return c.json(
    [
      {
        relation: ["delegate_permission/common.handle_all_urls"],
        target: { namespace: "android_app", package_name: pkg, sha256_cert_fingerprints: fingerprints },
      },
    ],
    200,
    { "cache-control": "public, max-age=3600" },
  );
});
