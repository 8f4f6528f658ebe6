import type { Context } from "hono";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { createMiddleware } from "hono/factory";
import { html } from "hono/html";
import { buildSeries, conversionRate, resolveRange } from "../analytics/range";
import { readSettings, type Settings } from "../appspaces/settings";
import { forgetAppspace } from "../auth/caller-cache";
import { hashKey, keyTypeOf } from "../auth/keys";
import { type Chrome, DASHBOARD_CSP, type Html, type NavKey, page } from "../dashboard/layout";
import * as pages from "../dashboard/pages";
import {
  adminFingerprint,
  csrfMatches,
  csrfToken,
  newSession,
  readSession,
  SESSION_COOKIE,
  SESSION_TTL_SECONDS,
  type Session,
  signSession,
} from "../dashboard/session";
import { formToPatch, settingsForm, validatePatch } from "../dashboard/settings-form";
import { DASHBOARD_CSS, dashboardCssPath } from "../dashboard/style";
import { CLICK_DIMENSIONS, type ClickDimension, clickBuckets, eventBuckets, referralStats } from "../db/analytics";
import { findActiveKey, getAppspace, listAppspaces, updateAppspace } from "../db/appspaces";
import {
  clicksOf,
  endDashboardSession,
  listReferrals,
  liveDashboardSession,
  startDashboardSession,
} from "../db/dashboard";
import { listEmails } from "../db/emails";
import { listPromotions } from "../db/promotions";
import { findReferral, LEADERBOARD_PERIODS, LEADERBOARD_SORTS, leaderboard, type StatusFilter } from "../db/referrals";
import { findEventForEndpoint, insertTestEvent, listDeliveries, listEndpoints } from "../db/webhooks";
import { sha256Hex, timingSafeEqualStrings } from "../lib/crypto";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { authBlocked, countAuthFailure } from "../middleware/auth";
import { bodyLimit } from "../middleware/body-limit";
import { services } from "../middleware/services";
import { hostAppspace, publishAppspaceChange } from "../services/link-snapshots";
import { queueDelivery } from "../services/webhook-outbox";
import type { AppEnv } from "../types";
import { EVENT_TYPES } from "../webhooks/events";

/**
 * The dashboard at /dashboard: server-rendered pages for growth and support staff, signed in with
 * the appspace's secret key (or the admin token, which can open any appspace). Thin routes: they
 * check the session, read through the same data functions as the API, and hand the rows to the
 * page renderers (src/dashboard/pages.ts).
 *
 * Security: the session is a signed HttpOnly, Secure, SameSite=Lax cookie (src/dashboard/session.ts)
 * re-checked against the key on every request; every POST carries the session's CSRF token and must
 * come from this origin (hono/csrf); failed sign-ins count against the caller's IP like failed API
 * authentications; pages forbid scripts and framing (CSP) and are never cached.
 */

interface DashEnv extends AppEnv {
  Variables: AppEnv["Variables"] & {
    session: Session;
    appspace: { id: string; name: string; domains: string[]; settings: Settings } | null;
    csrf: string;
  };
}
type Ctx = Context<DashEnv>;

const SIGN_IN = "/dashboard/sign-in";

export const dashboardRouter = new Hono<DashEnv>();

dashboardRouter.get("/dashboard/assets/:file", (c) => {
  if (c.req.path !== dashboardCssPath()) return c.text("Not found", 404);
  return c.body(DASHBOARD_CSS, 200, {
    "content-type": "text/css; charset=utf-8",
    "cache-control": "public, max-age=31536000, immutable",
  });
});

dashboardRouter.use("/dashboard", services());
dashboardRouter.use("/dashboard/*", services());
// Not on a tenant's link domain: the dashboard (and its cookie) belongs to the deployment's own
// hosts, never to a hostname an appspace brought.
for (const path of ["/dashboard", "/dashboard/*"]) {
  dashboardRouter.use(path, async (c, next) => {
    const host = new URL(c.req.url).hostname;
    const cache = { kv: c.env.LINKS, waitUntil: (p: Promise<unknown>) => c.executionCtx.waitUntil(p) };
    if (await hostAppspace(c.var.db, cache, host)) return c.text("Not found", 404);
    await next();
  });
}
dashboardRouter.use(
  "/dashboard/*",
  bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.text("Request too large", 413) }),
);
// State-changing requests must come from a page of this origin (Origin / Sec-Fetch-Site), on top of
// the CSRF token each form carries.
dashboardRouter.use("/dashboard/*", csrf());
dashboardRouter.use("/dashboard", headers());
dashboardRouter.use("/dashboard/*", headers());

