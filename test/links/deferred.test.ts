import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { admin, call, createAppspace, sql } from "../support/api";
import { kvEntries, linkFixture, UA, visit, waitForToken } from "../support/links";

/** An Android click; returns its install-referrer token once the record is in KV. */
async function androidClick(host: string, code: string, ip = "198.51.100.20") {
  const res = await visit(`https://${host}/ref/${code}`, { ua: UA.android, ip });
  const token = new URL(res.headers.get("location") ?? "").searchParams.get("referrer")?.slice("tolk_token=".length);
  if (!token) throw new Error("no token in the Play Store redirect");
  await waitForToken(token);
  return token;
}

/** An iOS click whose page reported these signals; returns the token once the record is in KV. */
async function iosClick(
  host: string,
  code: string,
  ip: string,
  signals: { tz: string; l: string; w: number; h: number },
  ua = UA.iphone,
) {
  const page = await visit(`https://${host}/ref/${code}`, { ua, ip });
  const continueUrl = page.body.match(/\/ref\/[A-Z0-9]+\/continue\?t=[A-Za-z0-9_.-]+/)?.[0] ?? "";
  const query = new URLSearchParams({ tz: signals.tz, l: signals.l, w: String(signals.w), h: String(signals.h) });
  await visit(`https://${host}${continueUrl}&${query}`, { ua, ip });
  const token = continueUrl.split("t=")[1] ?? "";
  await waitForToken(token);
  return token;
}

const match = (key: string, ip: string, body: Record<string, unknown>) =>
  call("POST", "/api/deferred/match", { key, body, headers: { "cf-connecting-ip": ip } });

describe("GET /api/deferred/claim (Android, by token)", () => {
  it("returns the original path and code once; then 404", async () => {
    const { host, code, space } = await linkFixture();
    const token = await androidClick(host, code);
    const res = await call("GET", `/api/deferred/claim?token=${token}`, { key: space.pk });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ path: `/ref/${code}`, referral_code: code, token, clicked_at: expect.any(String) });
    const again = await call("GET", `/api/deferred/claim?token=${token}`, { key: space.pk });
    expect(again.status).toBe(404);
    expect(again.body.error).toBe("Deferred link not found, expired, or already claimed");
    const [event] = await sql<{ data: string }>(
      "select data::text as data from events where appspace_id = $1 and type = 'deferred_link.claimed'",
      [space.id],
    );
    expect(JSON.parse(event?.data ?? "{}")).toMatchObject({ token, referral_code: code, method: "token" });
  });

  it("404 for unknown tokens, expired records and another appspace's key; 400 without a token; 401 without a key", async () => {
    const { host, code, space } = await linkFixture();
    const other = await createAppspace();
    const token = await androidClick(host, code);
    expect((await call("GET", "/api/deferred/claim?token=nope-not-a-token", { key: space.pk })).status).toBe(404);
    expect((await call("GET", `/api/deferred/claim?token=${token}`, { key: other.pk })).status).toBe(404);
    const missing = await call("GET", "/api/deferred/claim", { key: space.pk });
    expect([missing.status, missing.body.error]).toEqual([400, "token is required"]);
    expect((await call("GET", `/api/deferred/claim?token=${token}`)).status).toBe(401);
    // A record past 24 h is never returned, even if KV still had it.
    const [entry] = await kvEntries(`t:${space.id}:${token}`);
    const old = { ...JSON.parse(entry?.value ?? "{}"), clickedAt: Date.now() - 86_400_001 };
    const { env } = await import("cloudflare:test");
    await env.LINKS.put(`t:${space.id}:${token}`, JSON.stringify(old), { expirationTtl: 120 });
    expect((await call("GET", `/api/deferred/claim?token=${token}`, { key: space.pk })).status).toBe(404);
  });

  it("retried with its Idempotency-Key (the answer was lost): the claim again, not 404", async () => {
    const { host, code, space } = await linkFixture();
    const token = await androidClick(host, code);
    const headers = { "idempotency-key": crypto.randomUUID() };
    const first = await call("GET", `/api/deferred/claim?token=${token}`, { key: space.pk, headers });
    expect(first.status).toBe(200);
    const retry = await call("GET", `/api/deferred/claim?token=${token}`, { key: space.pk, headers });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    // The key belongs to this query: another token with it is a misuse; without it, claimed is claimed.
    const misuse = await call("GET", "/api/deferred/claim?token=another", { key: space.pk, headers });
    expect(misuse.status).toBe(422);
    expect((await call("GET", `/api/deferred/claim?token=${token}`, { key: space.pk })).status).toBe(404);
    const events = await sql("select 1 from events where appspace_id = $1 and type = 'deferred_link.claimed'", [
      space.id,
    ]);
    expect(events).toHaveLength(1);
  });

  it("50 concurrent claims of one token: exactly one succeeds", async () => {
    const { host, code, space } = await linkFixture();
    const token = await androidClick(host, code);
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => call("GET", `/api/deferred/claim?token=${token}`, { key: space.pk })),
    );
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 404)).toHaveLength(49);
    expect(await sql("select 1 from deferred_claims where token = $1", [token])).toHaveLength(1);
  });
});

