import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../src";
import type { WebhookMessage } from "../../src/services/webhook-outbox";
import { createAppspace, databaseDown, sql } from "../support/api";
import { deliveriesOf, recordingQueue, subscribe } from "../support/webhooks";

/**
 * Reliability when our own infrastructure fails. The queue is a recording spy and each message
 * is handed to the consumer by hand, as the queue would (same message, rising redelivery
 * counter; after max_retries the dead-letter queue) — so an hour of redeliveries runs in
 * milliseconds. "The database away" is the Worker pointed at an address that refuses
 * connections, exactly what it sees when Postgres (or the gateway in front of it) is down.
 */
const MAX_RETRIES = 10; // wrangler.toml, both queues

const spy = recordingQueue();
const up = { ...env, WEBHOOK_RETRY_DELAYS: "", WEBHOOKS: spy.queue } as typeof env;
const down = databaseDown(up);

function message(body: WebhookMessage, attempts: number) {
  return { id: `m-${body.series}`, timestamp: new Date(), body, attempts, ack: vi.fn(), retry: vi.fn() };
}
type Msg = ReturnType<typeof message>;

const consume = (queue: string, environment: typeof env, messages: Msg[]) =>
  worker.queue(
    { queue, messages, ackAll: vi.fn(), retryAll: vi.fn() } as unknown as MessageBatch<unknown>,
    environment,
  );

async function cron(environment: typeof env) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), environment, ctx);
  await waitOnExecutionContext(ctx);
}

/** Everything a queue of ours can do to a message while the database is away: every redelivery, then the DLQ's. */
async function exhaustWhileDown(bodies: WebhookMessage[]) {
  for (let attempt = 1; attempt <= MAX_RETRIES + 1; attempt++) {
    const messages = bodies.map((b) => message(b, attempt));
    await consume("edgeref-webhooks", down, messages);
    for (const m of messages) {
      expect(m.ack).not.toHaveBeenCalled();
      expect(m.retry).toHaveBeenCalledTimes(1);
    }
  }
  // Dead-lettered; the dead-letter consumer can't record them either, so its queue redelivers
  // until it too gives up: the messages are gone.
  for (let attempt = 1; attempt <= MAX_RETRIES + 1; attempt++) {
    await expect(
      consume(
        "edgeref-webhooks-dlq",
        down,
        bodies.map((b) => message(b, attempt)),
      ),
    ).rejects.toThrow();
  }
}

