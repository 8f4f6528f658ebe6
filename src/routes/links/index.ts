import { type Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { getDb } from "../../db/client";
import { errorJson } from "../../lib/error-response";
import { log } from "../../lib/log";
import { AID_SCRIPT } from "../../link-api/aid-script";
import { checkToken, isOwnNavigation } from "../../links/continue-token";
import { classifyForRouting } from "../../links/device";
import { notFoundPage } from "../../links/pages";
import { isLinkUsable } from "../../links/route";
import type { LinkSnapshot, RoutingUa } from "../../links/types";
import { POLICIES } from "../../ratelimit/policies";
import { DEFERRED_TTL_SECONDS, type DeferredRecord, saveDeferred } from "../../services/deferred-records";
import { hostAppspace } from "../../services/link-snapshots";
import { rateLimitedJson, rateLimitedText } from "../../services/rate-limiter";
import type { AppEnv } from "../../types";
import { cacheDeps, deferredRecord, hostedLink, htmlPage, limited, serveRef, type Visit, visitOf } from "./ref";

/**
 * The public link domain's other routes: /ref/:code/continue, /aid.js and the app-association
 * files. Plain Hono routes (HTML and redirects, not part of the JSON API). /ref/:code itself is
 * ./ref.ts (answered before the app; the route below only delegates to it). Each route takes its
 * config and request facts from `visitOf`, as the click does.
 */
export const linksRouter = new Hono<AppEnv>();

const visit = (c: Context<AppEnv>) => visitOf(c.req.raw, c.env, c.executionCtx);

/** The appspace that owns this request's host (the association files name its apps). */
function hostSpace(c: Context<AppEnv>) {
  const v = visit(c);
  return hostAppspace(getDb(v.config), cacheDeps(v), v.url.hostname);
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

/** iOS /continue: this device's deferred record, with the page's signals (or the headers'). */
function recordDeferred(
  v: Visit,
  link: LinkSnapshot,
  token: string,
  ua: RoutingUa,
  signals: Partial<DeferredRecord["signals"]> | null,
  deviceId: string,
) {
  v.ctx.waitUntil(
    deferredRecord(v, link, token, ua, signals, { deviceId })
      .then((record) => saveDeferred(v.env.LINKS, record))
      .catch((error: unknown) => log.error("deferred record not saved", { error })),
  );
}

// Reached when the app is called with /ref/:code directly; src/index.ts sends these requests to
// serveRef before the app (see ./ref.ts).
linksRouter.on(["GET", "HEAD"], "/ref/:code", (c) => serveRef(c.req.raw, c.env, c.executionCtx, c.req.param("code")));

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
  const v = visit(c);
  if (await limited(v, POLICIES.continue)) return rateLimitedText(POLICIES.continue);
  if (!isOwnNavigation({ dest: c.req.header("sec-fetch-dest"), site: c.req.header("sec-fetch-site") })) {
    return c.text("This link must be opened directly.", 403, { "cache-control": "no-store" });
  }
  const link = await hostedLink(v, c.req.param("code"));
  if (!link || !isLinkUsable(link, now) || !link.app.iosAppStoreUrl) {
    const fallback = link?.app.webFallbackUrl;
    return fallback ? c.redirect(fallback, 302) : htmlPage(notFoundPage(), 404);
  }
  const token = c.req.query("t");
  const valid =
    token !== undefined &&
    (await checkToken(v.config.ipHashSecret, token, {
      appspaceId: link.appspaceId,
      code: link.code,
      client: v.client,
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
      v,
      link,
      token,
      classifyForRouting(v.userAgent),
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
  if (await limited(visit(c), POLICIES.public)) return rateLimitedJson(c, POLICIES.public);
  await next();
});

linksRouter.get("/.well-known/apple-app-site-association", async (c) => {
  const space = await hostSpace(c);
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
  const space = await hostSpace(c);
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
