import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import worker from "../../src";
import { loadConfig } from "../../src/config";
import { getDb } from "../../src/db/client";
import { pruneExpired } from "../../src/db/retention";
import type { WebhookMessage } from "../../src/services/webhook-outbox";
import { admin, createAppspace, sql, type TestAppspace } from "../support/api";

/**
 * Retention, as the cron applies it (`worker.scheduled`). Rows are backdated with SQL (the HTTP
 * surface can't wait months); every assertion is about this file's own rows (its appspaces, its
 * dead-letter queue names, its idempotency scopes): other test files share the database and run
 * the cron too.
 */

const DAYS = {
  events: Number(env.EVENT_RETENTION_DAYS),
  clicks: Number(env.CLICK_RETENTION_DAYS),
  deferredClaims: Number(env.DEFERRED_CLAIM_RETENTION_DAYS),
};

/** Endpoints this file subscribes: the cron's sweep must not send their attempts anywhere. */
const ownEndpoints = new Set<string>();
const isOwn = (body: WebhookMessage) => ownEndpoints.has(body.endpoint_id);
const realQueue = env.WEBHOOKS as Queue<WebhookMessage>;
/** WEBHOOKS, minus this file's endpoints (other tests' attempts still go to the real queue). */
const queue = {
  send: async (body: WebhookMessage, options?: QueueSendOptions) => {
    if (!isOwn(body)) await realQueue.send(body, options);
  },
  sendBatch: async (messages: Iterable<MessageSendRequest<WebhookMessage>>, options?: QueueSendBatchOptions) => {
    const others = [...messages].filter((m) => !isOwn(m.body));
    if (others.length) await realQueue.sendBatch(others, options);
  },
} as unknown as Queue<WebhookMessage>;

const cronEnv = (overrides: Record<string, string> = {}) => ({ ...env, WEBHOOKS: queue, ...overrides }) as typeof env;

async function cron(environment = cronEnv()) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), environment, ctx);
  await waitOnExecutionContext(ctx);
}

const ago = (days: number) => `now() - make_interval(days => ${days})`;

/** Everything this file inserted outside its appspaces' cascade. */
const spaces: string[] = [];
const letterQueue = `retention-test-${crypto.randomUUID()}`;

async function space(): Promise<TestAppspace> {
  const s = await createAppspace();
  spaces.push(s.id);
  return s;
}

afterAll(async () => {
  // Backdated rows this file kept on purpose must not linger for a later run's bounded-batch test.
  await sql("delete from clicks where appspace_id = any($1::uuid[])", [spaces]);
  await sql("delete from deferred_claims where appspace_id = any($1::uuid[])", [spaces]);
  await sql("delete from events where appspace_id = any($1::uuid[])", [spaces]);
  await sql("delete from dead_letters where queue = $1", [letterQueue]);
  await sql("delete from idempotency_keys where scope = any($1::text[])", [spaces.map((id) => `retention:${id}`)]);
});

async function insertEvent(appspaceId: string, createdDaysAgo: number, dispatched: boolean): Promise<string> {
  const [row] = await sql<{ id: string }>(
    `insert into events (appspace_id, type, data, created_at, dispatched_at)
     values ($1, 'referral.created', '{"referral_code":"RETENTION"}', ${ago(createdDaysAgo)},
             ${dispatched ? ago(createdDaysAgo) : "null"})
     returning id`,
    [appspaceId],
  );
  if (!row) throw new Error("insertEvent");
  return row.id;
}

async function endpoint(s: TestAppspace): Promise<string> {
  const res = await admin<{ id: string }>("POST", `/appspaces/${s.id}/webhooks`, { url: "http://127.0.0.1:1/x" });
  if (res.status !== 201) throw new Error(`endpoint: ${res.status} ${JSON.stringify(res.body)}`);
  ownEndpoints.add(res.body.id);
  return res.body.id;
}

