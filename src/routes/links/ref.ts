/**
 * GET/HEAD /ref/:code, the product's hottest path, and the helpers the link domain's other routes
 * share with it (src/routes/links/index.ts).
 *
 * Why this route answers outside Hono: a click must cost little more than a bare redirect (issue
 * 9 asks ≥ 0.8× a bare Worker's throughput), and the framework's per-request work — the app's
 * router over every API route, the middleware chain, a Context, `secureHeaders` building its
 * header list — was a fifth of a click's CPU (bench/README.md, the ablation). src/index.ts sends
 * GET/HEAD /ref/<one segment> here before the app sees it; the Hono route (./index.ts) calls the
 * same function, so there is one implementation. The route stays thin: the decision is
 * `decideRoute` (pure), data comes through the edge cache, I/O is at the edges (the limiter
 * binding, the click queue in `waitUntil`). Security headers are the app's own, as constants
 * (src/lib/security-headers.ts).
 */
import { type Config, ConfigError, loadConfig } from "../../config";
import { getDb } from "../../db/client";
import { errorBody } from "../../lib/error-response";
import { log } from "../../lib/log";
import { REDIRECT_HEADERS, SECURITY_HEADERS } from "../../lib/security-headers";
import { mintAid, withAid } from "../../link-api/aid";
import { mintToken } from "../../links/continue-token";
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
import { POLICIES, type RateLimitPolicy } from "../../ratelimit/policies";
import { CODE_ALPHABET, CODE_LENGTH, LINK_CODE_LENGTH, normalizeCode } from "../../referrals/code";
import { hashSignal } from "../../referrals/signals";
import { type ClickMessage, queueClick, refererHost, utmParams } from "../../services/clicks";
import { type DeferredRecord, headerLanguage } from "../../services/deferred-records";
import type { CacheDeps } from "../../services/edge-cache";
import { hostAppspace, linkSnapshot } from "../../services/link-snapshots";
import { clientKey, rateLimitedText, withinLimit } from "../../services/rate-limiter";
import type { Bindings } from "../../types";

/** What the link routes need of the request's execution context (Hono's and workerd's types differ). */
export type WaitUntil = Pick<ExecutionContext, "waitUntil">;

/** One request on the link domain, with what several steps need read once. */
export interface Visit {
  request: Request;
  env: Bindings;
  ctx: WaitUntil;
  config: Config;
  url: URL;
  /** `cf-connecting-ip`: hashed before it goes anywhere. */
  ip: string | undefined;
  /** `clientKey(ip)`: the rate limits' key and the client a continue token is bound to. */
  client: string;
  userAgent: string | undefined;
}

/** Throws ConfigError when the Worker's secrets are missing or malformed (a 500 that says so). */
export function visitOf(request: Request, env: Bindings, ctx: WaitUntil): Visit {
  const ip = request.headers.get("cf-connecting-ip") ?? undefined;
  return {
    request,
    env,
    ctx,
    config: loadConfig(env),
    url: new URL(request.url),
    ip,
    client: clientKey(ip),
    userAgent: request.headers.get("user-agent") ?? undefined,
  };
}

/** What the edge knows about where the visitor is (Cloudflare's `request.cf`), read once. */
interface EdgeProps {
  country: string | null;
  city: string | null;
  timezone: string | null;
}

function edgeProps(request: Request): EdgeProps {
  // workerd builds `request.cf` anew on every read: once per request.
  const cf = (request as Request & { cf?: IncomingRequestCfProperties }).cf;
  const text = (value: unknown) => (typeof value === "string" ? value : null);
  return { country: text(cf?.country), city: text(cf?.city), timezone: text(cf?.timezone) };
}

export function cacheDeps(v: Visit): CacheDeps {
  return { kv: v.env.LINKS, waitUntil: (p) => v.ctx.waitUntil(p) };
}

export const limited = (v: Visit, policy: RateLimitPolicy) => withinLimit(v.env, policy, v.client).then((ok) => !ok);

/** Referral codes (10 characters) and Link API links (8). */
const CODE_PATTERN = new RegExp(`^([${CODE_ALPHABET}]{${CODE_LENGTH}}|[${CODE_ALPHABET}]{${LINK_CODE_LENGTH}})$`);

/**
 * The link behind a code, as this Host may serve it: unknown codes, and codes of an appspace that
 * doesn't own this host (nor is it a shared host), are both null.
 */
