import type { Db } from "../db/client";
import {
  dispatchPendingEvents,
  type ScheduledAttempt,
  schedulePendingAttempt,
  takeOverdueAttempts,
} from "../db/webhooks";
import { log } from "../lib/log";

/**
 * One queue message per delivery attempt. The attempt number is ours (the delivery log's), not
 * the queue's redelivery counter: a message the queue redelivers because *we* failed (the
 * database was away) is the same attempt again. Messages sent before attempts were numbered have
 * no `attempt` and count as attempt 1.
 */
export interface WebhookMessage {
  /** Names this delivery in the log: `<event>:<endpoint>` for the outbox dispatch, else replay/test ids. */
  series: string;
  event_id: string;
  endpoint_id: string;
  attempt?: number;
}

const SEND_BATCH_LIMIT = 100; // Queues' sendBatch limit

/**
 * Sends one message per attempt. A failure is logged, not thrown: the attempts are already
 * pending in the delivery log, and the sweep sends whatever stays overdue.
 */
/**
 * One delivery of one event to one endpoint outside the outbox's dispatch (a replay, a test): its
 * attempt 1 is written pending in the delivery log, then its message is sent (the sweep covers a
 * lost send).
 */
export async function queueDelivery(
  db: Db,
  queue: Queue<WebhookMessage>,
  p: { series: string; eventId: string; endpointId: string },
): Promise<void> {
  const attempt = await schedulePendingAttempt(db, p);
  await sendAttempts(queue, [attempt]);
}

export async function sendAttempts(
  queue: Queue<WebhookMessage>,
  attempts: readonly ScheduledAttempt[],
  delaySeconds = 0,
) {
  try {
    for (let i = 0; i < attempts.length; i += SEND_BATCH_LIMIT) {
      await queue.sendBatch(
        attempts.slice(i, i + SEND_BATCH_LIMIT).map((body) => ({ body, contentType: "json" as const })),
        delaySeconds ? { delaySeconds } : undefined,
      );
    }
  } catch (error) {
    log.error("webhook attempts not queued yet; the sweep will send them", { error, attempts: attempts.length });
  }
}

/**
 * Moves undispatched outbox events into the delivery log (attempt 1, pending) and sends their
 * queue messages. Writing the attempts before sending means a crash or a failed send between
 * the two only delays them until the sweep — it can't lose an event.
 */
export async function dispatchOutbox(
  db: Db,
  queue: Queue<WebhookMessage>,
  options: { appspaceId?: string; limit?: number; olderThanSeconds?: number } = {},
): Promise<{ events: number; messages: number }> {
  const { events, attempts } = await dispatchPendingEvents(db, { ...options, limit: options.limit ?? 100 });
  await sendAttempts(queue, attempts);
  return { events, messages: attempts.length };
}

/**
 * Cron sweep: events an immediate dispatch missed (older than a grace period), then attempts
 * whose message was lost or dead-lettered, in bounded batches.
 */
export async function sweepOutbox(
  db: Db,
  queue: Queue<WebhookMessage>,
  maxBatches = 20,
): Promise<{ events: number; resent: number }> {
  let events = 0;
  for (let i = 0; i < maxBatches; i++) {
    const result = await dispatchOutbox(db, queue, { limit: 500, olderThanSeconds: 10 });
    events += result.events;
    if (result.events < 500) break;
  }
  let resent = 0;
  for (let i = 0; i < maxBatches; i++) {
    const overdue = await takeOverdueAttempts(db, 500);
    await sendAttempts(queue, overdue);
    resent += overdue.length;
    if (overdue.length < 500) break;
  }
  return { events, resent };
}