function headers() {
  return createMiddleware<DashEnv>(async (c, next) => {
    await next();
    c.header("cache-control", "no-store");
    c.header("content-security-policy", DASHBOARD_CSP);
    c.header("x-frame-options", "DENY");
    c.header("referrer-policy", "no-referrer");
  });
}

const secretOf = (c: Ctx) => c.var.config.ipHashSecret;

function render(c: Ctx, title: string, nav: NavKey | null, body: Html, status: 200 | 400 | 404 | 429 = 200) {
  const chrome: Chrome | null = c.var.session
    ? {
        csrf: c.var.csrf,
        appspaceName: c.var.appspace?.name ?? null,
        admin: c.var.session.kind === "admin",
      }
    : null;
  return c.html(page({ title, nav, chrome, body, cssHref: dashboardCssPath() }), status);
}

/**
 * `Secure` everywhere but plain http on a loopback address — local development only (`npm run dev`
 * serves http://127.0.0.1:8787), where Safari would otherwise drop the cookie and sign-in would loop.
 */
const secureCookie = (c: Ctx) => {
  const url = new URL(c.req.url);
  return !(url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname));
};

async function startSession(c: Ctx, session: Session, fresh = true) {
  if (fresh) {
    await startDashboardSession(c.var.db, {
      id: session.nonce,
      keyId: session.kind === "key" ? session.sub : null,
      expiresAt: new Date(session.exp * 1000),
    });
  }
  setCookie(c, SESSION_COOKIE, await signSession(secretOf(c), session), {
    path: "/dashboard",
    httpOnly: true,
    secure: secureCookie(c),
    sameSite: "Lax",
    maxAge: SESSION_TTL_SECONDS,
  });
}

// ---------------------------------------------------------------------------------------------
// sign-in, sign-out

dashboardRouter.get(SIGN_IN, (c) => render(c, "Sign in", null, pages.signInBody({ error: null, admin: true })));

dashboardRouter.post(SIGN_IN, async (c) => {
  const tooMany = () =>
    render(
      c,
      "Sign in",
      null,
      pages.signInBody({ error: "Too many sign-in attempts. Wait a minute, then try again.", admin: true }),
      429,
    );
  if (authBlocked(c)) return tooMany();
  const form = await c.req.parseBody();
  const key = typeof form.key === "string" ? form.key.trim() : "";
  const refuse = async (message: string) =>
    (await countAuthFailure(c))
      ? render(c, "Sign in", null, pages.signInBody({ error: message, admin: true }), 400)
      : tooMany();
  if (!key) return refuse("Enter your secret key.");
  // The admin token first: it may be longer than any key.
  const [given, expected] = await Promise.all([sha256Hex(key), sha256Hex(c.var.config.adminToken)]);
  if (timingSafeEqualStrings(given, expected)) {
    await startSession(
      c,
      newSession({ kind: "admin", sub: await adminFingerprint(c.var.config.adminToken), appspace: null }),
    );
    return c.redirect("/dashboard/appspaces", 303);
  }
  if (key.length > 200) return refuse("That key is not valid.");
  const type = keyTypeOf(key);
  if (type === "publishable") return refuse("That is a publishable key (pk_…): sign in with a secret key (sk_…).");
  const found = type === "secret" ? await findActiveKey(c.var.db, await hashKey(key)) : undefined;
  if (found?.keyType !== "secret") return refuse("That key is not valid, or it has been revoked.");
  await startSession(c, newSession({ kind: "key", sub: found.keyId, appspace: found.appspace.id }));
  return c.redirect("/dashboard", 303);
});

// ---------------------------------------------------------------------------------------------
// every other page: a live session

const requireSession = createMiddleware<DashEnv>(async (c, next) => {
  const session = await readSession(secretOf(c), getCookie(c, SESSION_COOKIE));
  const out = () => {
    deleteCookie(c, SESSION_COOKIE, { path: "/dashboard", secure: secureCookie(c) });
    return c.redirect(SIGN_IN, 303);
  };
  if (!session) return out();
  if (session.kind === "admin" && session.sub !== (await adminFingerprint(c.var.config.adminToken))) {
    return out(); // ADMIN_TOKEN was rotated
  }
  // Signed out, expired, or its key revoked (or moved): the session is over.
  const live = await liveDashboardSession(c.var.db, {
    id: session.nonce,
    keyId: session.kind === "key" ? session.sub : null,
    appspaceId: session.appspace,
  });
  if (!live.live) return out();
  const row = live.appspace;
  c.set("session", session);
  c.set("csrf", await csrfToken(secretOf(c), session));
  c.set(
    "appspace",
    row ? { id: row.id, name: row.name, domains: row.domains, settings: readSettings(row.settings) } : null,
  );
  if (c.req.method === "POST") {
    const form = await c.req.parseBody();
    if (!(await csrfMatches(secretOf(c), session, form._csrf))) {
      return c.text(
        "This form has expired or did not come from the dashboard (CSRF token missing or wrong). Go back, reload and try again.",
        403,
      );
    }
  }
  await next();
});

