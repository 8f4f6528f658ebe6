import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import type { WebhookMessage } from "../../src/webhooks/outbox";
import { admin, createAppspace, sql } from "../support/api";
import { deliveriesOf, receiver, subscribe } from "../support/webhooks";

/**
 * The consumer, called directly with hand-made messages whose ack/retry are spies: the
 * production retry delays (60/300/1800 s) can be asserted without waiting for them.
 */
const productionEnv = { ...env, WEBHOOK_RETRY_DELAYS: "" } as typeof env;

function message(body: WebhookMessage, attempts: number) {
  return { id: crypto.randomUUID(), timestamp: new Date(), body, attempts, ack: vi.fn(), retry: vi.fn() };
}

function batch(queue: string, messages: ReturnType<typeof message>[]) {
  return { queue, messages, ackAll: vi.fn(), retryAll: vi.fn() } as unknown as MessageBatch<unknown>;
}

const consume = (queue: string, ...messages: ReturnType<typeof message>[]) =>
  worker.queue(batch(queue, messages), productionEnv);

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

describe("webhook consumer", () => {
  it("retries after 60, 300 and 1800 s, then lets the queue dead-letter the message", async () => {
    const { hook, rx, body } = await setup([500, 500, 500, 500]);
    const expected = [{ delaySeconds: 60 }, { delaySeconds: 300 }, { delaySeconds: 1800 }, {}];
    for (let attempt = 1; attempt <= 4; attempt++) {
      const m = message(body, attempt);
      await consume("edgeref-webhooks", m);
      expect(m.retry, `attempt ${attempt}`).toHaveBeenCalledWith(expected[attempt - 1]);
      expect(m.ack).not.toHaveBeenCalled();
    }
    expect((await rx.deliveries()).map((d) => d.answered)).toEqual([500, 500, 500, 500]);
    const log = await deliveriesOf(hook.id);
    expect(log.map((d) => [d.attempt, d.status, d.status_code, d.next_retry_at === null])).toEqual([
      [4, "retrying", 500, true],
      [3, "retrying", 500, false],
      [2, "retrying", 500, false],
      [1, "retrying", 500, false],
    ]);

    // The dead-letter consumer marks the delivery failed.
    const dead = message(body, 1);
    await consume("edgeref-webhooks-dlq", dead);
    expect(dead.ack).toHaveBeenCalled();
    const after = await deliveriesOf(hook.id);
    expect(after[0]).toMatchObject({ attempt: 4, status: "failed" });
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
    await consume("edgeref-webhooks", m);
    expect(m.retry).toHaveBeenCalledWith({ delaySeconds: 60 });
    const [logged] = await deliveriesOf(created.body.id);
    expect(logged).toMatchObject({
      status: "retrying",
      status_code: null,
      error: expect.stringMatching(/network error/),
    });
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

describe("receiver sanity", () => {
  it("an unconfigured receiver endpoint verifies nothing", async () => {
    const rx = receiver();
    await (await fetch(rx.url, { method: "POST", body: "{}" })).text();
    expect((await rx.deliveries())[0]?.verified ?? []).toEqual([]);
  });
});
