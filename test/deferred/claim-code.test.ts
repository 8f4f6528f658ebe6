import { describe, expect, it } from "vitest";
import { ageReferral, call, createAppspace, createReferral, sql, uniqueUser } from "../support/api";

/** POST /api/deferred/claim-code: the code a user typed, claimed once per install, in its own appspace only. */

const claim = (key: string, body: Record<string, unknown>) =>
  call<{ path?: string; referral_code?: string; method?: string; error?: string; field?: string }>(
    "POST",
    "/api/deferred/claim-code",
    { key, body },
  );

const install = () => crypto.randomUUID().toUpperCase();

describe("POST /api/deferred/claim-code", () => {
  it("a live code, typed in any case, is claimed once per install; other installs may claim it too", async () => {
    const space = await createAppspace();
    const { referral_code: code } = await createReferral(space);
    const a = install();
    const first = await claim(space.pk, { referral_code: ` ${code.toLowerCase()} `, install_id: a });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ path: `/ref/${code}`, referral_code: code, method: "code" });
    const again = await claim(space.pk, { referral_code: code, install_id: a });
    expect(again.status).toBe(404);
    expect(again.body.error).toBe("This install has already claimed a referral code");
    // A shared code: a friend's install claims it as well.
    expect((await claim(space.pk, { referral_code: code, install_id: install() })).status).toBe(200);

    const events = await sql<{ data: string }>(
      "select data::text as data from events where appspace_id = $1 and type = 'deferred_link.claimed'",
      [space.id],
    );
    expect(events.map((e) => JSON.parse(e.data))).toEqual([
      expect.objectContaining({ referral_code: code, path: `/ref/${code}`, method: "code" }),
      expect.objectContaining({ referral_code: code, method: "code" }),
    ]);
    // The install id is never stored as sent.
    const stored = await sql<{ token: string }>("select token from deferred_claims where appspace_id = $1", [space.id]);
    expect(stored.every((r) => !r.token.includes(a))).toBe(true);
  });

  it("retried with its Idempotency-Key (the answer was lost): the claim again, not 'already claimed'", async () => {
    const space = await createAppspace();
    const { referral_code: code } = await createReferral(space);
    const body = { referral_code: code, install_id: install() };
    const headers = { "idempotency-key": crypto.randomUUID() };
    const first = await call("POST", "/api/deferred/claim-code", { key: space.pk, body, headers });
    expect(first.status).toBe(200);
    const retry = await call("POST", "/api/deferred/claim-code", { key: space.pk, body, headers });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    // Without the key, the same install's second claim is still refused.
    expect((await claim(space.pk, body)).status).toBe(404);
    expect(await sql("select 1 from deferred_claims where appspace_id = $1", [space.id])).toHaveLength(1);
  });

  it("20 concurrent claims by one install: exactly one succeeds", async () => {
    const space = await createAppspace();
    const { referral_code: code } = await createReferral(space);
    const id = install();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => claim(space.pk, { referral_code: code, install_id: id })),
    );
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 404)).toHaveLength(19);
  });

  it("another appspace's code, an expired, a completed or an unknown code: 404", async () => {
    const space = await createAppspace();
    const other = await createAppspace();
    const theirs = await createReferral(other);
    expect((await claim(space.pk, { referral_code: theirs.referral_code, install_id: install() })).status).toBe(404);

    const old = await createReferral(space);
    await ageReferral(old.referral_code, 40);
    expect((await claim(space.pk, { referral_code: old.referral_code, install_id: install() })).status).toBe(404);

    const done = await createReferral(space);
    const completed = await call("POST", "/v1/api/referral/complete", {
      key: space.sk,
      body: { referral_code: done.referral_code, referred_user_id: uniqueUser() },
    });
    expect(completed.status).toBe(200);
    expect((await claim(space.pk, { referral_code: done.referral_code, install_id: install() })).status).toBe(404);

    const unknown = await claim(space.pk, { referral_code: "NOSUCHCODE", install_id: install() });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe("Referral code not found, expired, or already used");
  });

  it("bad input is a 400 naming the field", async () => {
    const space = await createAppspace();
    for (const [body, field] of [
      [{ install_id: install() }, "referral_code"],
      [{ referral_code: "ABC" }, "install_id"],
      [{ referral_code: "ABC", install_id: "short" }, "install_id"],
      [{ referral_code: "ABC", install_id: install(), extra: 1 }, "extra"],
    ] as const) {
      const res = await claim(space.pk, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.field, JSON.stringify(body)).toBe(field);
    }
    expect(
      (await call("POST", "/api/deferred/claim-code", { body: { referral_code: "A", install_id: install() } })).status,
    ).toBe(401);
  });
});