/** The open appspace, or (admin without one picked) the appspace list. */
const requireAppspace = createMiddleware<DashEnv>(async (c, next) => {
  if (!c.var.appspace) return c.redirect("/dashboard/appspaces", 303);
  await next();
});

for (const path of ["/dashboard", "/dashboard/*"]) {
  dashboardRouter.use(path, async (c, next) => (c.req.path === SIGN_IN ? next() : requireSession(c, next)));
}

dashboardRouter.post("/dashboard/sign-out", async (c) => {
  await endDashboardSession(c.var.db, c.var.session.nonce);
  deleteCookie(c, SESSION_COOKIE, { path: "/dashboard", secure: secureCookie(c) });
  return c.redirect(SIGN_IN, 303);
});

dashboardRouter.get("/dashboard/appspaces", async (c) => {
  if (c.var.session.kind !== "admin") return c.redirect("/dashboard", 303);
  const rows = await listAppspaces(c.var.db, 200);
  return render(
    c,
    "Appspaces",
    "appspaces",
    pages.appspacesBody({ appspaces: rows, current: c.var.appspace?.id ?? null, csrf: c.var.csrf }),
  );
});

dashboardRouter.post("/dashboard/appspaces/switch", async (c) => {
  const session = c.var.session;
  if (session.kind !== "admin") return c.redirect("/dashboard", 303);
  const form = await c.req.parseBody();
  const id = typeof form.appspace_id === "string" ? form.appspace_id : "";
  const row = /^[0-9a-f-]{36}$/i.test(id) ? await getAppspace(c.var.db, id) : undefined;
  if (!row) return c.redirect("/dashboard/appspaces", 303);
  await startSession(c, { ...session, appspace: row.id }, false);
  return c.redirect("/dashboard", 303);
});

// ---------------------------------------------------------------------------------------------
// pages of the open appspace

for (const path of ["/dashboard", "/dashboard/*"]) {
  dashboardRouter.use(path, async (c, next) =>
    c.req.path === SIGN_IN || c.req.path.startsWith("/dashboard/appspaces") || c.req.path === "/dashboard/sign-out"
      ? next()
      : requireAppspace(c, next),
  );
}

const appspaceOf = (c: Ctx) => c.var.appspace as NonNullable<DashEnv["Variables"]["appspace"]>;
const daysParam = (c: Ctx): pages.PeriodDays => {
  const d = Number(c.req.query("days"));
  return (pages.PERIODS as readonly number[]).includes(d) ? (d as pages.PeriodDays) : 30;
};
const isoDay = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().slice(0, 10);

dashboardRouter.get("/dashboard", async (c) => {
  const space = appspaceOf(c);
  const days = daysParam(c);
  const from = isoDay((days - 1) * 86_400_000);
  const range = resolveRange({ from, interval: "day" }, new Date());
  const period = days === 7 ? "7d" : days === 30 ? "30d" : "all";
  const [stats, clicks, conversions, top] = await Promise.all([
    referralStats(c.var.db, { appspaceId: space.id, from, to: null, promotionId: null }),
    clickBuckets(c.var.db, { appspaceId: space.id, range, groupBy: null, filters: {} }),
    eventBuckets(c.var.db, { appspaceId: space.id, range, types: ["referral.completed"] }),
    leaderboard(c.var.db, { appspaceId: space.id, limit: 10, period }),
  ]);
  return render(
    c,
    "Overview",
    "overview",
    pages.overviewBody({
      days,
      stats: { ...stats, conversion_rate: conversionRate(stats) },
      clicks: buildSeries(clicks, range),
      conversions: buildSeries(conversions, range),
      top,
      topLabel: period === "all" ? "all time" : `last ${days} days`,
    }),
  );
});

const PAGE_SIZE = 50;

