import { describe, expect, it } from "vitest";
import {
  ageReferral as age,
  call,
  createAppspace,
  createReferral,
  type TestAppspace,
  uniqueUser,
} from "../support/api";

const post = (space: TestAppspace, path: string, body: unknown, key = space.sk) =>
  call("POST", `/v1/api/referral/${path}`, { key, body });

const complete = (space: TestAppspace, body: Record<string, unknown>) => post(space, "complete", body);

describe("create errors", () => {
  it.each([
    [{}, "user_id is required"],
    [{ user_id: "" }, "user_id is required"],
    [{ user_id: "   " }, "user_id is required"],
    [{ user_id: null }, "user_id is required"],
  ])("400 for %j", async (body, message) => {
    const space = await createAppspace();
    const res = await post(space, "create", body, space.pk);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: message, field: "user_id" });
  });

  it("400 when the body is not JSON", async () => {
    const space = await createAppspace();
    const res = await post(space, "create", "{not json", space.pk);
    expect(res.status).toBe(400);
    expect(typeof res.body.error).toBe("string");
  });

  it("400 names the field for wrong types and bad values", async () => {
    const space = await createAppspace();
    const cases: [Record<string, unknown>, string][] = [
      [{ user_id: 42 }, "user_id"],
      [{ user_id: "u", ip: "not-an-ip" }, "ip"],
      [{ user_id: "u", metadata: "text" }, "metadata"],
      [{ user_id: "u", metadata: { blob: "x".repeat(9000) } }, "metadata"],
      [{ user_id: "u".repeat(300) }, "user_id"],
    ];
    for (const [body, field] of cases) {
      const res = await post(space, "create", body, space.pk);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.body.field).toBe(field);
      expect(res.body.error).toContain(field);
    }
  });

  it("400 Maximum referrals per user reached (active = pending or completed, not expired)", async () => {
    const space = await createAppspace({ settings: { max_referrals_per_user: 2 } });
    const user = uniqueUser();
    for (let i = 0; i < 2; i++) {
      const ref = await createReferral(space, { user_id: user });
      expect((await complete(space, { referral_code: ref.referral_code, referred_user_id: uniqueUser() })).status).toBe(
        200,
      );
    }
    const res = await post(space, "create", { user_id: user }, space.pk);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: "Maximum referrals per user reached" });
  });

  it("the cap counts the pending code, but dedupe still returns it", async () => {
    const space = await createAppspace({ settings: { max_referrals_per_user: 1 } });
    const user = uniqueUser();
    const first = await createReferral(space, { user_id: user });
    expect(await createReferral(space, { user_id: user })).toEqual(first);
  });

  it("expired referrals don't count against the cap", async () => {
    const space = await createAppspace({ settings: { max_referrals_per_user: 1 } });
    const user = uniqueUser();
    const first = await createReferral(space, { user_id: user });
    await age(first.referral_code, 31);
    const second = await createReferral(space, { user_id: user });
    expect(second.referral_code).not.toBe(first.referral_code);
  });

  it("403 Referrals are not enabled for this Appspace", async () => {
    const space = await createAppspace({ settings: { referrals_enabled: false } });
    const res = await post(space, "create", { user_id: "u1" }, space.pk);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: "Referrals are not enabled for this Appspace" });
  });
});

describe("lookup errors", () => {
  it("404 Referral not found", async () => {
    const space = await createAppspace();
    const res = await call("GET", "/v1/api/referral/ZZZZZZZZZZ", { key: space.pk });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: "Referral not found" });
  });
});

describe("milestone errors", () => {
  it("400 referral_code is required", async () => {
    const space = await createAppspace();
    const res = await post(space, "milestone", { milestone: "signed_up" });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("referral_code is required");
  });

  it("400 milestone is required", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space);
    const res = await post(space, "milestone", { referral_code: ref.referral_code });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("milestone is required");
  });

  it("404 for an unknown code, an expired referral, a completed one, or an invalid milestone", async () => {
    const message = { error: "Referral not found, expired, or invalid milestone" };
    const space = await createAppspace({ settings: { milestones: ["installed", "signed_up"] } });

    const unknown = await post(space, "milestone", { referral_code: "ZZZZZZZZZZ", milestone: "installed" });
    expect([unknown.status, unknown.body]).toMatchObject([404, message]);

    const invalid = await createReferral(space);
    const bad = await post(space, "milestone", { referral_code: invalid.referral_code, milestone: "bought_a_boat" });
    expect([bad.status, bad.body]).toMatchObject([404, message]);

    const backwards = await createReferral(space);
    await post(space, "milestone", { referral_code: backwards.referral_code, milestone: "signed_up" });
    const back = await post(space, "milestone", { referral_code: backwards.referral_code, milestone: "installed" });
    expect([back.status, back.body]).toMatchObject([404, message]);

    const expired = await createReferral(space);
    await age(expired.referral_code, 31);
    const late = await post(space, "milestone", { referral_code: expired.referral_code, milestone: "installed" });
    expect([late.status, late.body]).toMatchObject([404, message]);

    const done = await createReferral(space);
    await complete(space, { referral_code: done.referral_code, referred_user_id: uniqueUser() });
    const after = await post(space, "milestone", { referral_code: done.referral_code, milestone: "installed" });
    expect([after.status, after.body]).toMatchObject([404, message]);
  });
});

