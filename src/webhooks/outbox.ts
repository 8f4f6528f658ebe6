import type { Db } from "../db/client";
import { leasePendingDispatches, markDispatched } from "../db/webhooks";

/** One queue message per (event, endpoint) delivery. */
export interface WebhookMessage {
  /** Names this delivery in the log; the initial dispatch's is deterministic (see below). */
  series: string;
  event_id: string;
  endpoint_id: string;
}

/** The outbox dispatch of an event to an endpoint: the same series however often it is sent. */
export const dispatchSeries = (eventId: string, endpointId: string) => `${eventId}:${endpointId}`;

const SEND_BATCH_LIMIT = 100; // Queues' sendBatch limit

/**
 * Moves undispatched outbox events onto the webhook queue, then marks them dispatched. Events are
 * leased first (concurrent dispatchers take different events), sent, then marked: a crash after
 * the send re-sends them once the lease expires, and the consumer drops the duplicate (same
 * series, same attempt) — never the other way round, which could lose an event.
 */
export async function dispatchOutbox(
  db: Db,
  queue: Queue<WebhookMessage>,
  options: { appspaceId?: string; limit?: number; olderThanSeconds?: number } = {},
): Promise<{ events: number; messages: number }> {
  const limit = options.limit ?? 100;
  const pending = await leasePendingDispatches(db, { ...options, limit });
  const messages: MessageSendRequest<WebhookMessage>[] = [];
  for (const row of pending) {
    if (!row.endpoint_id) continue;
    messages.push({
      body: {
        series: dispatchSeries(row.event_id, row.endpoint_id),
        event_id: row.event_id,
        endpoint_id: row.endpoint_id,
      },
      contentType: "json",
    });
  }
  for (let i = 0; i < messages.length; i += SEND_BATCH_LIMIT) {
    await queue.sendBatch(messages.slice(i, i + SEND_BATCH_LIMIT));
  }
  const eventIds = [...new Set(pending.map((row) => row.event_id))];
  await markDispatched(db, eventIds);
  return { events: eventIds.length, messages: messages.length };
}

/** Cron sweep: everything an immediate dispatch missed (older than a grace period), in batches. */
export async function sweepOutbox(db: Db, queue: Queue<WebhookMessage>, maxBatches = 20): Promise<number> {
  let events = 0;
  for (let i = 0; i < maxBatches; i++) {
    const result = await dispatchOutbox(db, queue, { limit: 500, olderThanSeconds: 10 });
    events += result.events;
    if (result.events < 500) break;
  }
  return events;
}
