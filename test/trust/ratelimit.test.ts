import { createExecutionContext, env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src";
import { clientKey } from "../../src/services/rate-limiter";
import { ADMIN_TOKEN, call, createAppspace, databaseDown } from "../support/api";
import { linkFixture, UA, visit } from "../support/links";

/**
 * Limits everywhere a user would expect them, each answering 429 with a truthful Retry-After and
 * RateLimit headers. The bindings are spied on: the suite lifts their figures (vitest.config.ts),
 * so these tests say which limiter each request spends and what a refusal looks like.
 */
afterEach(() => vi.restoreAllMocks());

const refuse = (binding: RateLimit) => vi.spyOn(binding, "limit").mockResolvedValue({ success: false });
const watch = (binding: RateLimit) => vi.spyOn(binding, "limit");

function expect429(res: { status: number; headers: Headers }, policy: string, limit: number) {
  expect(res.status).toBe(429);
  expect(res.headers.get("retry-after")).toBe("60");
  expect(res.headers.get("ratelimit-policy")).toBe(`"${policy}";q=${limit};w=60`);
  expect(res.headers.get("ratelimit")).toBe(`"${policy}";r=0;t=60`);
}

describe("API: per key", () => {
  it("a secret key over its budget gets a JSON 429 in the error shape", async () => {
    const space = await createAppspace();
    const spy = refuse(env.API_LIMITER);
    const res = await call("GET", "/v1/api/referral/leaderboard", { key: space.sk });
    expect429(res, "api", 1200);
    expect(res.body.error).toBe("Too many requests: at most 1200 per 60 s per API key; retry after 60 s");
    const [[arg]] = spy.mock.calls as [[{ key: string }]];
    expect(arg.key).toMatch(/^api:[0-9a-f-]{36}$/); // the key's id, never the key
    expect(arg.key).not.toContain(space.sk);
  });

  it("a publishable key's budget is per client IP: whoever extracts it from the app can't spend everyone's", async () => {
    const space = await createAppspace();
    const spy = watch(env.API_LIMITER);
    const from = (ip: string) => ({ "cf-connecting-ip": ip });
    await call("GET", "/api/deferred/claim?token=abc", { key: space.pk, headers: from("198.51.100.40") });
    await call("GET", "/api/deferred/claim?token=abc", { key: space.pk, headers: from("198.51.100.41") });
    await call("GET", "/api/deferred/claim?token=abc", { key: space.pk, headers: from("2001:db8:1:2::99") });
    const keys = spy.mock.calls.map(([arg]) => (arg as { key: string }).key);
    expect(keys).toEqual([
      expect.stringMatching(/^api-publishable:[0-9a-f-]{36}:198\.51\.100\.40$/),
      expect.stringMatching(/^api-publishable:[0-9a-f-]{36}:198\.51\.100\.41$/),
      expect.stringMatching(/^api-publishable:[0-9a-f-]{36}:2001:db8:1:2::\/64$/),
    ]);
    expect(keys.join()).not.toContain(space.pk);

    // One IP over its budget: refused there, in the error shape with its own policy …
    spy.mockImplementation(async ({ key }) => ({ success: !key.endsWith(":198.51.100.40") }));
    const refused = await call("POST", "/v1/api/referral/create", {
      key: space.pk,
      body: { user_id: "u1" },
      headers: from("198.51.100.40"),
    });
    expect429(refused, "api-publishable", 1200);
    expect(refused.body.error).toBe(
      "Too many requests: at most 1200 per 60 s per publishable key and IP address; retry after 60 s",
    );
    // … while another install of the app, elsewhere, still claims.
    const elsewhere = await call("POST", "/v1/api/referral/create", {
      key: space.pk,
      body: { user_id: "u2" },
      headers: from("198.51.100.41"),
    });
    expect(elsewhere.status).toBe(200);
  });

  it("the publishable and secret keys of one appspace have separate budgets; deferred routes spend them too", async () => {
    const space = await createAppspace();
    const spy = watch(env.API_LIMITER);
    await call("GET", "/v1/api/referral/leaderboard", { key: space.sk });
    await call("GET", "/api/deferred/claim?token=abc", { key: space.pk });
    const keys = spy.mock.calls.map(([arg]) => (arg as { key: string }).key);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
  });

  it("the admin API spends one admin budget", async () => {
    const spy = refuse(env.API_LIMITER);
    const res = await call("GET", "/v1/admin/appspaces", { key: ADMIN_TOKEN });
    expect429(res, "api", 1200);
    expect(spy).toHaveBeenCalledWith({ key: "api:admin" });
  });
});

describe("failed authentication: per IP", () => {
  it("past the limit a wrong key gets 429 instead of 401; valid keys don't spend it", async () => {
    const space = await createAppspace();
    const failures = watch(env.AUTH_FAIL_LIMITER);
    const headers = { "cf-connecting-ip": "198.51.100.33" };
    expect((await call("GET", "/v1/api/referral/leaderboard", { key: space.sk, headers })).status).toBe(200);
    expect(failures).not.toHaveBeenCalled();
    expect((await call("GET", "/v1/api/referral/leaderboard", { key: `sk_${"x".repeat(40)}`, headers })).status).toBe(
      401,
    );
    expect(failures).toHaveBeenCalledWith({ key: "auth-failures:198.51.100.33" });
    failures.mockResolvedValue({ success: false });
    const limited = await call("GET", "/v1/api/referral/leaderboard", { key: `sk_${"y".repeat(40)}`, headers });
    expect429(limited, "auth-failures", 20);
    const admin = await call("GET", "/v1/admin/appspaces", { key: "not-the-admin-token", headers });
    expect429(admin, "auth-failures", 20);
    const missing = await call("GET", "/v1/admin/appspaces", { headers });
    expect(missing.status).toBe(429);
  });

  it("once an IP is over the limit, its next guesses cost no database lookup; verified keys still work", async () => {
    const space = await createAppspace();
    const headers = { "cf-connecting-ip": "198.51.100.34" };
    // Verified once (so cached in this isolate), before the IP goes over the limit.
    expect((await call("GET", "/v1/api/referral/leaderboard", { key: space.sk, headers })).status).toBe(200);
    refuse(env.AUTH_FAIL_LIMITER);
    expect429(
      await call("GET", "/v1/api/referral/leaderboard", { key: `sk_${"z".repeat(40)}`, headers }),
      "auth-failures",
      20,
    );
    // The database away: a guess would fail on its key lookup (500) if one were made. It isn't.
    const down = databaseDown(env);
    const guess = await worker.fetch(
      new Request("https://api.test/v1/api/referral/leaderboard", {
        headers: { ...headers, authorization: `Bearer sk_${"w".repeat(40)}` },
      }),
      down,
      createExecutionContext(),
    );
    expect429({ status: guess.status, headers: guess.headers }, "auth-failures", 20);
    // Another IP is not affected; the verified key still answers from this IP.
    vi.restoreAllMocks();
    expect(
      (
        await call("GET", "/v1/api/referral/leaderboard", {
          key: `sk_${"v".repeat(40)}`,
          headers: { "cf-connecting-ip": "198.51.100.35" },
        })
      ).status,
    ).toBe(401);
    expect((await call("GET", "/v1/api/referral/leaderboard", { key: space.sk, headers })).status).toBe(200);
  });
});

describe("anonymous routes: per IP, with their own budgets", () => {
  it("people's clicks, crawlers and HEAD spend different limiters", async () => {
    const { host, code } = await linkFixture();
    const clicks = watch(env.CLICK_LIMITER);
    const crawlers = watch(env.CRAWLER_LIMITER);
    await visit(`https://${host}/ref/${code}`, { ua: UA.desktop, ip: "192.0.2.1" });
    await visit(`https://${host}/ref/${code}`, { ua: UA.slackbot, ip: "192.0.2.1" });
    await visit(`https://${host}/ref/ZZZZZZZZZZ`, { ua: UA.desktop, ip: "192.0.2.1", method: "HEAD" });
    expect(clicks.mock.calls).toEqual([[{ key: "clicks:192.0.2.1" }]]);
    expect(crawlers.mock.calls).toEqual([[{ key: "crawlers:192.0.2.1" }], [{ key: "crawlers:192.0.2.1" }]]);
    crawlers.mockResolvedValue({ success: false });
    expect429(
      await visit(`https://${host}/ref/${code}`, { ua: UA.facebookexternalhit, ip: "192.0.2.1" }),
      "crawlers",
      120,
    );
    expect429(await visit(`https://${host}/ref/${code}`, { method: "HEAD", ip: "192.0.2.1" }), "crawlers", 120);
  });

  it("a limited click is a 429 with the clicks policy", async () => {
    const { host, code } = await linkFixture();
    refuse(env.CLICK_LIMITER);
    expect429(await visit(`https://${host}/ref/${code}`, { ua: UA.android }), "clicks", 300);
  });

  it.each([
    "/health",
    "/openapi.json",
    "/docs",
    "/.well-known/apple-app-site-association",
    "/.well-known/assetlinks.json",
  ])("%s spends the public budget", async (path) => {
    const spy = refuse(env.PUBLIC_LIMITER);
    const res = await visit(`https://api.test${path}`, { ip: "192.0.2.2" });
    expect429(res, "public", 300);
    expect(spy).toHaveBeenCalledWith({ key: "public:192.0.2.2" });
  });

  it("IPv6 clients are keyed by their /64", async () => {
    const { host, code } = await linkFixture();
    const clicks = watch(env.CLICK_LIMITER);
    await visit(`https://${host}/ref/${code}`, { ua: UA.desktop, ip: "2001:db8:aa:bb:1::1" });
    await visit(`https://${host}/ref/${code}`, { ua: UA.desktop, ip: "2001:db8:aa:bb:ffff:ffff:ffff:fffe" });
    await visit(`https://${host}/ref/${code}`, { ua: UA.desktop, ip: "2001:db8:aa:bc::1" });
    expect(clicks.mock.calls.map(([a]) => (a as { key: string }).key)).toEqual([
      "clicks:2001:db8:aa:bb::/64",
      "clicks:2001:db8:aa:bb::/64",
      "clicks:2001:db8:aa:bc::/64",
    ]);
  });
});

describe("clientKey", () => {
  it.each([
    ["203.0.113.5", "203.0.113.5"],
    ["::ffff:203.0.113.5", "203.0.113.5"],
    ["2001:DB8::1", "2001:db8:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["not an ip", "unknown"],
    [undefined, "unknown"],
  ])("%s → %s", (ip, key) => {
    expect(clientKey(ip)).toBe(key);
  });
});
