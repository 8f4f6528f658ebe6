import { describe, expect, it } from "vitest";
import { call, createAppspace, createReferral, sql, uniqueDomain, uniqueUser } from "../support/api";

const REWARDS = {
  reward_type: "discount",
  reward_value: "20",
  referee_reward_type: "credit",
  referee_reward_value: "10",
};

describe("referral lifecycle (happy paths)", () => {
  it("create → look up → milestone → complete → claim both rewards", async () => {
    const domain = uniqueDomain();
    const space = await createAppspace({
      domains: [domain],
      settings: { ...REWARDS, milestones: ["installed", "signed_up", "first_purchase"] },
    });
    const created = await call("POST", "/v1/api/referral/create", {
      key: space.pk,
      body: { user_id: "user_123", user_name: "Jane Doe", metadata: { source: "dashboard" } },
    });
    expect(created.status).toBe(200);
    const code = created.body.referral_code as string;
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{10}$/);
    expect(created.body).toEqual({
      referral_code: code,
      referral_url: `https://${domain}/ref/${code}`,
      referral_id: expect.any(String),
    });

    // A secret key's lookup (a publishable key's omits referrer_id: test/trust/publishable.test.ts).
    const looked = await call("GET", `/v1/api/referral/${code}`, { key: space.sk });
    expect(looked.status).toBe(200);
    expect(looked.body).toMatchObject({
      referral_code: code,
      referrer_id: "user_123",
      status: "pending",
      milestone: "pending",
      reward_type: null,
      reward_value: null,
      reward_claimed: false,
      referee_reward_claimed: false,
    });
    const history = looked.body.milestone_history as { milestone: string; timestamp: string }[];
    expect(history).toHaveLength(1);
    expect(history[0]?.milestone).toBe("pending");
    expect(new Date(history[0]?.timestamp ?? "").toISOString()).toBe(history[0]?.timestamp);
    expect(looked.body.created_at).toBe(history[0]?.timestamp);

    const step = await call("POST", "/v1/api/referral/milestone", {
      key: space.sk,
      body: { referral_code: code, milestone: "signed_up" },
    });
    expect(step.status).toBe(200);
    expect(step.body).toEqual({
      referral: {
        id: created.body.referral_id,
        referral_code: code,
        milestone: "signed_up",
        status: "pending",
        reward_type: null,
        reward_value: null,
      },
    });

    const done = await call("POST", "/v1/api/referral/complete", {
      key: space.sk,
      body: { referral_code: code, referred_user_id: "user_456", referred_user_name: "John Doe" },
    });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({
      referral: {
        id: created.body.referral_id,
        referral_code: code,
        referrer_id: "user_123",
        referred_user_id: "user_456",
        status: "completed",
        milestone: "completed",
        completed_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        ...REWARDS,
      },
    });

    const after = await call("GET", `/v1/api/referral/${code}`, { key: space.pk });
    expect(after.body).toMatchObject({ status: "completed", milestone: "completed", ...REWARDS });
    expect((after.body.milestone_history as { milestone: string }[]).map((m) => m.milestone)).toEqual([
      "pending",
      "signed_up",
      "completed",
    ]);

    const claim = await call("POST", "/v1/api/referral/claim-reward", { key: space.sk, body: { referral_code: code } });
    expect(claim.status).toBe(200);
    expect(claim.body).toEqual({ success: true, referral_code: code, reward_claimed: true });
    const claimReferee = await call("POST", "/v1/api/referral/claim-referee-reward", {
      key: space.sk,
      body: { referral_code: code },
    });
    expect(claimReferee.status).toBe(200);
    expect(claimReferee.body).toEqual({ success: true, referral_code: code, referee_reward_claimed: true });

    const final = await call("GET", `/v1/api/referral/${code}`, { key: space.pk });
    expect(final.body).toMatchObject({ reward_claimed: true, referee_reward_claimed: true });
  });

  it("returns the user's pending code instead of creating another", async () => {
    const space = await createAppspace();
    const user = uniqueUser();
    const first = await createReferral(space, { user_id: user });
    const second = await createReferral(space, { user_id: user });
    expect(second).toEqual(first);
  });

  it("gives a completed user a new code on the next create", async () => {
    const space = await createAppspace();
    const user = uniqueUser();
    const first = await createReferral(space, { user_id: user });
    await call("POST", "/v1/api/referral/complete", {
      key: space.sk,
      body: { referral_code: first.referral_code, referred_user_id: uniqueUser("friend") },
    });
    const second = await createReferral(space, { user_id: user });
    expect(second.referral_code).not.toBe(first.referral_code);
  });

  it("referral_url is null when the appspace has no domain", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space);
    expect(ref.referral_url).toBeNull();
  });

  it("looks codes up case-insensitively", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space);
    const res = await call("GET", `/v1/api/referral/${ref.referral_code.toLowerCase()}`, { key: space.pk });
    expect(res.status).toBe(200);
    expect(res.body.referral_code).toBe(ref.referral_code);
  });

  it("accepts the key in X-API-Key as well as Authorization: Bearer", async () => {
    const space = await createAppspace();
    const res = await call("POST", "/v1/api/referral/create", {
      headers: { "x-api-key": space.pk },
      body: { user_id: uniqueUser() },
    });
    expect(res.status).toBe(200);
  });

  it("secret keys may also create and look up", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space, {}, space.sk);
    const res = await call("GET", `/v1/api/referral/${ref.referral_code}`, { key: space.sk });
    expect(res.status).toBe(200);
  });

  it("reaching the reward milestone completes the referral exactly as complete would", async () => {
    const space = await createAppspace({
      settings: { ...REWARDS, milestones: ["signed_up", "first_purchase"], reward_milestone: "first_purchase" },
    });
    const ref = await createReferral(space, { user_id: "jane" });
    const res = await call("POST", "/v1/api/referral/milestone", {
      key: space.sk,
      body: { referral_code: ref.referral_code, milestone: "first_purchase", referred_user_id: "john" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      referral: {
        id: ref.referral_id,
        referral_code: ref.referral_code,
        milestone: "first_purchase",
        status: "completed",
        reward_type: "discount",
        reward_value: "20",
      },
    });
    const looked = await call("GET", `/v1/api/referral/${ref.referral_code}`, { key: space.pk });
    expect(looked.body).toMatchObject({ status: "completed", ...REWARDS });
    const events = await sql<{ type: string; data: string }>(
      "select type, data::text as data from events where appspace_id = $1 order by created_at, type",
      [space.id],
    );
    const completed = events.find((e) => e.type === "referral.completed");
    expect(completed && JSON.parse(completed.data)).toEqual({
      referral_code: ref.referral_code,
      referrer_id: "jane",
      referred_user_id: "john",
      milestone: "first_purchase",
    });
    // A completed referral cannot complete again: a second claim of the milestone is refused.
    const again = await call("POST", "/v1/api/referral/complete", {
      key: space.sk,
      body: { referral_code: ref.referral_code, referred_user_id: "someone_else" },
    });
    expect(again.status).toBe(404);
  });

  it("without a configured milestone list, any milestone name is accepted", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space);
    for (const milestone of ["installed", "signed_up"]) {
      const res = await call("POST", "/v1/api/referral/milestone", {
        key: space.sk,
        body: { referral_code: ref.referral_code, milestone },
      });
      expect(res.status).toBe(200);
    }
    const looked = await call("GET", `/v1/api/referral/${ref.referral_code}`, { key: space.pk });
    expect((looked.body.milestone_history as { milestone: string }[]).map((m) => m.milestone)).toEqual([
      "pending",
      "installed",
      "signed_up",
    ]);
  });

  it("numeric reward values in settings come back as strings", async () => {
    const space = await createAppspace({ settings: { reward_type: "points", reward_value: 50 } });
    const ref = await createReferral(space);
    const res = await call("POST", "/v1/api/referral/complete", {
      key: space.sk,
      body: { referral_code: ref.referral_code, referred_user_id: uniqueUser() },
    });
    expect(res.body).toMatchObject({ referral: { reward_type: "points", reward_value: "50" } });
  });

  it("writes every state change's event to the outbox in the same statement", async () => {
    const domain = uniqueDomain("go");
    const space = await createAppspace({ domains: [domain] });
    const ref = await createReferral(space, { user_id: "jane" });
    await call("POST", "/v1/api/referral/milestone", {
      key: space.sk,
      body: { referral_code: ref.referral_code, milestone: "installed" },
    });
    await call("POST", "/v1/api/referral/complete", {
      key: space.sk,
      body: { referral_code: ref.referral_code, referred_user_id: "john" },
    });
    await call("POST", "/v1/api/referral/claim-reward", { key: space.sk, body: { referral_code: ref.referral_code } });
    await call("POST", "/v1/api/referral/claim-referee-reward", {
      key: space.sk,
      body: { referral_code: ref.referral_code },
    });
    const events = await sql<{ type: string; data: string }>(
      "select type, data::text as data from events where appspace_id = $1 order by created_at",
      [space.id],
    );
    expect(events.map((e) => e.type)).toEqual([
      "referral.created",
      "referral.milestone",
      "referral.completed",
      "referral.reward_claimed",
      "referral.referee_reward_claimed",
    ]);
    expect(JSON.parse(events[0]?.data ?? "{}")).toEqual({
      referral_code: ref.referral_code,
      referrer_id: "jane",
      referral_url: `https://${domain}/ref/${ref.referral_code}`,
    });
    expect(JSON.parse(events[2]?.data ?? "{}")).toEqual({
      referral_code: ref.referral_code,
      referrer_id: "jane",
      referred_user_id: "john",
      milestone: "completed",
    });
  });

  it("stores IPs and device ids only as keyed hashes", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space, { ip: "203.0.113.42", device_id: "device_abc123" }, space.sk);
    await call("POST", "/v1/api/referral/complete", {
      key: space.sk,
      body: {
        referral_code: ref.referral_code,
        referred_user_id: uniqueUser(),
        ip: "198.51.100.7",
        device_id: "device_xyz789",
      },
    });
    const [row] = await sql<Record<string, string>>("select * from referrals where code = $1", [ref.referral_code]);
    const stored = JSON.stringify(row);
    for (const secret of ["203.0.113.42", "198.51.100.7", "device_abc123", "device_xyz789"]) {
      expect(stored).not.toContain(secret);
    }
    expect(row?.referrer_ip_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.referred_ip_hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
