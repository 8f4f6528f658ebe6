import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src";
import {
  ADMIN_TOKEN,
  type ApiResponse,
  call,
  createAppspace,
  createReferral,
  isPostgres,
  sql,
  type TestAppspace,
  uniqueUser,
} from "../support/api";
import { receiver } from "../support/webhooks";

const REPLAYED = "idempotent-replayed";
const newKey = () => `key-${crypto.randomUUID()}`;

const post = <T = Record<string, unknown>>(path: string, key: string, body: unknown, idempotencyKey?: string) =>
  call<T>("POST", path, {
    key,
    body,
    headers: idempotencyKey === undefined ? {} : { "idempotency-key": idempotencyKey },
  });

const adminPost = <T = Record<string, unknown>>(path: string, body: unknown, idempotencyKey?: string) =>
  post<T>(`/v1/admin${path}`, ADMIN_TOKEN, body, idempotencyKey);

const statuses = (responses: { status: number }[]) =>
  responses.reduce<Record<number, number>>((acc, r) => {
    acc[r.status] = (acc[r.status] ?? 0) + 1;
    return acc;
  }, {});

function expectReplayOf(replay: ApiResponse, original: ApiResponse) {
  expect(original.headers.get(REPLAYED)).toBeNull();
  expect(replay.headers.get(REPLAYED)).toBe("true");
  expect(replay.status).toBe(original.status);
  expect(replay.body).toEqual(original.body);
  expect(replay.headers.get("content-type")).toBe(original.headers.get("content-type"));
}

async function completedReferral(space: TestAppspace) {
  const ref = await createReferral(space);
  const done = await post("/v1/api/referral/complete", space.sk, {
    referral_code: ref.referral_code,
    referred_user_id: uniqueUser("friend"),
  });
  expect(done.status).toBe(200);
  return ref;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Idempotency-Key: a retry gets the first answer", () => {
  it("admin: creating an appspace twice with one key creates one and replays the response", async () => {
    const name = `idem-${crypto.randomUUID()}`;
    const key = newKey();
    const first = await adminPost("/appspaces", { name }, key);
    expect(first.status).toBe(201);
    const second = await adminPost("/appspaces", { name }, key);
    expectReplayOf(second, first);
    expect(await sql("select id from appspaces where name = $1", [name])).toHaveLength(1);
  });

  it("admin: creating a webhook twice with one key creates one", async () => {
    const space = await createAppspace();
    const rx = receiver();
    const key = newKey();
    const first = await adminPost(`/appspaces/${space.id}/webhooks`, { url: rx.url }, key);
    expect(first.status).toBe(201);
    const second = await adminPost(`/appspaces/${space.id}/webhooks`, { url: rx.url }, key);
    expectReplayOf(second, first);
    expect(await sql("select id from webhook_endpoints where appspace_id = $1", [space.id])).toHaveLength(1);
  });

  it("complete retried with the same key: 200 replay, one completion event", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space);
    const body = { referral_code: ref.referral_code, referred_user_id: uniqueUser("friend") };
    const key = newKey();
    const first = await post("/v1/api/referral/complete", space.sk, body, key);
    expect(first.status).toBe(200);
    const retry = await post("/v1/api/referral/complete", space.sk, body, key);
    expectReplayOf(retry, first);
    const events = await sql("select 1 from events where appspace_id = $1 and type = 'referral.completed'", [space.id]);
    expect(events).toHaveLength(1);
  });

  it("claim-reward retried with the same key: 200 replay, not 409", async () => {
    const space = await createAppspace();
    const ref = await completedReferral(space);
    const key = newKey();
    const first = await post("/v1/api/referral/claim-reward", space.sk, { referral_code: ref.referral_code }, key);
    expect(first.status).toBe(200);
    const retry = await post("/v1/api/referral/claim-reward", space.sk, { referral_code: ref.referral_code }, key);
    expectReplayOf(retry, first);
    // Without the key, claiming again is still the contract's 409.
    const again = await post("/v1/api/referral/claim-reward", space.sk, { referral_code: ref.referral_code });
    expect(again.status).toBe(409);
  });

  it("a stored 4xx is replayed too (the operation's answer), not run again", async () => {
    const space = await createAppspace();
    const key = newKey();
    const body = { referral_code: "NOSUCHCODE", referred_user_id: uniqueUser() };
    const first = await post("/v1/api/referral/complete", space.sk, body, key);
    expect(first.status).toBe(404);
    expectReplayOf(await post("/v1/api/referral/complete", space.sk, body, key), first);
  });

  it("without a key nothing is replayed: two creates make two appspaces", async () => {
    const name = `idem-${crypto.randomUUID()}`;
    const a = await adminPost("/appspaces", { name });
    const b = await adminPost("/appspaces", { name });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get(REPLAYED)).toBeNull();
    expect(await sql("select id from appspaces where name = $1", [name])).toHaveLength(2);
  });
});