describe("complete errors", () => {
  it("400 referral_code is required", async () => {
    const space = await createAppspace();
    const res = await complete(space, { referred_user_id: "u2" });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("referral_code is required");
  });

  it("400 referred_user_id is required", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space);
    const res = await complete(space, { referral_code: ref.referral_code });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("referred_user_id is required");
  });

  it("404 Referral not found", async () => {
    const space = await createAppspace();
    const res = await complete(space, { referral_code: "ZZZZZZZZZZ", referred_user_id: "u2" });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: "Referral not found" });
  });

  it("404 Referral not found or already completed (completed, or expired)", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space);
    expect((await complete(space, { referral_code: ref.referral_code, referred_user_id: uniqueUser() })).status).toBe(
      200,
    );
    const again = await complete(space, { referral_code: ref.referral_code, referred_user_id: uniqueUser() });
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ error: "Referral not found or already completed" });

    const old = await createReferral(space);
    await age(old.referral_code, 31);
    const late = await complete(space, { referral_code: old.referral_code, referred_user_id: uniqueUser() });
    expect(late.status).toBe(404);
    expect(late.body).toMatchObject({ error: "Referral not found or already completed" });
  });

  describe("409 Referral flagged for abuse", () => {
    const flagged = (reason: string) => ({ error: "Referral flagged for abuse", reason });

    it("self_referral", async () => {
      const space = await createAppspace();
      const ref = await createReferral(space, { user_id: "jane" });
      const res = await complete(space, { referral_code: ref.referral_code, referred_user_id: "jane" });
      expect([res.status, res.body]).toMatchObject([409, flagged("self_referral")]);
    });

    it("already_referred", async () => {
      const space = await createAppspace();
      const a = await createReferral(space);
      const b = await createReferral(space);
      await complete(space, { referral_code: a.referral_code, referred_user_id: "john" });
      const res = await complete(space, { referral_code: b.referral_code, referred_user_id: "john" });
      expect([res.status, res.body]).toMatchObject([409, flagged("already_referred")]);
    });

    it("reverse_referral", async () => {
      const space = await createAppspace();
      const janeRefersJohn = await createReferral(space, { user_id: "jane" });
      await complete(space, { referral_code: janeRefersJohn.referral_code, referred_user_id: "john" });
      // jane has been referred by nobody; john now tries to refer jane back.
      const johnRefersJane = await createReferral(space, { user_id: "john" });
      const res = await complete(space, { referral_code: johnRefersJane.referral_code, referred_user_id: "jane" });
      expect([res.status, res.body]).toMatchObject([409, flagged("reverse_referral")]);
    });

    it("same_ip (explicit ip, from a backend's secret key)", async () => {
      const space = await createAppspace();
      const ref = await createReferral(space, { ip: "203.0.113.42" }, space.sk);
      const res = await complete(space, {
        referral_code: ref.referral_code,
        referred_user_id: uniqueUser(),
        ip: "203.0.113.42",
      });
      expect([res.status, res.body]).toMatchObject([409, flagged("same_ip")]);
    });

    it("same_ip (falls back to CF-Connecting-IP)", async () => {
      const space = await createAppspace();
      const created = await call("POST", "/v1/api/referral/create", {
        key: space.pk,
        body: { user_id: uniqueUser() },
        headers: { "cf-connecting-ip": "198.51.100.23" },
      });
      const res = await call("POST", "/v1/api/referral/complete", {
        key: space.sk,
        body: { referral_code: created.body.referral_code, referred_user_id: uniqueUser() },
        headers: { "cf-connecting-ip": "198.51.100.23" },
      });
      expect([res.status, res.body]).toMatchObject([409, flagged("same_ip")]);
    });

    it("same_device (from a backend's secret key)", async () => {
      const space = await createAppspace();
      const ref = await createReferral(space, { device_id: "device_abc123" }, space.sk);
      const res = await complete(space, {
        referral_code: ref.referral_code,
        referred_user_id: uniqueUser(),
        device_id: "device_abc123",
      });
      expect([res.status, res.body]).toMatchObject([409, flagged("same_device")]);
    });

    it("a flagged referral stays pending and can still complete legitimately", async () => {
      const space = await createAppspace();
      const ref = await createReferral(space, { user_id: "jane", ip: "203.0.113.42" });
      await complete(space, { referral_code: ref.referral_code, referred_user_id: "jane" });
      const ok = await complete(space, { referral_code: ref.referral_code, referred_user_id: "john", ip: "192.0.2.9" });
      expect(ok.status).toBe(200);
    });

    it("different IPs and devices pass", async () => {
      const space = await createAppspace();
      const ref = await createReferral(space, { ip: "203.0.113.42", device_id: "d1" });
      const res = await complete(space, {
        referral_code: ref.referral_code,
        referred_user_id: uniqueUser(),
        ip: "203.0.113.43",
        device_id: "d2",
      });
      expect(res.status).toBe(200);
    });
  });
});