export async function hostedLink(v: Visit, rawCode: string): Promise<LinkSnapshot | null> {
  const code = normalizeCode(rawCode);
  if (!CODE_PATTERN.test(code)) return null;
  const link = await linkSnapshot(getDb(v.config), cacheDeps(v), code);
  return link && linkServesHost(link, v.url.hostname, v.config.sharedLinkHosts) ? link : null;
}

/**
 * A device's deferred record. `ipHash`: the click's own, when the caller has it already (one HMAC
 * fewer per store-bound click). Without a `deviceId` (a click's Android record) the fingerprint is
 * left empty for the click consumer to derive from the IP hash and User-Agent (`fillFingerprints`,
 * src/services/click-consumer.ts): the same device identity, one HMAC fewer on the click.
 */
export async function deferredRecord(
  v: Visit,
  link: LinkSnapshot,
  token: string,
  ua: RoutingUa,
  signals: Partial<DeferredRecord["signals"]> | null,
  {
    deviceId = null,
    ipHash,
    props = edgeProps(v.request),
  }: { deviceId?: string | null; ipHash?: string | null; props?: EdgeProps } = {},
): Promise<DeferredRecord> {
  const secret = v.config.ipHashSecret;
  const [ipHashed, fingerprint] = await Promise.all([
    ipHash !== undefined && v.ip !== undefined ? ipHash : hashSignal(secret, "ip", link.appspaceId, v.ip ?? "unknown"),
    deviceId ? hashSignal(secret, "fingerprint", link.appspaceId, `device|${deviceId}`) : "",
  ]);
  return {
    token,
    appspaceId: link.appspaceId,
    code: link.code,
    path: `/ref/${link.code}`,
    ipHash: ipHashed ?? "unknown",
    fingerprint: fingerprint ?? "unknown",
    os: ua.os,
    signals: {
      timezone: signals?.timezone ?? props.timezone,
      language: signals?.language ?? headerLanguage(v.request.headers.get("accept-language") ?? undefined),
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
  v: Visit,
  link: LinkSnapshot,
  route: ClickMessage["route"],
  token: string | null,
  deferredFor: RoutingUa | null,
  aid: string | null = null,
) {
  v.ctx.waitUntil(
    (async () => {
      const props = edgeProps(v.request);
      const ipHash = await hashSignal(v.config.ipHashSecret, "ip", link.appspaceId, v.ip);
      const message: ClickMessage = {
        id: crypto.randomUUID(),
        appspaceId: link.appspaceId,
        code: link.code,
        clickedAt: new Date().toISOString(),
        route,
        token,
        userAgent: v.userAgent?.slice(0, 512) ?? null,
        ipHash,
        country: props.country,
        city: props.city,
        utm: utmParams(v.url),
        refererHost: refererHost(v.request.headers.get("referer") ?? undefined),
        aid,
        ...(deferredFor && token
          ? { deferred: await deferredRecord(v, link, token, deferredFor, null, { ipHash, props }) }
          : {}),
      };
      await queueClick(v.env.CLICKS, message);
    })().catch((error: unknown) => log.error("click not recorded", { error })),
  );
}

/** A Location value Headers accepts: Hono's rule (URLs with characters past Latin-1 are percent-encoded). */
const PAST_LATIN1 = /[\u0100-\uffff]/;
const location = (url: string) => (PAST_LATIN1.test(url) ? encodeURI(url) : url);

function redirect(url: string): Response {
  return new Response(null, { status: 302, headers: { ...REDIRECT_HEADERS, location: location(url) } });
}

const HTML = "text/html; charset=UTF-8";

/** A link-domain page: its own CSP (hashes of its inline code), never cached, no referrer. */
export function htmlPage(page: HtmlPage, status: 200 | 404 = 200, headers: Record<string, string> = {}): Response {
  return new Response(page.html, {
    status,
    headers: {
      ...SECURITY_HEADERS,
      "content-type": HTML,
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
      "content-security-policy": page.csp,
      ...headers,
    },
  });
}

/**
 * GET/HEAD /ref/:code. Errors answer in the one JSON error shape, as the app's error handler
 * would (this path doesn't pass through it).
 */
export async function serveRef(request: Request, env: Bindings, ctx: WaitUntil, rawCode: string) {
  try {
    return await routeClick(visitOf(request, env, ctx), rawCode);
  } catch (error) {
    log.error("unhandled error", { method: request.method, route: "/ref/:code", error });
    const requestId = crypto.randomUUID();
    const body =
      error instanceof ConfigError
        ? errorBody(500, error.message, requestId, { code: "server_misconfigured" })
        : errorBody(500, "Internal server error", requestId);
    return new Response(JSON.stringify(body), {
      status: 500,
      headers: { ...SECURITY_HEADERS, "content-type": "application/json", "x-request-id": requestId },
    });
  }
}

async function routeClick(v: Visit, rawCode: string): Promise<Response> {
  const now = Date.now();
  const method = v.request.method;
  const ua = classifyForRouting(v.userAgent);
  const counted = method === "GET" && !ua.crawler;
  const policy = counted ? POLICIES.clicks : POLICIES.crawlers;
  if (await limited(v, policy)) return rateLimitedText(policy);
  const code = normalizeCode(rawCode);
  const link = await hostedLink(v, code);
  const live = link !== null && isLinkUsable(link, now) ? link : null;
  const host = v.url.hostname;
  const hostFallbackUrl = live
    ? null
    : (link?.app.webFallbackUrl ??
      (await hostAppspace(getDb(v.config), cacheDeps(v), host))?.settings.web_fallback_url ??
      null);
  // Only store-bound visits need a token (Play Store referrer, iOS /continue); minting costs an HMAC.
  const token =
    counted && live && (ua.os === "ios" || ua.os === "android")
      ? await mintToken(v.config.ipHashSecret, { appspaceId: live.appspaceId, code: live.code, client: v.client, now })
      : "";
  const route = decideRoute({ method, ua, link, now, token, hostFallbackUrl });
  const head = (status: 200 | 404) =>
    new Response(null, { status, headers: { ...SECURITY_HEADERS, "content-type": HTML } });

  if (!live) {
    // An unknown or finished link: decideRoute answers it with HEAD, a fallback or not_found only.
    if (route.kind === "head") return head(404);
    if (route.kind === "fallback") return redirect(route.url);
    return htmlPage(notFoundPage(), 404);
  }
  switch (route.kind) {
    case "head":
      return head(200);
    case "not_found":
      return htmlPage(notFoundPage(), 404);
    case "preview": {
      const { app, referrerName } = live;
      return htmlPage(
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
      const aid = await mintAid(v.config.ipHashSecret, { appspaceId: live.appspaceId, code: live.code, now });
      recordClick(v, live, "fallback", null, null, aid);
      return redirect(withAid(route.url, aid));
    }
    case "play_store":
      recordClick(v, live, "play_store", token, ua);
      return redirect(route.url);
    case "ios_page":
      recordClick(v, live, "ios_page", token, null);
      // The deferred record is written by /continue, with the page's signals (or without).
      return htmlPage(
        iosPage({
          continueUrl: `/ref/${code}/continue?t=${token}`,
          pasteboardToken: live.app.iosPasteboard ? token : null,
        }),
      );
    case "interstitial": {
      recordClick(v, live, "interstitial", token, route.os === "android" ? ua : null);
      const storeUrl = route.os === "ios" && route.storeUrl ? `/ref/${code}/continue?t=${token}` : route.storeUrl;
      const openUrl =
        route.os === "android"
          ? `intent://${host}/ref/${code}#Intent;scheme=https;end`
          : route.os === "ios"
            ? `x-safari-https://${host}/ref/${code}`
            : null;
      const title = fillPlaceholders(live.app.ogTitle ?? "{{referrer_name}} invited you", live.referrerName);
      return htmlPage(interstitialPage({ os: route.os, openUrl, storeUrl, title }));
    }
  }
}

const REF_PATH = /^\/ref\/([^/]+)$/;

/**
 * The code of a GET/HEAD /ref/<one segment> request, percent-decoded as Hono decodes a route
 * parameter; null for every other request (those go to the app).
 */
export function refCodeOf(request: Request): string | null {
  if (request.method !== "GET" && request.method !== "HEAD") return null;
  // The path without parsing the whole URL: after the scheme's "//", from the first "/" to "?"/"#".
  const url = request.url;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return null;
  let end = url.length;
  for (const stop of ["?", "#"]) {
    const at = url.indexOf(stop, start);
    if (at >= 0 && at < end) end = at;
  }
  const match = REF_PATH.exec(url.slice(start, end));
  if (!match?.[1]) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}
