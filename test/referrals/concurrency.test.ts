import { describe, expect, it } from "vitest";
import { call, createAppspace, createReferral, isPostgres, sql, uniqueUser } from "../support/api";

/**
 * Exactly-once under concurrency. These are decided by conditional statements and unique
 * indexes in Postgres; they only *prove* something against a real PostgreSQL (CI runs the suite
 * with DATABASE_URL set). On PGlite every request is serialised, so they pass trivially.
 */
const N = 50;

const statuses = (responses: { status: number }[]) =>
  responses.reduce<Record<number, number>>((acc, r) => {
    acc[r.status] = (acc[r.status] ?? 0) + 1;
    return acc;
  }, {});

describe(`exactly once under ${N} concurrent calls (${isPostgres() ? "PostgreSQL" : "PGlite: serialised"})`, () => {
  it("complete: one 200, the rest 404 already completed; one event, one counter bump", async () => {
    const space = await createAppspace({ settings: { reward_type: "points", reward_value: "5" } });
    const ref = await createReferral(space, { user_id: "jane" });
    const responses = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        call("POST", "/v1/api/referral/complete", {
          key: space.sk,
          body: { referral_code: ref.referral_code, referred_user_id: `friend_${i}` },
        }),
      ),
    );
    expect(statuses(responses)).toEqual({ 200: 1, 404: N - 1 });
    const events = await sql("select 1 from events where appspace_id = $1 and type = 'referral.completed'", [space.id]);
    expect(events).toHaveLength(1);
    const board = await call<{ leaderboard: { completed: number; total_reward_value: string }[] }>(
      "GET",
      "/v1/api/referral/leaderboard",
      { key: space.sk },
    );
    expect(board.body.leaderboard[0]).toMatchObject({ completed: 1, total_reward_value: "5" });
  });

  it("claim-reward: one 200, the rest 409", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space);
    await call("POST", "/v1/api/referral/complete", {
      key: space.sk,
      body: { referral_code: ref.referral_code, referred_user_id: uniqueUser() },
    });
    for (const path of ["claim-reward", "claim-referee-reward"]) {
      const responses = await Promise.all(
        Array.from({ length: N }, () =>
          call("POST", `/v1/api/referral/${path}`, { key: space.sk, body: { referral_code: ref.referral_code } }),
        ),
      );
      expect(statuses(responses), path).toEqual({ 200: 1, 409: N - 1 });
    }
  });

  it("create for one user: one code", async () => {
    const space = await createAppspace();
    const user = uniqueUser();
    const responses = await Promise.all(
      Array.from({ length: N }, () =>
        call<{ referral_code: string }>("POST", "/v1/api/referral/create", { key: space.pk, body: { user_id: user } }),
      ),
    );
    expect(statuses(responses)).toEqual({ 200: N });
    expect(new Set(responses.map((r) => r.body.referral_code)).size).toBe(1);
    const rows = await sql("select 1 from referrals where appspace_id = $1 and referrer_id = $2", [space.id, user]);
    expect(rows).toHaveLength(1);
    const created = await sql("select 1 from events where appspace_id = $1 and type = 'referral.created'", [space.id]);
    expect(created).toHaveLength(1);
  });

  it("create respects max_referrals_per_user under concurrency", async () => {
    const space = await createAppspace({ settings: { max_referrals_per_user: 3 } });
    const user = uniqueUser();
    // Two completed referrals, then a burst of creates: only one more may exist.
    for (let i = 0; i < 2; i++) {
      const ref = await createReferral(space, { user_id: user });
      await call("POST", "/v1/api/referral/complete", {
        key: space.sk,
        body: { referral_code: ref.referral_code, referred_user_id: uniqueUser() },
      });
    }
    await Promise.all(
      Array.from({ length: 20 }, () =>
        call("POST", "/v1/api/referral/create", { key: space.pk, body: { user_id: user } }),
      ),
    );
    const rows = await sql("select 1 from referrals where appspace_id = $1 and referrer_id = $2", [space.id, user]);
    expect(rows).toHaveLength(3);
  });

  it("one referee racing through different codes is referred once", async () => {
    const space = await createAppspace();
    const refs = await Promise.all(Array.from({ length: 10 }, () => createReferral(space)));
    const responses = await Promise.all(
      refs.map((ref) =>
        call("POST", "/v1/api/referral/complete", {
          key: space.sk,
          body: { referral_code: ref.referral_code, referred_user_id: "popular_friend" },
        }),
      ),
    );
    expect(statuses(responses)).toEqual({ 200: 1, 409: 9 });
    for (const r of responses.filter((x) => x.status === 409)) {
      expect(r.body).toMatchObject({ error: "Referral flagged for abuse", reason: "already_referred" });
    }
  });
});
