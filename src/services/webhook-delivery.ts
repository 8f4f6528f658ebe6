import type { Db } from "../db/client";
import { claimAttempt, finishAttempt } from "../db/webhooks";
import { classifyResponse, MAX_ATTEMPTS, retryDelay } from "../webhooks/retry";
import { signWebhook } from "../webhooks/signing";
import { isPublicHost, webhookUrlProblem } from "../webhooks/url-policy";
import { sendAttempts, type WebhookMessage } from "./webhook-outbox";

export const SEND_TIMEOUT_MS = 10_000;
const EXCERPT_CHARS = 500;
export const EVENT_HEADER = "x-webhook-event";
const USER_AGENT = "edgeref-webhooks/1";

export interface DeliveryOptions {
  allowPrivate: boolean;
  retryDelays: readonly number[];
  /** Where the next attempt's message goes. */
  queue: Queue<WebhookMessage>;
  fetch?: typeof fetch;
}

/** The first characters of a response, without reading a huge body to the end. */
async function excerpt(response: Response): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length < EXCERPT_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.slice(0, EXCERPT_CHARS);
}

function describeFailure(error: unknown): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `timed out after ${SEND_TIMEOUT_MS / 1000} s`;
  }
  return `network error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300);
}

/**
 * One delivery attempt for one queue message: take the attempt's log row, sign at send time,
 * POST with a timeout, log the outcome, then ack. A failed attempt with attempts left is written
 * as the next pending row and sent as a new message delayed by the retry schedule. The attempt
 * number is the message's own (`body.attempt`), never the queue's redelivery counter: if this
 * function throws (our database, not the receiver), the caller retries the same message and the
 * same attempt runs again — our failures never use up the receiver's attempts.
 */
export async function deliverWebhook(db: Db, message: Message<WebhookMessage>, options: DeliveryOptions) {
  const { series, event_id, endpoint_id } = message.body;
  const attempt = message.body.attempt ?? 1;
  const claim = await claimAttempt(db, { series, event_id, endpoint_id, attempt });
  // Endpoint or event gone, endpoint disabled, or this attempt already made: nothing to send.
  if (!claim?.active || !claim.delivery_id) {
    message.ack();
    return;
  }

  const body = JSON.stringify({
    id: claim.event_id,
    type: claim.event_type,
    created_at: claim.event_created_at,
    data: claim.event_data,
  });
  const secrets = claim.previous_secret ? [claim.secret, claim.previous_secret] : [claim.secret];
  const started = Date.now();
  let status: number | null = null;
  let error: string | null = webhookUrlProblem(claim.url, { allowPrivate: options.allowPrivate });
  let responseExcerpt: string | null = null;
  if (!error) {
    try {
      const response = await (options.fetch ?? fetch)(claim.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": USER_AGENT,
          [EVENT_HEADER]: claim.event_type,
          ...signWebhook(secrets, claim.event_id, body),
        },
        body,
        redirect: "manual", // a redirect could lead anywhere, private networks included
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      status = response.status;
      // Only a public host's answer is kept for the tenant to read back: with the local-dev
      // switch on, a stored excerpt would show whatever a private address answered.
      if (isPublicHost(claim.url)) responseExcerpt = await excerpt(response);
      else await response.body?.cancel().catch(() => {});
      if (status >= 300 && status < 400) error = "redirects are not followed";
    } catch (failure) {
      error = describeFailure(failure);
    }
  }
  const durationMs = Date.now() - started;
  const result = classifyResponse(status);
  const base = { deliveryId: claim.delivery_id, statusCode: status, durationMs, error, responseExcerpt };

  if (result.kind === "success") {
    await finishAttempt(db, { ...base, status: "succeeded", next: null, disableEndpointReason: null });
    message.ack();
    return;
  }
  if (result.kind === "gone") {
    await finishAttempt(db, {
      ...base,
      status: "failed",
      next: null,
      disableEndpointReason: "the receiver answered 410 Gone",
    });
    message.ack();
    return;
  }
  if (attempt >= MAX_ATTEMPTS) {
    await finishAttempt(db, { ...base, status: "failed", next: null, disableEndpointReason: null });
    message.ack();
    return;
  }
  const next = { attempt: attempt + 1, delaySeconds: retryDelay(attempt, options.retryDelays) };
  await finishAttempt(db, { ...base, status: "retrying", next, disableEndpointReason: null });
  message.ack();
  // The next attempt is pending in the log already: if this send fails, the sweep sends it.
  await sendAttempts(options.queue, [{ series, event_id, endpoint_id, attempt: next.attempt }], next.delaySeconds);
}
