/**
 * Backoff for a queue redelivery caused by our own failure (the database away, say), not by what
 * the message holds: 30 s doubling to 10 min. With max_retries = 10 (wrangler.toml) a message is
 * redelivered for about an hour before it is dead-lettered; each queue's dead-letter consumer
 * records it, and webhook attempts are re-sent by the cron sweep once the database is back.
 */
export function infrastructureBackoff(queueAttempts: number): number {
  return Math.min(30 * 2 ** Math.max(queueAttempts - 1, 0), 600);
}
