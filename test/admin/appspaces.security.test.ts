import { describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  admin,
  call,
  createAppspace,
  createReferral,
  sql,
  uniqueDomain,
  uniqueUser,
} from "../support/api";
import { type AppspaceBody, type CreatedAppspaceBody, type ErrorBody, sha256Hex, uniqueName } from "./support";

const SOME_UUID = "0b9f7c1e-8a51-4a55-9a3c-2b5a0c1f9e11";

/** Every admin route, with a body that would be valid. */
const ADMIN_ROUTES: [string, string, unknown][] = [
  ["POST", "/v1/admin/appspaces", { name: "unauthorised" }],
  ["GET", "/v1/admin/appspaces", undefined],
  ["GET", `/v1/admin/appspaces/${SOME_UUID}`, undefined],
  ["PATCH", `/v1/admin/appspaces/${SOME_UUID}`, { name: "unauthorised" }],
  ["POST", `/v1/admin/appspaces/${SOME_UUID}/keys`, { type: "secret" }],
  ["GET", `/v1/admin/appspaces/${SOME_UUID}/keys`, undefined],
  ["DELETE", `/v1/admin/keys/${SOME_UUID}`, undefined],
];

function expectUnauthorized(res: { status: number; body: unknown; headers: Headers }): void {
  expect(res.status).toBe(401);
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  const body = res.body as ErrorBody;
  // The one error shape, and nothing else (no hint of which part of a credential was wrong).
  expect(Object.keys(body).sort()).toEqual(["code", "error", "request_id"]);
  expect(body).toMatchObject({ code: "unauthorized", request_id: res.headers.get("x-request-id") });
  expect(typeof body.error).toBe("string");
  expect(body.error.length).toBeGreaterThan(0);
}