/** A delivery-log row written now (so the log's own retention leaves it), not yet due again. */
async function delivery(endpointId: string, eventId: string, status: string) {
  await sql(
    `insert into webhook_deliveries (endpoint_id, event_id, series, attempt, status, due_at, started_at)
     values ($1, $2, $3, 1, $4,
             case when $4 in ('pending', 'sending') then now() + interval '1 day' end,
             case when $4 = 'sending' then now() end)`,
    [endpointId, eventId, `retention:${eventId}`, status],
  );
}

async function existing(table: string, column: string, ids: string[]): Promise<string[]> {
  const rows = await sql<{ id: string }>(`select ${column}::text as id from ${table} where ${column} = any($1)`, [ids]);
  return rows.map((r) => r.id).sort();
}

describe("retention through the cron", () => {
  it("dispatched events past EVENT_RETENTION_DAYS go; newer ones stay", async () => {
    const s = await space();
    const old = await insertEvent(s.id, DAYS.events + 5, true);
    const recent = await insertEvent(s.id, DAYS.events - 5, true);
    await cron();
    expect(await existing("events", "id", [old, recent])).toEqual([recent]);
  });

  it("dispatched events with an attempt pending or sending stay, however old; a finished attempt doesn't protect", async () => {
    const s = await space();
    const hook = await endpoint(s);
    const pending = await insertEvent(s.id, DAYS.events + 30, true);
    const sending = await insertEvent(s.id, DAYS.events + 30, true);
    const succeeded = await insertEvent(s.id, DAYS.events + 30, true);
    const failed = await insertEvent(s.id, DAYS.events + 30, true);
    await delivery(hook, pending, "pending");
    await delivery(hook, sending, "sending");
    await delivery(hook, succeeded, "succeeded");
    await delivery(hook, failed, "failed");
    await cron();
    expect(await existing("events", "id", [pending, sending, succeeded, failed])).toEqual([pending, sending].sort());
    // The finished attempts went with their events (ON DELETE CASCADE); the unfinished ones are untouched.
    const left = await sql<{ status: string }>("select status from webhook_deliveries where endpoint_id = $1", [hook]);
    expect(left.map((r) => r.status).sort()).toEqual(["pending", "sending"]);
  });

  it("undispatched events are never pruned, however old (the prune itself)", async () => {
    // Through the cron an old undispatched event is dispatched by the sweep first (the next test);
    // the prune's own rule is checked here, on the statement the cron runs after the sweep.
    // The subscriber only matters if another file's cron sweeps this event in the meantime: it
    // then has a pending attempt, which keeps it too (instead of being dispatched and pruned).
    const s = await space();
    await endpoint(s);
    const undispatched = await insertEvent(s.id, DAYS.events + 365, false);
    const config = loadConfig(env);
    await pruneExpired(getDb(config), config.retention);
    expect(await existing("events", "id", [undispatched])).toEqual([undispatched]);
  });

  it("an old undispatched event with a subscriber: the cron dispatches it and keeps it while its attempt is pending", async () => {
    const s = await space();
    const hook = await endpoint(s);
    const event = await insertEvent(s.id, DAYS.events + 365, false);
    await cron();
    const [row] = await sql<{ dispatched: string }>(
      "select (dispatched_at is not null)::text as dispatched from events where id = $1",
      [event],
    );
    expect(row).toEqual({ dispatched: "true" });
    const attempts = await sql<{ status: string }>(
      "select status from webhook_deliveries where endpoint_id = $1 and event_id = $2",
      [hook, event],
    );
    expect(attempts).toEqual([{ status: "pending" }]);
  });

  it("clicks past CLICK_RETENTION_DAYS go; newer ones stay", async () => {
    const s = await space();
    const [old, recent] = [crypto.randomUUID(), crypto.randomUUID()];
    await sql(
      `insert into clicks (id, appspace_id, code, clicked_at, route) values
         ($1, $3, 'RETENTION1', ${ago(DAYS.clicks + 5)}, 'fallback'),
         ($2, $3, 'RETENTION1', ${ago(DAYS.clicks - 5)}, 'fallback')`,
      [old, recent, s.id],
    );
    await cron();
    expect(await existing("clicks", "id", [old, recent])).toEqual([recent]);
  });

  it("deferred claims past DEFERRED_CLAIM_RETENTION_DAYS go; newer ones stay", async () => {
    const s = await space();
    const [old, recent] = [`retention-${crypto.randomUUID()}`, `retention-${crypto.randomUUID()}`];
    await sql(
      `insert into deferred_claims (token, appspace_id, code, method, claimed_at) values
         ($1, $3, 'RETENTION1', 'token', ${ago(DAYS.deferredClaims + 1)}),
         ($2, $3, 'RETENTION1', 'match', ${ago(DAYS.deferredClaims - 1)})`,
      [old, recent, s.id],
    );
    await cron();
    expect(await existing("deferred_claims", "token", [old, recent])).toEqual([recent]);
  });

  it("expired idempotency keys go, unless still locked by a runner; live ones stay", async () => {
    const s = await space();
    const scope = `retention:${s.id}`;
    const insert = (key: string, status: string, lockedUntil: string, expiresAt: string) =>
      sql(
        `insert into idempotency_keys (scope, key, request_hash, status, locked_until, expires_at)
         values ($1, $2, 'hash', $3, ${lockedUntil}, ${expiresAt})`,
        [scope, key, status],
      );
    await insert("expired-done", "done", "now() - interval '2 days'", "now() - interval '1 hour'");
    await insert("expired-abandoned", "running", "now() - interval '2 days'", "now() - interval '1 hour'");
    await insert("expired-locked", "running", "now() + interval '1 hour'", "now() - interval '1 hour'");
    await insert("live", "done", "now() - interval '1 hour'", "now() + interval '1 day'");
    await cron();
    const left = await sql<{ key: string }>("select key from idempotency_keys where scope = $1 order by key", [scope]);
    expect(left.map((r) => r.key)).toEqual(["expired-locked", "live"]);
  });

  it("dead letters past EVENT_RETENTION_DAYS go; newer ones stay", async () => {
    const [old, recent] = [crypto.randomUUID(), crypto.randomUUID()];
    await sql(
      `insert into dead_letters (queue, message_id, body, attempts, outcome, received_at) values
         ($1, $2, '{"n":1}', 10, 'retention test', ${ago(DAYS.events + 5)}),
         ($1, $3, '{"n":2}', 10, 'retention test', ${ago(DAYS.events - 5)})`,
      [letterQueue, old, recent],
    );
    await cron();
    const left = await sql<{ message_id: string }>("select message_id from dead_letters where queue = $1", [
      letterQueue,
    ]);
    expect(left).toEqual([{ message_id: recent }]);
  });
});

