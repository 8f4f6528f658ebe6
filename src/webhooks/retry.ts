/**
 * The retry schedule: attempt 1 is immediate; after it fails the queue redelivers after 60 s
 * (attempt 2), 300 s (attempt 3) and 1800 s (attempt 4). A failed attempt 4 exceeds
 * `max_retries = 3` and the message moves to the dead-letter queue.
 */
export const RETRY_DELAYS_SECONDS = [60, 300, 1800] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;

/** Delay before the next attempt after `attempt` failed, from `delays` (configurable for tests). */
export function retryDelay(attempt: number, delays: readonly number[] = RETRY_DELAYS_SECONDS): number {
  return delays[Math.min(Math.max(attempt, 1), delays.length) - 1] ?? 0;
}

export type AttemptResult = { kind: "success" } | { kind: "gone" } | { kind: "failure"; retryable: boolean };

/** 2xx is success; 410 Gone disables the endpoint; anything else (3xx included) is a failure. */
export function classifyResponse(status: number | null): AttemptResult {
  if (status !== null && status >= 200 && status < 300) return { kind: "success" };
  if (status === 410) return { kind: "gone" };
  return { kind: "failure", retryable: true };
}
