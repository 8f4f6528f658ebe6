import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src";
import { loadConfig } from "../../src/config";
import { getDb } from "../../src/db/client";
import { deliverWebhook } from "../../src/services/webhook-delivery";
import type { WebhookMessage } from "../../src/services/webhook-outbox";
import { admin, createAppspace, databaseDown, sql } from "../support/api";
import { deliveriesOf, receiver, recordingQueue, subscribe } from "../support/webhooks";

/**
 * The consumer, called directly with hand-made messages whose ack/retry are spies, and a
 * recording queue in place of WEBHOOKS: the production retry delays (60/300/1800 s) can be
 * asserted without waiting for them.
 */

const spied = recordingQueue();
const productionEnv = { ...env, WEBHOOK_RETRY_DELAYS: "", WEBHOOKS: spied.queue } as typeof env;
/** The database away: the gateway's address answers nothing (connection refused). */
const outageEnv = databaseDown(productionEnv);

function message(body: WebhookMessage, attempts: number) {
  return { id: crypto.randomUUID(), timestamp: new Date(), body, attempts, ack: vi.fn(), retry: vi.fn() };
}

function batch(queue: string, messages: ReturnType<typeof message>[]) {
  return { queue, messages, ackAll: vi.fn(), retryAll: vi.fn() } as unknown as MessageBatch<unknown>;
}

const consume = (queue: string, ...messages: ReturnType<typeof message>[]) =>
  worker.queue(batch(queue, messages), productionEnv);

const cron = async (environment: typeof env) => {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), environment, ctx);
  await waitOnExecutionContext(ctx);
};

/** An endpoint that nothing else triggers (it only wants link.clicked), and one event for it. */
async function setup(responses: number[] = []) {
  const space = await createAppspace();
  const { hook, rx } = await subscribe(space, { events: ["link.clicked"], responses });
  const [event] = await sql<{ id: string }>(
    `insert into events (appspace_id, type, data, dispatched_at)
     values ($1, 'link.clicked', '{"prefix":"ref","platform":"ios"}', now()) returning id`,
    [space.id],
  );
  const body: WebhookMessage = {
    series: `spy:${crypto.randomUUID()}`,
    event_id: event?.id ?? "",
    endpoint_id: hook.id,
  };
  return { space, hook, rx, body };
}

/** Time passes for the delivery schedule: every unfinished attempt of `endpointId` becomes overdue. */
const overdue = (endpointId: string) =>
  sql(
    `update webhook_deliveries set due_at = due_at - interval '2 hours',
            started_at = started_at - interval '2 hours' where endpoint_id = $1`,
    [endpointId],
  );