describe("POST /api/deferred/match (iOS, by device signals)", () => {
  const signals = { tz: "Europe/Berlin", l: "de-DE", w: 393, h: 852 };
  const install = { timezone: "Europe/Berlin", language: "de-DE", screen_width: 393, screen_height: 852 };

  it("matches the click from the same IP, says how, and claims it once", async () => {
    const { host, code, space } = await linkFixture();
    const token = await iosClick(host, code, "192.0.2.77", signals);
    const res = await match(space.pk, "192.0.2.77", { ...install, os_version: "17.4" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      path: `/ref/${code}`,
      referral_code: code,
      token,
      match: { strategy: "strict", candidates: 1, matched_signals: expect.arrayContaining(["timezone", "language"]) },
    });
    const info = res.body.match as { confidence: number; score: number };
    expect(info.confidence).toBeGreaterThanOrEqual(0.9);
    expect(info.confidence).toBeLessThanOrEqual(1);
    const again = await match(space.pk, "192.0.2.77", install);
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ error: "No matching deferred link for this device", reason: "no_candidates" });
  });

  it("retried with its Idempotency-Key (the answer was lost): the same match again, nothing else claimed", async () => {
    const { host, code, space } = await linkFixture();
    const ip = "192.0.2.81";
    const mine = await iosClick(host, code, ip, signals);
    const key = crypto.randomUUID();
    const send = () =>
      call("POST", "/api/deferred/match", {
        key: space.pk,
        body: { ...install, os_version: "17.4" },
        headers: { "cf-connecting-ip": ip, "idempotency-key": key },
      });
    const first = await send();
    expect(first.status).toBe(200);
    expect(first.body.token).toBe(mine);
    const retry = await send();
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    const claims = await sql<{ token: string }>("select token from deferred_claims where appspace_id = $1", [space.id]);
    expect(claims.map((c) => c.token)).toEqual([mine]);
    // Without the key a retry runs again, and the install's own record is already claimed.
    expect((await match(space.pk, ip, { ...install, os_version: "17.4" })).body.reason).toBe("no_candidates");
    // The same key with another body is a misuse, not a replay.
    const other = await call("POST", "/api/deferred/match", {
      key: space.pk,
      body: install,
      headers: { "cf-connecting-ip": ip, "idempotency-key": key },
    });
    expect([other.status, other.body.field]).toEqual([422, "Idempotency-Key"]);
  });

  it("no candidates from another IP, another appspace, or with other signals", async () => {
    const { host, code, space } = await linkFixture();
    const other = await createAppspace();
    await iosClick(host, code, "192.0.2.78", signals);
    expect((await match(space.pk, "192.0.2.79", install)).body.reason).toBe("no_candidates");
    expect((await match(other.pk, "192.0.2.78", install)).body.reason).toBe("no_candidates");
    const mismatch = await match(space.pk, "192.0.2.78", {
      timezone: "America/New_York",
      language: "en-US",
      screen_width: 430,
      screen_height: 932,
    });
    expect(mismatch.status).toBe(404);
    expect(mismatch.body.candidates).toBe(1);
  });

  it("strict: two equally good candidates are ambiguous; published: the most recent wins", async () => {
    const strict = await linkFixture();
    await iosClick(strict.host, strict.code, "192.0.2.80", signals);
    const second = await call<{ referral_code: string }>("POST", "/v1/api/referral/create", {
      key: strict.space.pk,
      body: { user_id: "bob" },
    });
    await iosClick(strict.host, second.body.referral_code, "192.0.2.80", signals, UA.iphone.replace("17_4", "17_5"));
    const ambiguous = await match(strict.space.pk, "192.0.2.80", install);
    expect(ambiguous.status).toBe(404);
    expect(ambiguous.body).toMatchObject({ reason: "ambiguous", strategy: "strict", candidates: 2 });

    await admin("PATCH", `/appspaces/${strict.space.id}`, { settings: { match_strategy: "published" } });
    const published = await match(strict.space.pk, "192.0.2.80", install);
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({
      referral_code: second.body.referral_code,
      match: { strategy: "published" },
    });
  });

  it("400 names missing or invalid fields", async () => {
    const { space } = await linkFixture();
    const res = await match(space.pk, "192.0.2.81", { ...install, screen_width: "wide" });
    expect(res.status).toBe(400);
    expect(res.body.field).toBe("screen_width");
    const missing = await match(space.pk, "192.0.2.81", { language: "de-DE", screen_width: 1, screen_height: 1 });
    expect(missing.body.error).toBe("timezone is required");
  });
});

