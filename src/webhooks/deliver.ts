import type { Db } from "../db/client";
import { claimAttempt, finishAttempt, markSeriesFailed } from "../db/webhooks";
import type { WebhookMessage } from "./outbox";
import { classifyResponse, MAX_ATTEMPTS, retryDelay } from "./retry";
import { signWebhook } from "./signing";
import { webhookUrlProblem } from "./url-policy";

export const SEND_TIMEOUT_MS = 10_000;
const EXCERPT_CHARS = 500;
export const EVENT_HEADER = "x-webhook-event";
const USER_AGENT = "edgeref-webhooks/1";

export interface DeliveryOptions {
  allowPrivate: boolean;
  retryDelays: readonly number[];
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
 * One delivery attempt for one queue message: claim the attempt's log row, sign at send time,
 * POST with a timeout, log the outcome, then ack or schedule the retry. Attempt numbers come
 * from the queue (`message.attempts`), so a replay of the same message is the same attempt.
 */
export async function deliverWebhook(db: Db, message: Message<WebhookMessage>, options: DeliveryOptions) {
  const { series, event_id: eventId, endpoint_id: endpointId } = message.body;
  const attempt = message.attempts;
  const claim = await claimAttempt(db, { series, attempt, eventId, endpointId });
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
      responseExcerpt = await excerpt(response);
      if (status >= 300 && status < 400) error = "redirects are not followed";
    } catch (failure) {
      error = describeFailure(failure);
    }
  }
  const durationMs = Date.now() - started;
  const result = classifyResponse(status);
  const base = { deliveryId: claim.delivery_id, statusCode: status, durationMs, error, responseExcerpt };

  if (result.kind === "success") {
    await finishAttempt(db, { ...base, status: "succeeded", nextRetrySeconds: null, disableEndpointReason: null });
    message.ack();
    return;
  }
  if (result.kind === "gone") {
    await finishAttempt(db, {
      ...base,
      status: "failed",
      nextRetrySeconds: null,
      disableEndpointReason: "the receiver answered 410 Gone",
    });
    message.ack();
    return;
  }
  const last = attempt >= MAX_ATTEMPTS;
  const delaySeconds = retryDelay(attempt, options.retryDelays);
  await finishAttempt(db, {
    ...base,
    status: "retrying",
    nextRetrySeconds: last ? null : delaySeconds,
    disableEndpointReason: null,
  });
  // After the last attempt this retry exceeds max_retries: the queue dead-letters the message.
  message.retry(last ? {} : { delaySeconds });
}

/** Dead-letter consumer: the delivery has used every attempt. */
export async function failDeadLetter(db: Db, message: Message<WebhookMessage>) {
  await markSeriesFailed(db, message.body.series);
  message.ack();
}