describe("webhook consumer", () => {
  it("a receiver's failures: attempts 2-4 are new messages after 60, 300 and 1800 s; attempt 4 is the last", async () => {
    const { hook, rx, body } = await setup([500, 500, 500, 500]);
    const expected = [60, 300, 1800];
    let m = message(body, 1);
    for (let attempt = 1; attempt <= 4; attempt++) {
      spied.clear();
      await consume("edgeref-webhooks", m);
      expect(m.ack, `attempt ${attempt}`).toHaveBeenCalled();
      expect(m.retry, `attempt ${attempt}`).not.toHaveBeenCalled();
      if (attempt < 4) {
        expect(spied.sentWithDelay).toEqual([
          { body: { ...body, attempt: attempt + 1 }, delaySeconds: expected[attempt - 1] },
        ]);
        // The queue delivers the new message for the first time: its own counter is 1 again.
        m = message(spied.sentWithDelay[0]?.body as WebhookMessage, 1);
      } else {
        expect(spied.sentWithDelay).toEqual([]);
      }
    }
    expect((await rx.deliveries()).map((d) => d.answered)).toEqual([500, 500, 500, 500]);
    const log = await deliveriesOf(hook.id);
    expect(log.map((d) => [d.attempt, d.status, d.status_code, d.next_retry_at === null])).toEqual([
      [4, "failed", 500, true],
      [3, "retrying", 500, false],
      [2, "retrying", 500, false],
      [1, "retrying", 500, false],
    ]);
  });

  it("the next attempt is pending in the log before its message is sent, so a lost send is swept", async () => {
    const { hook, rx, body } = await setup([500]);
    const m = message(body, 1);
    spied.clear();
    await consume("edgeref-webhooks", m);
    const pending = (await deliveriesOf(hook.id)).find((d) => d.attempt === 2);
    expect(pending).toMatchObject({ status: "pending" });
    // The message for attempt 2 is lost; once it is overdue, the cron sends it again.
    spied.clear();
    await overdue(hook.id);
    await cron(productionEnv);
    // (Only this endpoint's: the sweep also re-sends other tests' overdue attempts.)
    expect(spied.sentWithDelay.filter((s) => s.body.endpoint_id === hook.id).map((s) => s.body)).toEqual([
      { ...body, attempt: 2 },
    ]);
    await consume("edgeref-webhooks", message({ ...body, attempt: 2 }, 1));
    expect((await rx.deliveries()).map((d) => d.answered)).toEqual([500, 200]);
    expect((await deliveriesOf(hook.id)).map((d) => [d.attempt, d.status])).toEqual([
      [2, "succeeded"],
      [1, "retrying"],
    ]);
  });

  it("our own failure retries the same attempt with backoff and never uses one up", async () => {
    const { hook, rx, body } = await setup();
    const delays: unknown[] = [];
    for (let queueAttempt = 1; queueAttempt <= 11; queueAttempt++) {
      const m = message({ ...body, attempt: 1 }, queueAttempt);
      await worker.queue(batch("edgeref-webhooks", [m]), outageEnv);
      expect(m.ack).not.toHaveBeenCalled();
      delays.push(m.retry.mock.calls[0]?.[0]);
    }
    expect(delays.slice(0, 6)).toEqual([30, 60, 120, 240, 480, 600].map((delaySeconds) => ({ delaySeconds })));
    expect(await rx.deliveries()).toEqual([]);
    // The database is back: the twelfth redelivery is still attempt 1, and it succeeds.
    const m = message({ ...body, attempt: 1 }, 12);
    await consume("edgeref-webhooks", m);
    expect(m.ack).toHaveBeenCalled();
    expect((await deliveriesOf(hook.id)).map((d) => [d.attempt, d.status])).toEqual([[1, "succeeded"]]);
    expect(await rx.deliveries()).toHaveLength(1);
  });

  it("a duplicate queue message sends and logs the attempt once", async () => {
    const { hook, rx, body } = await setup();
    const [a, b] = [message(body, 1), message(body, 1)];
    await Promise.all([consume("edgeref-webhooks", a), consume("edgeref-webhooks", b)]);
    expect(a.ack).toHaveBeenCalled();
    expect(b.ack).toHaveBeenCalled();
    expect(await rx.deliveries()).toHaveLength(1);
    expect(await deliveriesOf(hook.id)).toHaveLength(1);
  });

  it("a network error is a failed attempt with a retry", async () => {
    const space = await createAppspace();
    const created = await admin<{ id: string }>("POST", `/appspaces/${space.id}/webhooks`, {
      url: "http://127.0.0.1:1/unreachable",
      events: ["link.clicked"],
    });
    const [event] = await sql<{ id: string }>(
      "insert into events (appspace_id, type, data, dispatched_at) values ($1, 'link.clicked', '{}', now()) returning id",
      [space.id],
    );
    const m = message(
      { series: `spy:${crypto.randomUUID()}`, event_id: event?.id ?? "", endpoint_id: created.body.id },
      1,
    );
    spied.clear();
    await consume("edgeref-webhooks", m);
    expect(m.ack).toHaveBeenCalled();
    expect(spied.sentWithDelay).toEqual([{ body: { ...m.body, attempt: 2 }, delaySeconds: 60 }]);
    const logged = await deliveriesOf(created.body.id);
    expect(logged.map((d) => [d.attempt, d.status])).toEqual([
      [2, "pending"],
      [1, "retrying"],
    ]);
    expect(logged[1]).toMatchObject({ status_code: null, error: expect.stringMatching(/network error/) });
  });

  it("does not send to a disabled or deleted endpoint", async () => {
    const { hook, rx, body } = await setup();
    await admin("PATCH", `/webhooks/${hook.id}`, { active: false });
    const m = message(body, 1);
    await consume("edgeref-webhooks", m);
    expect(m.ack).toHaveBeenCalled();
    await admin("DELETE", `/webhooks/${hook.id}`);
    const gone = message(body, 2);
    await consume("edgeref-webhooks", gone);
    expect(gone.ack).toHaveBeenCalled();
    expect(await rx.deliveries()).toEqual([]);
  });

  it("the cron sweep sends an event whose immediate dispatch was lost", async () => {
    const space = await createAppspace();
    const { rx } = await subscribe(space);
    // Committed with its state change, but the Worker died before the waitUntil dispatch ran.
    const [event] = await sql<{ id: string }>(
      `insert into events (appspace_id, type, data, created_at)
       values ($1, 'referral.created', '{"referral_code":"LOSTEVENT1"}', now() - interval '1 minute') returning id`,
      [space.id],
    );
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const [delivery] = await rx.waitFor(1);
    expect(delivery?.headers["webhook-id"]).toBe(event?.id);
    expect(delivery?.verified).toEqual([true]);
    const [row] = await sql<{ dispatched: string }>(
      "select (dispatched_at is not null)::text as dispatched from events where id = $1",
      [event?.id],
    );
    expect(row?.dispatched).toBe("true");
  });

  it("the sweep applies the delivery-log retention", async () => {
    const { hook, body } = await setup();
    await consume("edgeref-webhooks", message(body, 1));
    await sql("update webhook_deliveries set created_at = now() - interval '31 days' where endpoint_id = $1", [
      hook.id,
    ]);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await deliveriesOf(hook.id)).toEqual([]);
  });
});

