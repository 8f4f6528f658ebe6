import type { Db } from "../db/client";
import { recordDeadLetters } from "../db/webhooks";
import { log } from "../lib/log";

/**
 * A dead-letter queue's batch, recorded as it arrived (the `dead_letters` table) and acked. Only
 * our own failures (the database away on every redelivery) bring webhook attempts and emails here:
 * their rows stay pending in Postgres and the cron sweep re-sends them; `outcome` says so.
 */
export async function recordDeadLetterBatch(
  db: Db,
  queue: string,
  messages: readonly Message<unknown>[],
  outcome: string,
): Promise<void> {
  await recordDeadLetters(
    db,
    queue,
    messages.map((m) => ({ messageId: m.id, body: m.body, attempts: m.attempts, outcome })),
  );
  log.warn("messages dead-lettered", { queue, count: messages.length });
  for (const m of messages) m.ack();
}