dashboardRouter.get("/dashboard/referrals", async (c) => {
  const space = appspaceOf(c);
  const status = c.req.query("status") ?? "";
  const q = (c.req.query("q") ?? "").trim().slice(0, 200);
  const after = decodeCursorOrNull(c.req.query("cursor"));
  const rows = await listReferrals(c.var.db, {
    appspaceId: space.id,
    status: (["pending", "completed", "expired"] as const).includes(status as StatusFilter)
      ? (status as StatusFilter)
      : undefined,
    query: q || undefined,
    limit: PAGE_SIZE + 1,
    after: after ?? undefined,
  });
  const pageRows = rows.slice(0, PAGE_SIZE);
  const last = pageRows.at(-1);
  return render(
    c,
    "Referrals",
    "referrals",
    pages.referralsBody({
      rows: pageRows,
      status: pages.STATUS_FILTERS.includes(status as (typeof pages.STATUS_FILTERS)[number]) ? status : "",
      q,
      pipeline: pages.pipelineOf(space.settings),
      next: rows.length > PAGE_SIZE && last ? encodeCursor({ createdAt: last.cursor_at, id: last.id }) : null,
      first: after === null,
    }),
  );
});

function decodeCursorOrNull(value: string | undefined) {
  if (!value) return null;
  try {
    return decodeCursor(value) ?? null;
  } catch {
    return null;
  }
}

dashboardRouter.get("/dashboard/referrals/:code", async (c) => {
  const space = appspaceOf(c);
  const code = c.req.param("code").trim().toUpperCase().slice(0, 64);
  const r = await findReferral(c.var.db, space.id, code);
  if (!r)
    return render(
      c,
      "Referral not found",
      "referrals",
      pages.referralsBody({ rows: [], status: "", q: code, pipeline: [], next: null, first: true }),
      404,
    );
  const clicks = await clicksOf(c.var.db, space.id, r.code, 50);
  return render(
    c,
    `Referral ${r.code}`,
    "referrals",
    pages.referralBody({ r, pipeline: pages.pipelineOf(space.settings), clicks }),
  );
});

dashboardRouter.get("/dashboard/leaderboard", async (c) => {
  const space = appspaceOf(c);
  const sort = (LEADERBOARD_SORTS as readonly string[]).includes(c.req.query("sort") ?? "")
    ? (c.req.query("sort") as "completed" | "reward_value")
    : "completed";
  const period = (LEADERBOARD_PERIODS as readonly string[]).includes(c.req.query("period") ?? "")
    ? (c.req.query("period") as "all" | "30d" | "7d")
    : "all";
  const rows = await leaderboard(c.var.db, { appspaceId: space.id, limit: 50, period, sort });
  return render(c, "Leaderboard", "leaderboard", pages.leaderboardBody({ rows, sort, period }));
});

const ANALYTICS_EVENT_TYPES = EVENT_TYPES.filter((t) => t !== "webhook.test");

dashboardRouter.get("/dashboard/analytics", async (c) => {
  const space = appspaceOf(c);
  const days = daysParam(c);
  const interval = c.req.query("interval") === "hour" ? "hour" : "day";
  const from = isoDay(((interval === "hour" ? Math.min(days, 30) : days) - 1) * 86_400_000);
  const range = resolveRange({ from, interval }, new Date());
  const groupByParam = c.req.query("group_by") ?? "";
  const groupBy = (CLICK_DIMENSIONS as readonly string[]).includes(groupByParam)
    ? (groupByParam as ClickDimension)
    : null;
  const filters: Partial<Record<ClickDimension, string>> = {};
  for (const dim of CLICK_DIMENSIONS) {
    const value = (c.req.query(dim) ?? "").trim().slice(0, 200);
    if (value) filters[dim] = dim === "country" || dim === "referral_code" ? value.toUpperCase() : value;
  }
  const selected = (c.req.queries("type") ?? []).filter((t) =>
    (ANALYTICS_EVENT_TYPES as readonly string[]).includes(t),
  );
  const [clicks, events] = await Promise.all([
    clickBuckets(c.var.db, { appspaceId: space.id, range, groupBy, filters }),
    eventBuckets(c.var.db, {
      appspaceId: space.id,
      range,
      types: selected.length ? selected : ANALYTICS_EVENT_TYPES.filter((t) => t.startsWith("referral.")),
    }),
  ]);
  return render(
    c,
    "Analytics",
    "analytics",
    pages.analyticsBody({
      days,
      interval,
      groupBy: groupBy ?? "",
      filters: filters as Record<string, string>,
      clicks: buildSeries(clicks, range),
      events: buildSeries(events, range),
      eventTypes: ANALYTICS_EVENT_TYPES,
      selectedTypes: selected,
    }),
  );
});

