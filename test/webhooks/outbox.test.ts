import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { getDb } from "../../src/db/client";
import { dispatchOutbox, type WebhookMessage } from "../../src/webhooks/outbox";
import { createAppspace, sql } from "../support/api";
import { subscribe } from "../support/webhooks";

/** A queue that only records what was sent to it. */
function recordingQueue() {
  const sent: WebhookMessage[] = [];
  const queue = {
    send: async (body: WebhookMessage) => {
      sent.push(body);
    },
    sendBatch: async (messages: Iterable<MessageSendRequest<WebhookMessage>>) => {
      for (const m of messages) sent.push(m.body);
    },
  } as unknown as Queue<WebhookMessage>;
  return { queue, sent };
}

describe("outbox dispatch", () => {
  it("concurrent dispatchers send each (event, endpoint) once and mark every event dispatched", async () => {
    const space = await createAppspace();
    await subscribe(space);
    await subscribe(space);
    await sql(
      `insert into events (appspace_id, type, data)
       select $1, 'referral.created', jsonb_build_object('n', g) from generate_series(1, 40) g`,
      [space.id],
    );
    const db = getDb(loadConfig(env));
    const { queue, sent } = recordingQueue();
    await Promise.all(Array.from({ length: 8 }, () => dispatchOutbox(db, queue, { appspaceId: space.id, limit: 10 })));
    // Whatever the first round left (each dispatcher takes at most 10), a sweep finishes.
    for (let i = 0; i < 5; i++) await dispatchOutbox(db, queue, { appspaceId: space.id, limit: 100 });
    expect(sent).toHaveLength(80);
    expect(new Set(sent.map((m) => m.series)).size).toBe(80);
    const [left] = await sql<{ n: string }>(
      "select count(*)::text as n from events where appspace_id = $1 and dispatched_at is null",
      [space.id],
    );
    expect(left?.n).toBe("0");
  });

  it("events of a dispatcher that died are sent again once its lease expires", async () => {
    const space = await createAppspace();
    await subscribe(space);
    const [event] = await sql<{ id: string }>(
      `insert into events (appspace_id, type, data, dispatch_leased_until)
       values ($1, 'referral.created', '{}', now() + interval '30 seconds') returning id`,
      [space.id],
    );
    const db = getDb(loadConfig(env));
    const { queue, sent } = recordingQueue();
    await dispatchOutbox(db, queue, { appspaceId: space.id });
    expect(sent).toEqual([]);
    await sql("update events set dispatch_leased_until = now() - interval '1 second' where id = $1", [event?.id]);
    await dispatchOutbox(db, queue, { appspaceId: space.id });
    expect(sent.map((m) => m.event_id)).toEqual([event?.id]);
  });
});