describe.each([
  ["claim-reward", "reward_claimed"],
  ["claim-referee-reward", "referee_reward_claimed"],
])("%s errors", (path) => {
  it("400 referral_code is required", async () => {
    const space = await createAppspace();
    const res = await post(space, path, {});
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("referral_code is required");
  });

  it("404 Referral not found or not completed (unknown, pending, expired)", async () => {
    const space = await createAppspace();
    const message = { error: "Referral not found or not completed" };
    const unknown = await post(space, path, { referral_code: "ZZZZZZZZZZ" });
    expect([unknown.status, unknown.body]).toMatchObject([404, message]);
    const pending = await createReferral(space);
    const early = await post(space, path, { referral_code: pending.referral_code });
    expect([early.status, early.body]).toMatchObject([404, message]);
    await age(pending.referral_code, 40);
    const expired = await post(space, path, { referral_code: pending.referral_code });
    expect([expired.status, expired.body]).toMatchObject([404, message]);
  });

  it("409 Reward already claimed", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space);
    await complete(space, { referral_code: ref.referral_code, referred_user_id: uniqueUser() });
    expect((await post(space, path, { referral_code: ref.referral_code })).status).toBe(200);
    const again = await post(space, path, { referral_code: ref.referral_code });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: "Reward already claimed" });
  });
});

describe("by-user and leaderboard errors", () => {
  it("400 userId is required", async () => {
    const space = await createAppspace();
    for (const path of ["/v1/api/referral/by-user/", "/v1/api/referral/by-user", "/v1/api/referral/by-user/%20"]) {
      const res = await call("GET", path, { key: space.sk });
      expect(res.status, path).toBe(400);
      expect(res.body.error).toBe("userId is required");
    }
  });

  it("400 names limit and status when out of range", async () => {
    const space = await createAppspace();
    const cases: [string, string][] = [
      ["/v1/api/referral/by-user/u1?limit=201", "limit"],
      ["/v1/api/referral/by-user/u1?limit=0", "limit"],
      ["/v1/api/referral/by-user/u1?limit=abc", "limit"],
      ["/v1/api/referral/by-user/u1?status=done", "status"],
      ["/v1/api/referral/leaderboard?limit=101", "limit"],
    ];
    for (const [path, field] of cases) {
      const res = await call("GET", path, { key: space.sk });
      expect(res.status, path).toBe(400);
      expect(res.body.field, path).toBe(field);
    }
  });
});

describe("request bodies", () => {
  it("say what is wrong: missing vs wrong type vs not an object", async () => {
    const space = await createAppspace();
    const wrongType = await post(space, "create", { user_id: 42 }, space.pk);
    expect(wrongType.body.error).toMatch(/^user_id: .*expected string/);
    const notObject = await post(space, "create", "[]", space.pk);
    expect(notObject.body).toMatchObject({ error: "request body must be a JSON object" });
    const wrongMedia = await call("POST", "/v1/api/referral/create", {
      key: space.pk,
      body: "user_id=1",
      headers: { "content-type": "text/plain" },
    });
    expect(wrongMedia.status).toBe(415);
  });
});
