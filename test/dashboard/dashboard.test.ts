import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import {
  ADMIN_TOKEN,
  admin,
  call,
  createAppspace,
  createReferral,
  type TestAppspace,
  uniqueUser,
} from "../support/api";
import { visit } from "../support/links";

/**
 * The dashboard through its HTTP surface inside workerd: sessions, CSRF, revocation, the numbers
 * it shows, settings reaching /ref. (test/browser/dashboard.test.ts drives the same pages in a
 * real Chromium.)
 */

const ORIGIN = "https://api.test";

async function req(
  method: string,
  path: string,
  p: { cookie?: string; form?: Record<string, string>; origin?: string | null } = {},
) {
  const headers: Record<string, string> = {};
  if (p.cookie) headers.cookie = p.cookie;
  if (p.origin !== null) headers.origin = p.origin ?? ORIGIN;
  let body: string | undefined;
  if (p.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(p.form).toString();
  }
  const res = await exports.default.fetch(
    new Request(`${ORIGIN}${path}`, { method, headers, body, redirect: "manual" }),
  );
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Signs in; returns the session cookie (name=value). */
async function signIn(key: string): Promise<string> {
  const res = await req("POST", "/dashboard/sign-in", { form: { key } });
  expect(res.status).toBe(303);
  const cookie = res.headers.get("set-cookie") ?? "";
  return cookie.split(";")[0] ?? "";
}

/** The CSRF token of the page's forms. */
const csrfOf = (page: string) => /name="_csrf" value="([0-9a-f]+)"/.exec(page)?.[1] ?? "";

const complete = (space: TestAppspace, code: string) =>
  call("POST", "/v1/api/referral/complete", {
    key: space.sk,
    body: { referral_code: code, referred_user_id: uniqueUser() },
  });

describe("dashboard sign-in and sessions", () => {
  it("protected pages send you to the sign-in form, which asks for the secret key", async () => {
    for (const path of ["/dashboard", "/dashboard/referrals", "/dashboard/settings", "/dashboard/webhooks"]) {
      const res = await req("GET", path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get("location"), path).toBe("/dashboard/sign-in");
    }
    const form = await req("GET", "/dashboard/sign-in");
    expect(form.status).toBe(200);
    expect(form.text).toContain('<label for="key">Secret key</label>');
    expect(form.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(form.headers.get("content-security-policy")).not.toContain("script-src");
    expect(form.headers.get("cache-control")).toBe("no-store");
  });

  it("a secret key opens a signed, HttpOnly, Secure, SameSite=Lax session with an expiry; the key never shows", async () => {
    const space = await createAppspace();
    const res = await req("POST", "/dashboard/sign-in", { form: { key: space.sk } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard");
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^edgeref_session=[^;]+/);
    for (const attribute of ["HttpOnly", "Secure", "SameSite=Lax", "Path=/dashboard", "Max-Age=28800"]) {
      expect(cookie).toContain(attribute);
    }
    expect(cookie).not.toContain(space.sk);
    const session = cookie.split(";")[0] ?? "";
    for (const path of [
      "/dashboard",
      "/dashboard/referrals",
      "/dashboard/leaderboard",
      "/dashboard/analytics",
      "/dashboard/webhooks",
      "/dashboard/emails",
      "/dashboard/promotions",
      "/dashboard/settings",
    ]) {
      const page = await req("GET", path, { cookie: session });
      expect(page.status, path).toBe(200);
      expect(page.text, path).not.toContain(space.sk);
      expect(page.text, path).not.toContain(space.pk);
    }
    // A tampered cookie is no session.
    const forged = await req("GET", "/dashboard", { cookie: `${session.slice(0, -2)}00` });
    expect(forged.status).toBe(303);
  });

  it("wrong and publishable keys get the form again with a clear message; attempts are rate-limited", async () => {
    const space = await createAppspace();
    const wrong = await req("POST", "/dashboard/sign-in", { form: { key: "sk_nope" } });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain("That key is not valid, or it has been revoked.");
    expect(wrong.text).not.toContain("sk_nope");
    const publishable = await req("POST", "/dashboard/sign-in", { form: { key: space.pk } });
    expect(publishable.status).toBe(400);
    expect(publishable.text).toContain("publishable key");
    expect(publishable.text).not.toContain(space.pk);
    // Each failed sign-in spends the caller IP's failed-authentication budget (the API's too);
    // past it, the form answers 429 without checking the key.
    const watched = vi.spyOn(env.AUTH_FAIL_LIMITER, "limit");
    const from = (ip: string) =>
      exports.default.fetch(
        new Request(`${ORIGIN}/dashboard/sign-in`, {
          method: "POST",
          headers: { origin: ORIGIN, "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": ip },
          body: `key=${encodeURIComponent(space.sk)}x`,
          redirect: "manual",
        }),
      );
    expect((await from("198.51.100.77")).status).toBe(400);
    expect(watched).toHaveBeenCalledWith({ key: "auth-failures:198.51.100.77" });
    watched.mockResolvedValue({ success: false });
    const limited = await from("198.51.100.78");
    expect(limited.status).toBe(429);
    expect(await limited.text()).toContain("Too many sign-in attempts");
    vi.restoreAllMocks();
    // This isolate now turns that IP away before looking at any key, even a right one.
    const blocked = await exports.default.fetch(
      new Request(`${ORIGIN}/dashboard/sign-in`, {
        method: "POST",
        headers: {
          origin: ORIGIN,
          "content-type": "application/x-www-form-urlencoded",
          "cf-connecting-ip": "198.51.100.78",
        },
        body: `key=${encodeURIComponent(space.sk)}`,
        redirect: "manual",
      }),
    );
    expect(blocked.status).toBe(429);
    await blocked.text();
  });

  it("revoking the key ends its sessions; signing out ends the session", async () => {
    const space = await createAppspace();
    const created = await admin<{ id: string; key: string }>("POST", `/appspaces/${space.id}/keys`, { type: "secret" });
    const session = await signIn(created.body.key);
    expect((await req("GET", "/dashboard", { cookie: session })).status).toBe(200);
    expect((await admin("DELETE", `/keys/${created.body.id}`)).status).toBe(200);
    const after = await req("GET", "/dashboard", { cookie: session });
    expect(after.status).toBe(303);
    expect(after.headers.get("location")).toBe("/dashboard/sign-in");

    const other = await signIn(space.sk);
    const page = await req("GET", "/dashboard", { cookie: other });
    const out = await req("POST", "/dashboard/sign-out", { cookie: other, form: { _csrf: csrfOf(page.text) } });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/edgeref_session=;.*Max-Age=0/);
    // Ended on the server too: a copy of the cookie kept elsewhere no longer opens anything.
    expect((await req("GET", "/dashboard", { cookie: other })).headers.get("location")).toBe("/dashboard/sign-in");
  });

  it("is not served on a tenant's link domain", async () => {
    const host = `${crypto.randomUUID().slice(0, 8)}.links.test`;
    await createAppspace({ domains: [host] });
    const res = await exports.default.fetch(new Request(`https://${host}/dashboard/sign-in`, { redirect: "manual" }));
    expect(res.status).toBe(404);
    await res.text();
  });

  it("the admin token opens any appspace", async () => {
    const space = await createAppspace({ name: `Admin view ${crypto.randomUUID()}` });
    const session = await signIn(ADMIN_TOKEN);
    const list = await req("GET", "/dashboard/appspaces", { cookie: session });
    expect(list.status).toBe(200);
    expect(list.text).toContain(space.id);
    expect(list.text).not.toContain(ADMIN_TOKEN);
    // No appspace picked yet: the overview sends you to the list.
    expect((await req("GET", "/dashboard", { cookie: session })).headers.get("location")).toBe("/dashboard/appspaces");
    const switched = await req("POST", "/dashboard/appspaces/switch", {
      cookie: session,
      form: { _csrf: csrfOf(list.text), appspace_id: space.id },
    });
    expect(switched.status).toBe(303);
    const next = (switched.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const overview = await req("GET", "/dashboard", { cookie: next });
    expect(overview.status).toBe(200);
    expect(overview.text).toContain("Admin view");
  });
});

describe("dashboard pages and forms", () => {
  it("the overview's cards equal the stats API", async () => {
    const space = await createAppspace();
    const a = await createReferral(space);
    await createReferral(space);
    await complete(space, a.referral_code);
    const session = await signIn(space.sk);
    const page = await req("GET", "/dashboard?days=7", { cookie: session });
    const from = new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10);
    const stats = await call<Record<string, number>>("GET", `/v1/api/referral/stats?from=${from}`, { key: space.sk });
    const cards = Object.fromEntries(
      [...page.text.matchAll(/<div class="card-label">([^<]+)<\/div><div class="card-value">([^<]+)<\/div>/g)].map(
        (m) => [m[1], m[2]],
      ),
    );
    expect(cards).toEqual({
      "Total referrals": String(stats.body.total),
      Pending: String(stats.body.pending),
      Completed: String(stats.body.completed),
      Expired: String(stats.body.expired),
      "Conversion rate": `${((stats.body.conversion_rate ?? 0) * 100).toFixed(1)}%`,
    });
    expect(cards["Total referrals"]).toBe("2");
  });

  it("state-changing forms need their CSRF token and this origin", async () => {
    const space = await createAppspace();
    const session = await signIn(space.sk);
    const page = await req("GET", "/dashboard/settings", { cookie: session });
    const token = csrfOf(page.text);
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    const missing = await req("POST", "/dashboard/settings", { cookie: session, form: { expiration_days: "10" } });
    expect(missing.status).toBe(403);
    const wrong = await req("POST", "/dashboard/settings", { cookie: session, form: { _csrf: "0".repeat(32) } });
    expect(wrong.status).toBe(403);
    const crossSite = await req("POST", "/dashboard/settings", {
      cookie: session,
      origin: "https://evil.example",
      form: { _csrf: token },
    });
    expect(crossSite.status).toBe(403);
    // Another session's token is not this one's.
    const otherSession = await signIn(space.sk);
    const otherToken = csrfOf((await req("GET", "/dashboard/settings", { cookie: otherSession })).text);
    expect(otherToken).not.toBe(token);
    expect((await req("POST", "/dashboard/settings", { cookie: session, form: { _csrf: otherToken } })).status).toBe(
      403,
    );
  });

  it("settings: errors beside the field, nothing saved; a saved change reaches /ref/:code", async () => {
    const host = `${crypto.randomUUID().slice(0, 8)}.links.test`;
    const space = await createAppspace({ domains: [host], settings: { web_fallback_url: "https://old.example.com/" } });
    const session = await signIn(space.sk);
    const page = await req("GET", "/dashboard/settings", { cookie: session });
    const token = csrfOf(page.text);
    const form = (over: Record<string, string>) => ({
      _csrf: token,
      web_fallback_url: "https://old.example.com/",
      reward_type: "none",
      referee_reward_type: "none",
      expiration_days: "30",
      reward_milestone: "completed",
      match_strategy: "strict",
      match_window_minutes: "120",
      match_min_confidence: "0.9",
      referrals_enabled: "on",
      ...over,
    });
    const bad = await req("POST", "/dashboard/settings", {
      cookie: session,
      form: form({ web_fallback_url: "http://insecure.example.com/", expiration_days: "0" }),
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="f-web_fallback_url-error">Web fallback URL: [^<]*https/);
    expect(bad.text).toMatch(/id="f-expiration_days-error">Expiry \(days\): /);
    expect(bad.text).toContain('value="http://insecure.example.com/"');
    const unchanged = await admin<{ settings: Record<string, unknown> }>("GET", `/appspaces/${space.id}`);
    expect(unchanged.body.settings.web_fallback_url).toBe("https://old.example.com/");

    const before = await visit(`https://${host}/ref/NOSUCHCODE`);
    expect(before.headers.get("location")).toBe("https://old.example.com/");
    const saved = await req("POST", "/dashboard/settings", {
      cookie: session,
      form: form({ web_fallback_url: "https://new.example.com/" }),
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe("/dashboard/settings?saved=1");
    const after = await visit(`https://${host}/ref/NOSUCHCODE`);
    expect(after.headers.get("location")).toBe("https://new.example.com/");
  });

  it("referrals: filter by status, search by code, user id and name, keyset pages; another tenant's never show", async () => {
    const space = await createAppspace();
    const other = await createAppspace();
    const mine = await createReferral(space, { user_id: "zoe_1", user_name: "Zoë Example" });
    await complete(space, mine.referral_code);
    for (let i = 0; i < 55; i++) await createReferral(space, { user_id: `bulk_${i}` });
    const theirs = await createReferral(other, { user_id: "zoe_1" });
    const session = await signIn(space.sk);

    const first = await req("GET", "/dashboard/referrals", { cookie: session });
    const codes = (text: string) => [...text.matchAll(/href="\/dashboard\/referrals\/([A-Z0-9]+)"/g)].map((m) => m[1]);
    expect(codes(first.text)).toHaveLength(50);
    const next = /href="([^"]+)" rel="next"/.exec(first.text)?.[1]?.replace(/&amp;/g, "&");
    expect(next).toBeTruthy();
    const second = await req("GET", next ?? "", { cookie: session });
    expect(codes(second.text)).toHaveLength(6);
    expect(new Set([...codes(first.text), ...codes(second.text)]).size).toBe(56);

    const completed = await req("GET", "/dashboard/referrals?status=completed", { cookie: session });
    expect(codes(completed.text)).toEqual([mine.referral_code]);
    for (const q of [mine.referral_code.toLowerCase(), "zoe_1", "zoë"]) {
      const found = await req("GET", `/dashboard/referrals?q=${encodeURIComponent(q)}`, { cookie: session });
      expect(codes(found.text), q).toEqual([mine.referral_code]);
    }
    expect(codes((await req("GET", "/dashboard/referrals?q=nobody", { cookie: session })).text)).toEqual([]);
    const detail = await req("GET", `/dashboard/referrals/${mine.referral_code}`, { cookie: session });
    expect(detail.status).toBe(200);
    expect(detail.text).toContain("Milestone history");
    expect((await req("GET", `/dashboard/referrals/${theirs.referral_code}`, { cookie: session })).status).toBe(404);
  });

  it("user input is escaped, never markup", async () => {
    const space = await createAppspace();
    await createReferral(space, { user_id: "x", user_name: '<img src=x onerror="alert(1)">' });
    const session = await signIn(space.sk);
    const page = await req("GET", "/dashboard/referrals", { cookie: session });
    expect(page.text).not.toContain("<img src=x");
    expect(page.text).toContain("&lt;img src=x");
  });
});
