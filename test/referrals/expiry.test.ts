import { describe, expect, it } from "vitest";
import { ageReferral as age, call, createAppspace, createReferral, uniqueUser } from "../support/api";

describe("lazy expiration", () => {
  it("a pending referral older than expiration_days reads as expired everywhere", async () => {
    const space = await createAppspace({ settings: { expiration_days: 7 } });
    const user = uniqueUser();
    const ref = await createReferral(space, { user_id: user });
    await age(ref.referral_code, 6);
    const fresh = await call("GET", `/v1/api/referral/${ref.referral_code}`, { key: space.pk });
    expect(fresh.body.status).toBe("pending");

    await age(ref.referral_code, 2);
    const lookup = await call("GET", `/v1/api/referral/${ref.referral_code}`, { key: space.pk });
    expect(lookup.body.status).toBe("expired");

    const list = await call<{ referrals: { status: string }[]; total: number }>(
      "GET",
      `/v1/api/referral/by-user/${user}`,
      { key: space.sk },
    );
    expect(list.body.referrals.map((r) => r.status)).toEqual(["expired"]);
    const pendingOnly = await call<{ total: number }>("GET", `/v1/api/referral/by-user/${user}?status=pending`, {
      key: space.sk,
    });
    expect(pendingOnly.body.total).toBe(0);
    const expiredOnly = await call<{ total: number }>("GET", `/v1/api/referral/by-user/${user}?status=expired`, {
      key: space.sk,
    });
    expect(expiredOnly.body.total).toBe(1);

    const board = await call<{ leaderboard: { referrer_id: string; pending: number; total: number }[] }>(
      "GET",
      "/v1/api/referral/leaderboard",
      { key: space.sk },
    );
    expect(board.body.leaderboard.find((r) => r.referrer_id === user)).toMatchObject({ pending: 0, total: 1 });
  });

  it("an expired referral is replaced by a new code on create", async () => {
    const space = await createAppspace({ settings: { expiration_days: 1 } });
    const user = uniqueUser();
    const first = await createReferral(space, { user_id: user });
    await age(first.referral_code, 2);
    const second = await createReferral(space, { user_id: user });
    expect(second.referral_code).not.toBe(first.referral_code);
    const old = await call("GET", `/v1/api/referral/${first.referral_code}`, { key: space.pk });
    expect(old.body.status).toBe("expired");
  });

  it("the expiry window is fixed when the referral is created", async () => {
    const space = await createAppspace({ settings: { expiration_days: 30 } });
    const ref = await createReferral(space);
    const looked = await call("GET", `/v1/api/referral/${ref.referral_code}`, { key: space.pk });
    const days =
      (Date.parse(looked.body.expires_at as string) - Date.parse(looked.body.created_at as string)) / 86_400_000;
    expect(days).toBeCloseTo(30, 5);
  });
});