describe("retention runs in bounded batches", () => {
  it("RETENTION_BATCH_SIZE=2, RETENTION_MAX_BATCHES=1: a run deletes at most 2; repeated runs drain the backlog", async () => {
    const s = await space();
    // Old only for this test's CLICK_RETENTION_DAYS (30), not for the default (400) that the other
    // files' cron runs use: nothing but these bounded runs may delete them.
    await sql(
      `insert into clicks (id, appspace_id, code, clicked_at, route)
       select gen_random_uuid(), $1, 'RETENTION2', now() - make_interval(days => 40 + i), 'fallback'
       from generate_series(1, 5) i`,
      [s.id],
    );
    const bounded = cronEnv({ RETENTION_BATCH_SIZE: "2", RETENTION_MAX_BATCHES: "1", CLICK_RETENTION_DAYS: "30" });
    const remaining = async () =>
      Number((await sql<{ n: string }>("select count(*) as n from clicks where appspace_id = $1", [s.id]))[0]?.n);

    expect(await remaining()).toBe(5);
    let left = 5;
    let runs = 0;
    // The limit is global (all appspaces share each batch), so other old clicks may take some of a
    // run's 2; however they are shared, no run deletes more than 2 of ours.
    while (left > 0 && runs < 50) {
      await cron(bounded);
      runs++;
      const now = await remaining();
      expect(left - now).toBeLessThanOrEqual(2);
      left = now;
    }
    expect(left).toBe(0);
    expect(runs).toBeGreaterThanOrEqual(3);
  });
});