describe("Idempotency-Key: misuse", () => {
  it("same key, different body → 422; different path → 422", async () => {
    const key = newKey();
    const first = await adminPost("/appspaces", { name: `idem-${crypto.randomUUID()}` }, key);
    expect(first.status).toBe(201);
    const other = await adminPost("/appspaces", { name: `idem-${crypto.randomUUID()}` }, key);
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({
      error: "Idempotency-Key reused with a different request",
      field: "Idempotency-Key",
    });
    const space = first.body as { id: string };
    const elsewhere = await adminPost(`/appspaces/${space.id}/keys`, { type: "secret" }, key);
    expect(elsewhere.status).toBe(422);
    expect(await sql("select 1 from api_keys where appspace_id = $1", [space.id])).toHaveLength(2);
  });

  it.each([
    ["256 characters", "k".repeat(256)],
    ["a control character", "bad\tkey"],
    ["an empty value", ""],
  ])("a key with %s → 400 naming Idempotency-Key, nothing created", async (_label, badKey) => {
    const name = `idem-${crypto.randomUUID()}`;
    const res = await adminPost("/appspaces", { name }, badKey);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: "Idempotency-Key" });
    expect(String((res.body as { error: string }).error)).toMatch(/Idempotency-Key/);
    expect(await sql("select id from appspaces where name = $1", [name])).toHaveLength(0);
  });

  it("255 printable characters are a valid key", async () => {
    // Unique per run: the database outlives a run.
    const key = `${crypto.randomUUID()} ${"~".repeat(218)}`;
    expect(key).toHaveLength(255);
    const res = await adminPost("/appspaces", { name: `idem-${crypto.randomUUID()}` }, key);
    expect(res.status).toBe(201);
  });

  it("keys are per appspace: appspace B's request with A's key runs as its own", async () => {
    const a = await createAppspace();
    const b = await createAppspace();
    const key = newKey();
    const body = { user_id: "jane" };
    const inA = await post<{ referral_id: string }>("/v1/api/referral/create", a.pk, body, key);
    const inB = await post<{ referral_id: string }>("/v1/api/referral/create", b.pk, body, key);
    expect([inA.status, inB.status]).toEqual([200, 200]);
    expect(inB.headers.get(REPLAYED)).toBeNull();
    expect(inB.body.referral_id).not.toBe(inA.body.referral_id);
    // Within one appspace the key is shared by its keys (sk replays what pk created).
    const again = await post<{ referral_id: string }>("/v1/api/referral/create", a.sk, body, key);
    expectReplayOf(again, inA);
  });

  it("while the first request runs → 409; once its runner is presumed dead, a retry takes over", async () => {
    const name = `idem-${crypto.randomUUID()}`;
    const key = newKey();
    const first = await adminPost("/appspaces", { name }, key);
    expect(first.status).toBe(201);
    // Arrange what HTTP can't: the row as a request still running (or one that died) leaves it.
    await sql(
      "update idempotency_keys set status = 'running', locked_until = now() + interval '1 minute' where key = $1",
      [key],
    );
    const busy = await adminPost("/appspaces", { name }, key);
    expect(busy.status).toBe(409);
    expect(busy.body).toMatchObject({ error: "A request with this Idempotency-Key is in progress" });
    await sql("update idempotency_keys set locked_until = now() - interval '1 second' where key = $1", [key]);
    const takeover = await adminPost("/appspaces", { name }, key);
    expect(takeover.status).toBe(201);
    expect(takeover.headers.get(REPLAYED)).toBeNull();
    expect(await sql("select id from appspaces where name = $1", [name])).toHaveLength(2);
    // …and its answer is what is replayed from then on.
    expectReplayOf(await adminPost("/appspaces", { name }, key), takeover);
  });

  it("a 5xx stores nothing: the key is freed and a retry runs", async () => {
    const space = await createAppspace();
    const rx = receiver();
    const hook = await adminPost<{ id: string }>(`/appspaces/${space.id}/webhooks`, { url: rx.url });
    expect(hook.status).toBe(201);
    // The rotation's new secret can't be generated once: the handler fails after the key was taken.
    const random = vi.spyOn(crypto, "getRandomValues").mockImplementationOnce(() => {
      throw new Error("entropy unavailable");
    });
    const key = newKey();
    const failed = await adminPost(`/webhooks/${hook.body.id}/rotate-secret`, undefined, key);
    expect(failed.status).toBe(500);
    expect(random).toHaveBeenCalled();
    expect(await sql("select 1 from idempotency_keys where key = $1", [key])).toHaveLength(0);
    const retry = await adminPost<{ secret: string }>(`/webhooks/${hook.body.id}/rotate-secret`, undefined, key);
    expect(retry.status).toBe(200);
    expect(retry.body.secret).toMatch(/^whsec_/);
    expect(retry.headers.get(REPLAYED)).toBeNull();
  });

  it("GET ignores the header", async () => {
    const space = await createAppspace();
    const res = await call("GET", `/v1/admin/appspaces/${space.id}`, {
      key: ADMIN_TOKEN,
      headers: { "idempotency-key": "k".repeat(300) },
    });
    expect(res.status).toBe(200);
  });
});