async function webhooksPage(c: Ctx, notice: string | null) {
  const space = appspaceOf(c);
  const endpoints = await listEndpoints(c.var.db, space.id);
  const withDeliveries = await Promise.all(
    endpoints.map(async (endpoint) => ({ endpoint, deliveries: await listDeliveries(c.var.db, endpoint.id, 10) })),
  );
  return render(c, "Webhooks", "webhooks", pages.webhooksBody({ endpoints: withDeliveries, csrf: c.var.csrf, notice }));
}

dashboardRouter.get("/dashboard/webhooks", (c) => {
  const done = c.req.query("done");
  return webhooksPage(
    c,
    done === "replay"
      ? "Replay queued: it appears below once delivered."
      : done === "test"
        ? "Test event queued: it appears below once delivered."
        : null,
  );
});

/** An endpoint of the open appspace (ids of other tenants' endpoints are unknown here). */
async function ownEndpoint(c: Ctx, id: string) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  return (await listEndpoints(c.var.db, appspaceOf(c).id)).find((e) => e.id === id);
}

dashboardRouter.post("/dashboard/webhooks/:id/replay", async (c) => {
  const endpoint = await ownEndpoint(c, c.req.param("id"));
  const form = await c.req.parseBody();
  const eventId = typeof form.event_id === "string" ? form.event_id : "";
  const event =
    endpoint && /^[0-9a-f-]{36}$/i.test(eventId)
      ? await findEventForEndpoint(c.var.db, endpoint.id, eventId)
      : undefined;
  if (!endpoint || !event) return c.redirect("/dashboard/webhooks", 303);
  await queueDelivery(c.var.db, c.env.WEBHOOKS, {
    series: `replay:${crypto.randomUUID()}`,
    eventId: event.id,
    endpointId: endpoint.id,
  });
  return c.redirect("/dashboard/webhooks?done=replay", 303);
});

dashboardRouter.post("/dashboard/webhooks/:id/test", async (c) => {
  const endpoint = await ownEndpoint(c, c.req.param("id"));
  const event = endpoint ? await insertTestEvent(c.var.db, endpoint.id) : undefined;
  if (!endpoint || !event) return c.redirect("/dashboard/webhooks", 303);
  await queueDelivery(c.var.db, c.env.WEBHOOKS, {
    series: `test:${event.id}`,
    eventId: event.id,
    endpointId: endpoint.id,
  });
  return c.redirect("/dashboard/webhooks?done=test", 303);
});

dashboardRouter.get("/dashboard/emails", async (c) => {
  const rows = await listEmails(c.var.db, { appspaceId: appspaceOf(c).id, limit: 100 });
  return render(c, "Emails", "emails", pages.emailsBody({ rows }));
});

dashboardRouter.get("/dashboard/promotions", async (c) => {
  const rows = await listPromotions(c.var.db, { appspaceId: appspaceOf(c).id, limit: 100, includeArchived: true });
  return render(c, "Promotions", "promotions", pages.promotionsBody({ rows, now: new Date() }));
});

dashboardRouter.get("/dashboard/settings", (c) => {
  const saved = c.req.query("saved") === "1";
  const body = settingsForm({ values: appspaceOf(c).settings, errors: {}, csrf: c.var.csrf });
  return render(c, "Settings", "settings", saved ? savedNotice(body) : body);
});

const savedNotice = (body: Html): Html =>
  html`<p class="notice ok" role="status">Saved. Links use the new settings at once (other locations within a minute).</p>${body}`;

dashboardRouter.post("/dashboard/settings", async (c) => {
  const space = appspaceOf(c);
  const form = await c.req.parseBody();
  const patch = formToPatch(form);
  const checked = validatePatch(patch);
  if (!checked.ok) {
    const values = Object.fromEntries(Object.entries(form).filter(([k]) => k !== "_csrf"));
    const body = settingsForm({
      values: { ...values, referrals_enabled: form.referrals_enabled === "on" },
      errors: checked.errors,
      csrf: c.var.csrf,
    });
    return render(c, "Settings", "settings", body, 400);
  }
  const row = await updateAppspace(c.var.db, space.id, { settingsPatch: checked.value });
  if (!row) return c.redirect("/dashboard/appspaces", 303);
  forgetAppspace(space.id);
  await publishAppspaceChange(c.env.LINKS, row);
  return c.redirect("/dashboard/settings?saved=1", 303);
});