describe("admin authentication", () => {
  it.each(ADMIN_ROUTES)("%s %s without a token → 401 { error }", async (method, path, body) => {
    expectUnauthorized(await call(method, path, { body }));
  });

  it.each(ADMIN_ROUTES)("%s %s with a wrong token → 401 { error }", async (method, path, body) => {
    expectUnauthorized(await call(method, path, { body, key: "wrong-admin-token-0123456789" }));
  });

  it.each([
    ["the token with a suffix", `Bearer ${ADMIN_TOKEN}x`],
    ["a prefix of the token", `Bearer ${ADMIN_TOKEN.slice(0, -1)}`],
    ["the token upper-cased", `Bearer ${ADMIN_TOKEN.toUpperCase()}`],
    ["the Basic scheme", `Basic ${ADMIN_TOKEN}`],
    ["the bare token", ADMIN_TOKEN],
    ["an empty bearer", "Bearer "],
    ["two tokens", `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}`],
  ])("rejects %s", async (_label, authorization) => {
    const res = await call("GET", "/v1/admin/appspaces?limit=1", { headers: { authorization } });
    expectUnauthorized(res);
  });

  it("accepts the token only in the Authorization header", async () => {
    expectUnauthorized(await call("GET", "/v1/admin/appspaces?limit=1", { headers: { "x-api-key": ADMIN_TOKEN } }));
    expectUnauthorized(await call("GET", `/v1/admin/appspaces?limit=1&token=${ADMIN_TOKEN}`));
    const ok = await call("GET", "/v1/admin/appspaces?limit=1", { key: ADMIN_TOKEN });
    expect(ok.status).toBe(200);
  });

  it("appspace keys are not admin tokens", async () => {
    const space = await createAppspace();
    for (const key of [space.sk, space.pk]) {
      expectUnauthorized(await call("GET", `/v1/admin/appspaces/${space.id}`, { key }));
      expectUnauthorized(await call("GET", "/v1/admin/appspaces", { key }));
      expectUnauthorized(await call("PATCH", `/v1/admin/appspaces/${space.id}`, { key, body: { name: "hijack" } }));
    }
  });

  it("the admin token is not an API key", async () => {
    const res = await call("POST", "/v1/api/referral/create", { key: ADMIN_TOKEN, body: { user_id: uniqueUser() } });
    expect(res.status).toBe(401);
  });

  it("authentication comes before validation: bad input without a token is 401, not 400", async () => {
    expectUnauthorized(await call("GET", "/v1/admin/appspaces/not-a-uuid"));
    expectUnauthorized(await call("POST", "/v1/admin/appspaces", { body: { settings: { nope: 1 } } }));
    expectUnauthorized(await call("GET", "/v1/admin/appspaces?limit=0"));
    expectUnauthorized(await call("POST", "/v1/admin/appspaces", { body: "{not json" }));
  });

  it("a 401 never echoes the token it was given", async () => {
    const guess = `guess-${crypto.randomUUID()}`;
    const res = await call("GET", "/v1/admin/appspaces", { key: guess });
    expect(res.status).toBe(401);
    expect(JSON.stringify(res.body)).not.toContain(guess);
  });

  it("an unauthorised create stores nothing", async () => {
    const name = uniqueName("unauthorised");
    const res = await call("POST", "/v1/admin/appspaces", { body: { name }, key: "wrong-admin-token-0123456789" });
    expect(res.status).toBe(401);
    const rows = await sql("select id from appspaces where name = $1", [name]);
    expect(rows).toHaveLength(0);
  });

  it("an unauthorised PATCH changes nothing", async () => {
    const safe = uniqueDomain("safe");
    const space = await createAppspace({ domains: [safe] });
    const before = await admin<AppspaceBody>("GET", `/appspaces/${space.id}`);
    const res = await call("PATCH", `/v1/admin/appspaces/${space.id}`, {
      body: { name: "hijacked", domains: [uniqueDomain("evil")], settings: { referrals_enabled: false } },
    });
    expect(res.status).toBe(401);
    const after = await admin<AppspaceBody>("GET", `/appspaces/${space.id}`);
    expect(after.body).toEqual(before.body);
    const ref = await createReferral(space);
    expect(ref.referral_url).toBe(`https://${safe}/ref/${ref.referral_code}`);
  });

  it("oversized admin bodies are refused with 413", async () => {
    const res = await admin<ErrorBody>("POST", "/appspaces", { name: "x".repeat(70 * 1024) });
    expect(res.status).toBe(413);
    expect(typeof res.body.error).toBe("string");
  });

  it("admin responses carry security headers", async () => {
    const res = await admin("GET", "/appspaces?limit=1");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("secrets are shown only at creation", () => {
  it("GET, PATCH and list never return the keys or their hashes", async () => {
    const created = await admin<CreatedAppspaceBody>("POST", "/appspaces", {
      name: uniqueName(),
      domains: [uniqueDomain()],
    });
    expect(created.status).toBe(201);
    const { id, publishable_key: pk, secret_key: sk } = created.body;
    const secrets = [pk, sk, pk.slice(3), sk.slice(3), await sha256Hex(pk), await sha256Hex(sk)];

    const responses = [
      await admin("GET", `/appspaces/${id}`),
      await admin("PATCH", `/appspaces/${id}`, { settings: { expiration_days: 5 } }),
      await admin("GET", "/appspaces?limit=500"),
    ];
    for (const res of responses) {
      expect(res.status).toBe(200);
      const text = JSON.stringify(res.body);
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toContain("key_hash");
      expect(text).not.toContain("publishable_key");
      expect(text).not.toContain("secret_key");
    }
    const list = responses[2]?.body as { appspaces: AppspaceBody[] };
    expect(list.appspaces.map((a) => a.id)).toContain(id);
  });
});

describe("tenant isolation", () => {
  it("A's keys cannot look up B's referral codes", async () => {
    const a = await createAppspace();
    const b = await createAppspace();
    const refB = await createReferral(b);
    for (const key of [a.sk, a.pk]) {
      const res = await call<ErrorBody>("GET", `/v1/api/referral/${refB.referral_code}`, { key });
      expect(res.status).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain(refB.referral_id);
    }
    const own = await call("GET", `/v1/api/referral/${refB.referral_code}`, { key: b.sk });
    expect(own.status).toBe(200);
  });

  it("A cannot advance, complete or claim B's referrals", async () => {
    const a = await createAppspace();
    const b = await createAppspace();
    const refB = await createReferral(b);
    const code = refB.referral_code;
    const milestone = await call("POST", "/v1/api/referral/milestone", {
      key: a.sk,
      body: { referral_code: code, milestone: "signed_up" },
    });
    expect(milestone.status).toBe(404);
    const complete = await call("POST", "/v1/api/referral/complete", {
      key: a.sk,
      body: { referral_code: code, referred_user_id: uniqueUser("referee") },
    });
    expect(complete.status).toBe(404);
    const claim = await call("POST", "/v1/api/referral/claim-reward", { key: a.sk, body: { referral_code: code } });
    expect(claim.status).toBe(404);

    const stillB = await call<{ status: string; milestone: string }>("GET", `/v1/api/referral/${code}`, { key: b.sk });
    expect(stillB.body).toMatchObject({ status: "pending", milestone: "pending" });
  });

  it("A's listings never include B's users", async () => {
    const a = await createAppspace();
    const b = await createAppspace();
    const referrer = uniqueUser("shared");
    const refB = await createReferral(b, { user_id: referrer });
    await call("POST", "/v1/api/referral/complete", {
      key: b.sk,
      body: { referral_code: refB.referral_code, referred_user_id: uniqueUser("referee") },
    });

    const byUser = await call<{ referrals: unknown[]; total: number }>("GET", `/v1/api/referral/by-user/${referrer}`, {
      key: a.sk,
    });
    expect(byUser.status).toBe(200);
    expect(byUser.body).toEqual({ referrals: [], total: 0 });

    const board = await call<{ leaderboard: { referrer_id: string }[] }>("GET", "/v1/api/referral/leaderboard", {
      key: a.sk,
    });
    expect(board.status).toBe(200);
    expect(board.body.leaderboard.map((r) => r.referrer_id)).not.toContain(referrer);

    const boardB = await call<{ leaderboard: { referrer_id: string }[] }>("GET", "/v1/api/referral/leaderboard", {
      key: b.sk,
    });
    expect(boardB.body.leaderboard.map((r) => r.referrer_id)).toContain(referrer);
  });

  it("the same user id in two appspaces gets two independent referrals", async () => {
    const domainA = uniqueDomain("a");
    const domainB = uniqueDomain("b");
    const a = await createAppspace({ domains: [domainA] });
    const b = await createAppspace({ domains: [domainB] });
    const user = uniqueUser("both");
    const refA = await createReferral(a, { user_id: user });
    const refB = await createReferral(b, { user_id: user });
    expect(refA.referral_code).not.toBe(refB.referral_code);
    expect(refA.referral_url).toBe(`https://${domainA}/ref/${refA.referral_code}`);
    expect(refB.referral_url).toBe(`https://${domainB}/ref/${refB.referral_code}`);
  });

  it("settings changes to A do not affect B", async () => {
    const a = await createAppspace();
    const b = await createAppspace();
    await createReferral(a);
    await createReferral(b);
    await admin("PATCH", `/appspaces/${a.id}`, { settings: { referrals_enabled: false } });
    const blocked = await call("POST", "/v1/api/referral/create", { key: a.pk, body: { user_id: uniqueUser() } });
    expect(blocked.status).toBe(403);
    const fine = await call("POST", "/v1/api/referral/create", { key: b.pk, body: { user_id: uniqueUser() } });
    expect(fine.status).toBe(200);
    const bSettings = await admin<AppspaceBody>("GET", `/appspaces/${b.id}`);
    expect(bSettings.body.settings.referrals_enabled).toBe(true);
  });

  it("revoking A's key does not touch B's keys", async () => {
    const a = await createAppspace();
    const b = await createAppspace();
    const keysA = await admin<{ keys: { id: string }[] }>("GET", `/appspaces/${a.id}/keys`);
    for (const key of keysA.body.keys) expect((await admin("DELETE", `/keys/${key.id}`)).status).toBe(200);
    expect((await call("POST", "/v1/api/referral/create", { key: a.pk, body: { user_id: uniqueUser() } })).status).toBe(
      401,
    );
    expect((await call("POST", "/v1/api/referral/create", { key: b.pk, body: { user_id: uniqueUser() } })).status).toBe(
      200,
    );
    const keysB = await admin<{ keys: { revoked_at: string | null }[] }>("GET", `/appspaces/${b.id}/keys`);
    expect(keysB.body.keys.every((k) => k.revoked_at === null)).toBe(true);
  });
});