describe("click rate limit", () => {
  // The limiter itself is Cloudflare's (its figure is checked against wrangler.toml in
  // test/node/wrangler-config.test.ts); here its answer is a spy, so no clock minute is raced.
  it("over the limit from one IP → 429 with Retry-After; crawlers and other IPs are not limited by it", async () => {
    const { host, code } = await linkFixture();
    const ip = "203.0.113.150";
    const clicks = vi.spyOn(env.CLICK_LIMITER, "limit");
    expect((await visit(`https://${host}/ref/${code}`, { ua: UA.desktop, ip })).status).toBe(302);
    expect(clicks).toHaveBeenLastCalledWith({ key: `clicks:${ip}` });
    clicks.mockImplementation(async ({ key }) => ({ success: key !== `clicks:${ip}` }));
    const limited = await visit(`https://${host}/ref/${code}`, { ua: UA.desktop, ip });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect((await visit(`https://${host}/ref/${code}`, { ua: UA.slackbot, ip })).status).toBe(200);
    expect((await visit(`https://${host}/ref/${code}`, { ua: UA.desktop, ip: "203.0.113.250" })).status).toBe(302);
    vi.restoreAllMocks();
  });
});

describe("link settings validation", () => {
  it.each([
    ["ios_app_store_url", "https://example.com/app"],
    ["ios_app_store_url", "http://apps.apple.com/app/id1"],
    ["android_package", "not a package"],
    ["web_fallback_url", "javascript:alert(1)"],
    ["og_image_url", "ftp://example.com/x.png"],
    ["match_window_minutes", 0],
    ["match_strategy", "loose"],
    ["match_min_confidence", 1.5],
    ["apple_team_id", "abc"],
    ["ios_bundle_ids", ["not valid!"]],
    ["android_sha256_cert_fingerprints", ["AB:CD"]],
  ])("400 names settings.%s", async (key, value) => {
    const res = await admin("POST", "/appspaces", { name: "x", settings: { [key]: value } });
    expect(res.status).toBe(400);
    expect(String(res.body.field)).toContain(`settings.${key}`);
  });
});

describe("iOS records are kept per device, not per model", () => {
  const signals = new URLSearchParams({ tz: "Europe/Berlin", l: "de-DE", w: "393", h: "852" });
  /** One click through the iOS page and /continue, as a browser holding `cookie` (if any). */
  async function click(host: string, code: string, cookie?: string) {
    const headers = cookie ? { cookie } : undefined;
    const page = await visit(`https://${host}/ref/${code}`, { ua: UA.iphone, ip: "203.0.113.50", headers });
    const continueUrl = page.body.match(/\/ref\/[A-Z0-9]+\/continue\?t=[A-Za-z0-9_.-]+/)?.[0] ?? "";
    const res = await visit(`https://${host}${continueUrl}&${signals}`, { ua: UA.iphone, ip: "203.0.113.50", headers });
    const token = continueUrl.split("t=")[1] ?? "";
    await waitForToken(token);
    return { token, setCookie: res.headers.get("set-cookie") ?? "" };
  }

  it("two colleagues with the same iPhone and iOS behind one IP keep a record each; one device's repeat tap replaces its own", async () => {
    const { host, code, space } = await linkFixture();
    const ann = await click(host, code);
    expect(ann.setCookie).toMatch(
      /^edgeref_device=[0-9a-f]{32}; Max-Age=86400; Path=\/ref; HttpOnly; Secure; SameSite=Lax$/,
    );
    const bob = await click(host, code);
    const devices = () => kvEntries(`d:${space.id}:`);
    expect(await devices()).toHaveLength(2);

    // Ann taps again: her browser sends her device id; her record is replaced, Bob's stays.
    const annCookie = ann.setCookie.split(";")[0] ?? "";
    const again = await click(host, code, annCookie);
    expect(again.setCookie.split(";")[0]).toBe(annCookie);
    const records = (await devices()).map((d) => JSON.parse(d.value ?? "{}") as { token: string });
    expect(records.map((r) => r.token).sort()).toEqual([bob.token, again.token].sort());
  });
});