describe(`Idempotency-Key under 50 concurrent requests (${isPostgres() ? "PostgreSQL" : "PGlite: serialised"})`, () => {
  it("one key, one execution: one appspace; the others 409 or replays of it", async () => {
    const name = `idem-${crypto.randomUUID()}`;
    const key = newKey();
    const responses = await Promise.all(Array.from({ length: 50 }, () => adminPost("/appspaces", { name }, key)));
    expect(await sql("select id from appspaces where name = $1", [name])).toHaveLength(1);
    const counts = statuses(responses);
    expect((counts[201] ?? 0) + (counts[409] ?? 0)).toBe(50);
    const created = responses.filter((r) => r.status === 201);
    expect(created.filter((r) => r.headers.get(REPLAYED) === null)).toHaveLength(1);
    for (const r of created) expect(r.body).toEqual(created[0]?.body);
    for (const r of responses.filter((x) => x.status === 409)) {
      expect(r.body).toMatchObject({ error: "A request with this Idempotency-Key is in progress" });
    }
  });
});

describe("complete without a key: a repeat by the same referee", () => {
  it("answers 200 with that completion; no second event", async () => {
    const space = await createAppspace({ settings: { reward_type: "points", reward_value: "5" } });
    const ref = await createReferral(space);
    const body = { referral_code: ref.referral_code, referred_user_id: uniqueUser("friend") };
    const first = await post("/v1/api/referral/complete", space.sk, body);
    expect(first.status).toBe(200);
    const again = await post("/v1/api/referral/complete", space.sk, { ...body, ip: "203.0.113.9" });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const events = await sql("select 1 from events where appspace_id = $1 and type = 'referral.completed'", [space.id]);
    expect(events).toHaveLength(1);
  });

  it("by a different referee: still 404 already completed", async () => {
    const space = await createAppspace();
    const ref = await completedReferral(space);
    const other = await post("/v1/api/referral/complete", space.sk, {
      referral_code: ref.referral_code,
      referred_user_id: uniqueUser("other"),
    });
    expect(other.status).toBe(404);
    expect(other.body).toMatchObject({ error: "Referral not found or already completed" });
  });

  it("50 concurrent completes by one referee: all 200 with the one completion, one event", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space);
    const body = { referral_code: ref.referral_code, referred_user_id: uniqueUser("friend") };
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => post("/v1/api/referral/complete", space.sk, body)),
    );
    expect(statuses(responses)).toEqual({ 200: 50 });
    for (const r of responses) expect(r.body).toEqual(responses[0]?.body);
    const events = await sql("select 1 from events where appspace_id = $1 and type = 'referral.completed'", [space.id]);
    expect(events).toHaveLength(1);
  });

  // Forces the interleaving the test above may not hit: every racer reads the referral as
  // pending, then waits on its row lock, so all but one find it completed only *after* their
  // snapshot. Needs real concurrency (PGlite serialises), hence PostgreSQL only.
  it.skipIf(!isPostgres())("racers that saw it pending still answer 200 with the one completion", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space);
    const body = { referral_code: ref.referral_code, referred_user_id: uniqueUser("friend") };
    const holder = sql(
      `with held as (select id from referrals where code = $1 for update)
       select pg_sleep(1.5) from held`,
      [ref.referral_code],
    );
    // Wait until the lock is held (the CTE ran; the sleep is on), then start the racers.
    for (let i = 0; ; i++) {
      const sleeping = await sql("select 1 from pg_stat_activity where wait_event = 'PgSleep' and query like $1", [
        "%with held as%",
      ]);
      if (sleeping.length) break;
      if (i > 200) throw new Error("the row lock holder never started");
      await new Promise((r) => setTimeout(r, 10));
    }
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => post("/v1/api/referral/complete", space.sk, body)),
    );
    await holder;
    expect(statuses(responses)).toEqual({ 200: 20 });
    for (const r of responses) expect(r.body).toEqual(responses[0]?.body);
    const events = await sql("select 1 from events where appspace_id = $1 and type = 'referral.completed'", [space.id]);
    expect(events).toHaveLength(1);
  });
});