describe("response excerpts", () => {
  // Straight to deliverWebhook with its fetch stubbed: a public host needs no network here.
  const run = async (url: string, allowPrivate: boolean) => {
    const { hook, body } = await setup();
    await sql("update webhook_endpoints set url = $2 where id = $1", [hook.id, url]);
    const stub = vi.fn(async () => new Response("thanks from the receiver", { status: 200 }));
    const m = message(body, 1);
    const db = getDb(loadConfig(env));
    await deliverWebhook(db, m as unknown as Message<WebhookMessage>, {
      allowPrivate,
      retryDelays: [],
      queue: spied.queue,
      fetch: stub as unknown as typeof fetch,
    });
    expect(stub).toHaveBeenCalledTimes(1);
    return (await deliveriesOf(hook.id))[0];
  };

  it("are kept from public hosts", async () => {
    expect(await run("https://hooks.example.com/in", false)).toMatchObject({
      status: "succeeded",
      response_excerpt: "thanks from the receiver",
    });
  });

  it("are not kept from private or loopback hosts the local-dev switch allowed", async () => {
    for (const url of ["http://127.0.0.1:6379/", "https://10.0.0.8/", "https://[::7f00:1]:8443/"]) {
      expect(await run(url, true)).toMatchObject({ status: "succeeded", response_excerpt: null });
    }
  });
});

describe("queue dispatch", () => {
  it("a queue the Worker doesn't know is refused, not taken for webhook deliveries", async () => {
    const { rx, body } = await setup();
    const m = message(body, 1);
    await expect(worker.queue(batch("edgeref-sms", [m]), productionEnv)).rejects.toThrow(
      /no consumer for queue "edgeref-sms"/,
    );
    expect(m.ack).not.toHaveBeenCalled();
    expect(await rx.deliveries()).toEqual([]);
  });
});

describe("receiver sanity", () => {
  it("an unconfigured receiver endpoint verifies nothing", async () => {
    const rx = receiver();
    await (await fetch(rx.url, { method: "POST", body: "{}" })).text();
    expect((await rx.deliveries())[0]?.verified ?? []).toEqual([]);
  });
});
