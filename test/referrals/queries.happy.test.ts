import { describe, expect, it } from "vitest";
import { call, createAppspace, createReferral, type TestAppspace, uniqueUser } from "../support/api";

const complete = (space: TestAppspace, code: string, referee = uniqueUser("friend")) =>
  call("POST", "/v1/api/referral/complete", {
    key: space.sk,
    body: { referral_code: code, referred_user_id: referee },
  });

interface ListBody {
  referrals: { referral_code: string; status: string; referred_user_id: string | null; milestone_history: unknown[] }[];
  total: number;
}

describe("by-user", () => {
  it("lists the user's referrals newest first, with totals, filters and limits", async () => {
    const space = await createAppspace({ settings: { reward_type: "credit", reward_value: "10" } });
    const user = uniqueUser();
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ref = await createReferral(space, { user_id: user, user_name: "Jane Doe" });
      codes.push(ref.referral_code);
      await complete(space, ref.referral_code, `friend_${i}`);
    }
    const pending = await createReferral(space, { user_id: user });
    await createReferral(space, { user_id: uniqueUser("someone_else") });

    const all = await call<ListBody>("GET", `/v1/api/referral/by-user/${user}`, { key: space.sk });
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(4);
    expect(all.body.referrals.map((r) => r.referral_code)).toEqual([pending.referral_code, ...codes.reverse()]);
    expect(all.body.referrals[0]).toMatchObject({
      status: "pending",
      referred_user_id: null,
      reward_type: null,
      reward_value: null,
      reward_claimed: false,
      completed_at: null,
    });
    expect(all.body.referrals[1]).toMatchObject({
      status: "completed",
      referred_user_id: "friend_2",
      reward_type: "credit",
      reward_value: "10",
    });

    const completed = await call<ListBody>("GET", `/v1/api/referral/by-user/${user}?status=completed`, {
      key: space.sk,
    });
    expect(completed.body.total).toBe(3);
    expect(completed.body.referrals.every((r) => r.status === "completed")).toBe(true);

    const limited = await call<ListBody>("GET", `/v1/api/referral/by-user/${user}?limit=2`, { key: space.sk });
    expect(limited.body.referrals).toHaveLength(2);
    expect(limited.body.total).toBe(4);
  });

  it("an unknown user has an empty list", async () => {
    const space = await createAppspace();
    const res = await call<ListBody>("GET", "/v1/api/referral/by-user/nobody", { key: space.sk });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ referrals: [], total: 0 });
  });

  it("user ids with URL-special characters round-trip", async () => {
    const space = await createAppspace();
    const user = "jane@example.com/+1";
    const ref = await createReferral(space, { user_id: user });
    const res = await call<ListBody>("GET", `/v1/api/referral/by-user/${encodeURIComponent(user)}`, { key: space.sk });
    expect(res.body.referrals.map((r) => r.referral_code)).toEqual([ref.referral_code]);
  });
});

describe("leaderboard", () => {
  it("ranks referrers by completed referrals with totals, pending and reward value", async () => {
    const space = await createAppspace({ settings: { reward_type: "discount", reward_value: "20" } });
    const plan: Record<string, number> = { alice: 3, bob: 1, carol: 2 };
    for (const [user, completions] of Object.entries(plan)) {
      for (let i = 0; i < completions; i++) {
        const ref = await createReferral(space, { user_id: user, user_name: user.toUpperCase() });
        expect((await complete(space, ref.referral_code)).status).toBe(200);
      }
    }
    await createReferral(space, { user_id: "bob" }); // bob has one pending
    await createReferral(space, { user_id: "dave" }); // dave has nothing completed

    const res = await call<{ leaderboard: Record<string, unknown>[] }>("GET", "/v1/api/referral/leaderboard", {
      key: space.sk,
    });
    expect(res.status).toBe(200);
    expect(res.body.leaderboard).toEqual([
      { referrer_id: "alice", referrer_name: "ALICE", total: 3, completed: 3, pending: 0, total_reward_value: "60" },
      { referrer_id: "carol", referrer_name: "CAROL", total: 2, completed: 2, pending: 0, total_reward_value: "40" },
      { referrer_id: "bob", referrer_name: "BOB", total: 2, completed: 1, pending: 1, total_reward_value: "20" },
      { referrer_id: "dave", referrer_name: null, total: 1, completed: 0, pending: 1, total_reward_value: "0" },
    ]);

    const top = await call<{ leaderboard: unknown[] }>("GET", "/v1/api/referral/leaderboard?limit=2", {
      key: space.sk,
    });
    expect(top.body.leaderboard).toHaveLength(2);
  });

  it("is empty for a new appspace", async () => {
    const space = await createAppspace();
    const res = await call("GET", "/v1/api/referral/leaderboard", { key: space.sk });
    expect(res.body).toEqual({ leaderboard: [] });
  });
});