describe("Idempotency-Key in the OpenAPI document", () => {
  it("is a header parameter of every POST under /v1/ and /api/deferred/, of the claim GET, and of nothing else", async () => {
    const res = await call<{
      paths: Record<string, Record<string, { parameters?: { $ref?: string }[] }>>;
      components: { parameters?: Record<string, { name: string; in: string }> };
    }>("GET", "/openapi.json");
    expect(res.body.components.parameters?.IdempotencyKey).toMatchObject({ name: "Idempotency-Key", in: "header" });
    const refs = (path: string, method: string) =>
      (res.body.paths[path]?.[method]?.parameters ?? []).map((p) => p.$ref).filter(Boolean);
    for (const [path, ops] of Object.entries(res.body.paths)) {
      for (const method of Object.keys(ops)) {
        const expected =
          (method === "post" && (path.startsWith("/v1/") || path.startsWith("/api/deferred/"))) ||
          (method === "get" && path === "/api/deferred/claim")
            ? 1
            : 0;
        expect(refs(path, method).length, `${method} ${path}`).toBe(expected);
      }
    }
    expect(refs("/v1/api/referral/complete", "post")).toEqual(["#/components/parameters/IdempotencyKey"]);
    expect(refs("/v1/admin/appspaces/{id}/webhooks", "post")).toEqual(["#/components/parameters/IdempotencyKey"]);
    expect(refs("/api/deferred/match", "post")).toEqual(["#/components/parameters/IdempotencyKey"]);
    expect(refs("/api/deferred/claim", "get")).toEqual(["#/components/parameters/IdempotencyKey"]);
  });
});