describe("the database away for longer than every queue retry", () => {
  // The outage logs one line per failed redelivery (by design); keep the test output readable.
  beforeEach(() => {
    vi.spyOn(console, "error").mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("every event is delivered, once, when it returns", async () => {
    const space = await createAppspace();
    const { hook, rx } = await subscribe(space, { events: ["referral.created"] });
    const ids = await sql<{ id: string }>(
      `insert into events (appspace_id, type, data, created_at)
       select $1, 'referral.created', jsonb_build_object('n', g), now() - interval '1 minute'
       from generate_series(1, 5) g returning id`,
      [space.id],
    );
    // The cron dispatches them: attempt 1 of each is written pending, and its message sent.
    spy.clear();
    await cron(up);
    const first = spy.sent.filter((m) => m.endpoint_id === hook.id);
    expect(first).toHaveLength(5);

    // Then the database goes away before any message is consumed, for longer than all retries.
    await exhaustWhileDown(first);
    expect(await rx.deliveries()).toEqual([]);

    // It returns. An hour and more has passed for the schedule.
    await sql("update webhook_deliveries set due_at = due_at - interval '2 hours' where endpoint_id = $1", [hook.id]);
    spy.clear();
    await cron(up);
    const resent = spy.sent.filter((m) => m.endpoint_id === hook.id);
    expect(resent.map((m) => m.event_id).sort()).toEqual(ids.map((r) => r.id).sort());
    expect(resent.every((m) => m.attempt === 1)).toBe(true);
    await consume(
      "edgeref-webhooks",
      up,
      resent.map((b) => message(b, 1)),
    );

    const got = await rx.deliveries();
    expect(got.map((d) => d.headers["webhook-id"]).sort()).toEqual(ids.map((r) => r.id).sort());
    expect(got.every((d) => d.verified.includes(true))).toBe(true);
    // No attempt was used up by the outage: each delivery is attempt 1, succeeded.
    const log = await deliveriesOf(hook.id);
    expect(log.map((d) => [d.attempt, d.status])).toEqual(Array(5).fill([1, "succeeded"]));

    // Nothing is left to re-send.
    spy.clear();
    await cron(up);
    expect(spy.sent.filter((m) => m.endpoint_id === hook.id)).toEqual([]);
  });

  it("an attempt whose consumer died mid-send is taken over once abandoned, and sent once", async () => {
    const space = await createAppspace();
    const { hook, rx } = await subscribe(space, { events: ["referral.created"] });
    const [event] = await sql<{ id: string }>(
      `insert into events (appspace_id, type, data, dispatched_at) values ($1, 'referral.created', '{}', now()) returning id`,
      [space.id],
    );
    const series = `${event?.id}:${hook.id}`;
    // A consumer took attempt 1 and died (no outcome logged): the row stays 'sending'.
    await sql(
      `insert into webhook_deliveries (endpoint_id, event_id, series, attempt, status, due_at, started_at)
       values ($1, $2, $3, 1, 'sending', now() - interval '10 minutes', now() - interval '10 minutes')`,
      [hook.id, event?.id, series],
    );
    spy.clear();
    await cron(up);
    const resent = spy.sent.filter((m) => m.endpoint_id === hook.id);
    expect(resent).toEqual([{ series, event_id: event?.id, endpoint_id: hook.id, attempt: 1 }]);
    // The re-sent message and a late duplicate of the original: one send.
    await Promise.all([
      consume("edgeref-webhooks", up, [message(resent[0] as WebhookMessage, 1)]),
      consume("edgeref-webhooks", up, [message(resent[0] as WebhookMessage, 3)]),
    ]);
    expect(await rx.deliveries()).toHaveLength(1);
    expect((await deliveriesOf(hook.id)).map((d) => [d.attempt, d.status])).toEqual([[1, "succeeded"]]);
  });

  it("the dead-letter consumer records what it got, once per message", async () => {
    const space = await createAppspace();
    const { hook } = await subscribe(space, { events: ["referral.created"] });
    const body: WebhookMessage = {
      series: `dl:${crypto.randomUUID()}`,
      event_id: crypto.randomUUID(),
      endpoint_id: hook.id,
      attempt: 2,
    };
    const m = message(body, MAX_RETRIES + 1);
    await consume("edgeref-webhooks-dlq", up, [m]);
    await consume("edgeref-webhooks-dlq", up, [message(body, MAX_RETRIES + 1)]);
    expect(m.ack).toHaveBeenCalled();
    const rows = await sql<{ queue: string; body: string; attempts: string; outcome: string }>(
      "select queue, body::text as body, attempts::text as attempts, outcome from dead_letters where message_id = $1",
      [m.id],
    );
    expect(rows.map((r) => ({ ...r, body: JSON.parse(r.body), attempts: Number(r.attempts) }))).toEqual([
      { queue: "edgeref-webhooks-dlq", body, attempts: MAX_RETRIES + 1, outcome: expect.stringMatching(/sweep/) },
    ]);
  });

  it("a pending attempt of an endpoint disabled since ends as failed, not re-sent forever", async () => {
    const space = await createAppspace();
    const { hook, rx } = await subscribe(space, { events: ["referral.created"] });
    await sql(
      `insert into events (appspace_id, type, data, created_at) values ($1, 'referral.created', '{}', now() - interval '1 minute')`,
      [space.id],
    );
    await cron(up);
    await sql("update webhook_endpoints set active = false where id = $1", [hook.id]);
    await sql("update webhook_deliveries set due_at = due_at - interval '2 hours' where endpoint_id = $1", [hook.id]);
    spy.clear();
    await cron(up);
    expect(spy.sent.filter((m) => m.endpoint_id === hook.id)).toEqual([]);
    const [row] = await sql<{ status: string; error: string }>(
      "select status, error from webhook_deliveries where endpoint_id = $1",
      [hook.id],
    );
    expect(row).toEqual({ status: "failed", error: "the endpoint was disabled" });
    expect(await rx.deliveries()).toEqual([]);
  });
});
