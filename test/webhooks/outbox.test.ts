import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { getDb } from "../../src/db/client";
import { dispatchOutbox, sweepOutbox, type WebhookMessage } from "../../src/services/webhook-outbox";
import { createAppspace, sql } from "../support/api";
import { recordingQueue, subscribe } from "../support/webhooks";

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

  it("attempt 1 is written pending with the dispatch; a dispatcher that died before sending loses nothing", async () => {
    const space = await createAppspace();
    const { hook } = await subscribe(space);
    const [event] = await sql<{ id: string }>(
      `insert into events (appspace_id, type, data) values ($1, 'referral.created', '{}') returning id`,
      [space.id],
    );
    const db = getDb(loadConfig(env));
    // The dispatch commits, then its queue send fails (the isolate died, the queue refused).
    const failing = {
      sendBatch: async () => {
        throw new Error("queue unavailable");
      },
    } as unknown as Queue<WebhookMessage>;
    expect(await dispatchOutbox(db, failing, { appspaceId: space.id })).toEqual({ events: 1, messages: 1 });
    const [row] = await sql<{ status: string; attempt: string; series: string }>(
      "select status, attempt, series from webhook_deliveries where endpoint_id = $1",
      [hook.id],
    );
    expect(row).toEqual({ status: "pending", attempt: "1", series: `${event?.id}:${hook.id}` });
    // Not dispatched again as an event; the sweep re-sends the attempt once it is overdue.
    const { queue, sent } = recordingQueue();
    await dispatchOutbox(db, queue, { appspaceId: space.id });
    expect(sent).toEqual([]);
    await sql("update webhook_deliveries set due_at = now() - interval '2 minutes' where endpoint_id = $1", [hook.id]);
    await sweepOutbox(db, queue);
    expect(sent.filter((m) => m.endpoint_id === hook.id)).toEqual([
      { series: `${event?.id}:${hook.id}`, event_id: event?.id, endpoint_id: hook.id, attempt: 1 },
    ]);
  });
});