describe("Idempotency-Key: what is stored", () => {
  /** The same Worker with other secrets (another deployment's, or after a rotation). */
  const fetchWith = async (overrides: Record<string, string>, path: string, body: unknown, idempotencyKey: string) => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`https://api.test${path}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${overrides.ADMIN_TOKEN ?? ADMIN_TOKEN}`,
          "content-type": "application/json",
          "idempotency-key": idempotencyKey,
        },
        body: JSON.stringify(body),
      }),
      { ...env, ...overrides } as typeof env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return {
      status: res.status,
      replayed: res.headers.get(REPLAYED),
      body: (await res.json()) as Record<string, unknown>,
    };
  };

  it("a response is sealed at rest: the secrets it showed are not readable in the table, yet replay", async () => {
    const key = newKey();
    const firstName = `sealed-${crypto.randomUUID()}`;
    const first = await adminPost<{ secret_key: string; identity_secret: string }>(
      "/appspaces",
      { name: firstName },
      key,
    );
    expect(first.status).toBe(201);
    const [row] = await sql<{ response_body: string }>("select response_body from idempotency_keys where key = $1", [
      key,
    ]);
    expect(row?.response_body).toMatch(/^v1\./);
    expect(row?.response_body).not.toContain(first.body.secret_key);
    expect(row?.response_body).not.toContain("sk_");
    expect(row?.response_body).not.toContain(first.body.identity_secret);
    const replay = await adminPost<{ secret_key: string }>("/appspaces", { name: firstName }, key);
    expect(replay.headers.get(REPLAYED)).toBe("true");
    expect(replay.body).toEqual(first.body);
  });

  it("sealed to its key: a stored answer copied to another key doesn't open (409, nothing runs)", async () => {
    const [a, b] = [newKey(), newKey()];
    const name = `moved-${crypto.randomUUID()}`;
    expect((await adminPost("/appspaces", { name }, a)).status).toBe(201);
    expect((await adminPost("/appspaces", { name }, b)).status).toBe(201);
    await sql(
      "update idempotency_keys set response_body = (select response_body from idempotency_keys where key = $1) where key = $2",
      [a, b],
    );
    const replay = await adminPost("/appspaces", { name }, b);
    expect(replay.status).toBe(409);
    expect(replay.body).toMatchObject({
      error: "The response stored for this Idempotency-Key can no longer be read; use a new key",
    });
    expect(await sql("select id from appspaces where name = $1", [name])).toHaveLength(2);
  });

  it("after 24 h the key is free again: the request runs anew", async () => {
    const key = newKey();
    const name = `expired-${crypto.randomUUID()}`;
    expect((await adminPost("/appspaces", { name }, key)).status).toBe(201);
    await sql("update idempotency_keys set expires_at = now() - interval '1 second' where key = $1", [key]);
    const again = await adminPost("/appspaces", { name }, key);
    expect(again.status).toBe(201);
    expect(again.headers.get(REPLAYED)).toBeNull();
    expect(await sql("select id from appspaces where name = $1", [name])).toHaveLength(2);
  });

  it("admin keys are per admin token: another token's request with the same key runs as its own", async () => {
    const key = newKey();
    const name = `token-scope-${crypto.randomUUID()}`;
    const first = await fetchWith({}, "/v1/admin/appspaces", { name }, key);
    expect(first.status).toBe(201);
    const other = { ADMIN_TOKEN: "another-admin-token-0123456789" };
    const second = await fetchWith(other, "/v1/admin/appspaces", { name }, key);
    expect([second.status, second.replayed]).toEqual([201, null]);
    expect(second.body.id).not.toBe(first.body.id);
    // Each token still replays its own.
    const replay = await fetchWith(other, "/v1/admin/appspaces", { name }, key);
    expect([replay.status, replay.replayed, replay.body.id]).toEqual([201, "true", second.body.id]);
  });
});
