import { describe, expect, it } from "vitest";
import { admin, call, createAppspace, createReferral, uniqueUser } from "../support/api";

const SECRET_ONLY: [string, string, Record<string, unknown>][] = [
  ["POST", "/v1/api/referral/milestone", { referral_code: "ABCDEFGHJK", milestone: "signed_up" }],
  ["POST", "/v1/api/referral/complete", { referral_code: "ABCDEFGHJK", referred_user_id: "u2" }],
  ["POST", "/v1/api/referral/claim-reward", { referral_code: "ABCDEFGHJK" }],
  ["POST", "/v1/api/referral/claim-referee-reward", { referral_code: "ABCDEFGHJK" }],
  ["GET", "/v1/api/referral/by-user/u1", {}],
  ["GET", "/v1/api/referral/leaderboard", {}],
];

const ALL: [string, string, Record<string, unknown>][] = [
  ["POST", "/v1/api/referral/create", { user_id: "u1" }],
  ["GET", "/v1/api/referral/ABCDEFGHJK", {}],
  ...SECRET_ONLY,
];

const bodyFor = (method: string, body: Record<string, unknown>) => (method === "GET" ? undefined : body);

describe("authentication", () => {
  it.each(ALL)("%s %s without a key → 401", async (method, path, body) => {
    const res = await call(method, path, { body: bodyFor(method, body) });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/API key/);
  });

  it.each(ALL)("%s %s with an unknown key → 401", async (method, path, body) => {
    const res = await call(method, path, {
      key: "sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      body: bodyFor(method, body),
    });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: "Invalid API key" });
  });

  it("rejects malformed keys and the admin token as an API key", async () => {
    for (const key of ["garbage", "pk_", "test-admin-token-0123456789"]) {
      const res = await call("POST", "/v1/api/referral/create", { key, body: { user_id: "u" } });
      expect(res.status, key).toBe(401);
    }
  });

  it("a revoked key gets 401 at once", async () => {
    const space = await createAppspace();
    const created = await admin<{ id: string; key: string }>("POST", `/appspaces/${space.id}/keys`, {
      type: "secret",
    });
    expect((await call("GET", "/v1/api/referral/leaderboard", { key: created.body.key })).status).toBe(200);
    expect((await admin("DELETE", `/keys/${created.body.id}`)).status).toBe(200);
    const res = await call("GET", "/v1/api/referral/leaderboard", { key: created.body.key });
    expect(res.status).toBe(401);
  });

  it("authentication is checked before the body is validated", async () => {
    const res = await call("POST", "/v1/api/referral/create", { body: {} });
    expect(res.status).toBe(401);
  });
});

describe("key scoping: publishable keys may only create and look up", () => {
  it.each(SECRET_ONLY)("%s %s with a publishable key → 403 naming the rule", async (method, path, body) => {
    const space = await createAppspace();
    const res = await call(method, path, { key: space.pk, body: bodyFor(method, body) });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatch(/secret key/);
  });

  it("a publishable key cannot complete even a real referral", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space);
    const res = await call("POST", "/v1/api/referral/complete", {
      key: space.pk,
      body: { referral_code: ref.referral_code, referred_user_id: uniqueUser() },
    });
    expect(res.status).toBe(403);
    const looked = await call("GET", `/v1/api/referral/${ref.referral_code}`, { key: space.pk });
    expect(looked.body.status).toBe("pending");
  });
});

describe("tenant isolation", () => {
  it("appspace A's keys never see or change B's referrals", async () => {
    const a = await createAppspace();
    const b = await createAppspace();
    const user = uniqueUser();
    const bRef = await createReferral(b, { user_id: user });

    const lookup = await call("GET", `/v1/api/referral/${bRef.referral_code}`, { key: a.sk });
    expect(lookup.status).toBe(404);

    const milestone = await call("POST", "/v1/api/referral/milestone", {
      key: a.sk,
      body: { referral_code: bRef.referral_code, milestone: "installed" },
    });
    expect(milestone.status).toBe(404);

    const completed = await call("POST", "/v1/api/referral/complete", {
      key: a.sk,
      body: { referral_code: bRef.referral_code, referred_user_id: uniqueUser() },
    });
    expect(completed.status).toBe(404);

    const list = await call("GET", `/v1/api/referral/by-user/${user}`, { key: a.sk });
    expect(list.body).toEqual({ referrals: [], total: 0 });

    const board = await call("GET", "/v1/api/referral/leaderboard", { key: a.sk });
    expect(board.body).toEqual({ leaderboard: [] });

    // B's referral is untouched and B still completes it.
    const ok = await call("POST", "/v1/api/referral/complete", {
      key: b.sk,
      body: { referral_code: bRef.referral_code, referred_user_id: uniqueUser() },
    });
    expect(ok.status).toBe(200);
    for (const path of ["claim-reward", "claim-referee-reward"]) {
      const claim = await call("POST", `/v1/api/referral/${path}`, {
        key: a.sk,
        body: { referral_code: bRef.referral_code },
      });
      expect(claim.status).toBe(404);
    }
  });

  it("the same user id in two appspaces gets two independent codes", async () => {
    const a = await createAppspace();
    const b = await createAppspace();
    const ra = await createReferral(a, { user_id: "same_user" });
    const rb = await createReferral(b, { user_id: "same_user" });
    expect(ra.referral_code).not.toBe(rb.referral_code);
  });

  it("the same referee may be referred once in each appspace", async () => {
    const a = await createAppspace();
    const b = await createAppspace();
    for (const space of [a, b]) {
      const ref = await createReferral(space);
      const res = await call("POST", "/v1/api/referral/complete", {
        key: space.sk,
        body: { referral_code: ref.referral_code, referred_user_id: "shared_friend" },
      });
      expect(res.status).toBe(200);
    }
  });
});

describe("responses", () => {
  it("carry security headers and never echo keys", async () => {
    const space = await createAppspace();
    const res = await call("POST", "/v1/api/referral/create", { key: space.pk, body: { user_id: "u" } });
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(JSON.stringify(res.body)).not.toContain(space.pk);
  });
});
