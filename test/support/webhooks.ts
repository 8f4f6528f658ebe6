import { env } from "cloudflare:test";
import { vi } from "vitest";
import type { WebhookMessage } from "../../src/services/webhook-outbox";
import { admin, sql, type TestAppspace } from "./api";

export interface ReceivedDelivery {
  headers: Record<string, string>;
  body: string;
  verified: boolean[];
  errors: string[];
  answered: number;
  receivedAt: number;
}

/** A named endpoint on the loopback receiver (test/support/node/receiver.ts). */
export function receiver(name = `hook-${crypto.randomUUID().slice(0, 8)}`) {
  const base = env.RECEIVER_URL;
  return {
    name,
    url: `${base}/hooks/${name}`,
    async configure(secrets: string[], responses: number[] = []) {
      const res = await fetch(`${base}/_control/${name}`, {
        method: "PUT",
        body: JSON.stringify({ secrets, responses }),
      });
      if (!res.ok) throw new Error(`receiver configure: ${res.status}`);
    },
    async deliveries(): Promise<ReceivedDelivery[]> {
      const res = await fetch(`${base}/_control/${name}`);
      return ((await res.json()) as { deliveries: ReceivedDelivery[] }).deliveries;
    },
    /** Waits until `count` deliveries arrived (real queues deliver asynchronously). */
    waitFor(count: number, timeout = 15_000): Promise<ReceivedDelivery[]> {
      return vi.waitFor(
        async () => {
          const got = await this.deliveries();
          if (got.length < count) throw new Error(`receiver ${name}: ${got.length}/${count} deliveries`);
          return got;
        },
        { timeout, interval: 100 },
      );
    },
  };
}

export type Receiver = ReturnType<typeof receiver>;

export interface CreatedWebhook {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  secret: string;
}

/** Subscribes a fresh receiver endpoint, configured to trust the new secret. */
export async function subscribe(
  space: TestAppspace,
  options: { events?: string[]; responses?: number[] } = {},
): Promise<{ hook: CreatedWebhook; rx: Receiver }> {
  const rx = receiver();
  const res = await admin<CreatedWebhook>("POST", `/appspaces/${space.id}/webhooks`, {
    url: rx.url,
    ...(options.events ? { events: options.events } : {}),
  });
  if (res.status !== 201) throw new Error(`subscribe: ${res.status} ${JSON.stringify(res.body)}`);
  await rx.configure([res.body.secret], options.responses);
  return { hook: res.body, rx };
}

export async function deliveriesOf(webhookId: string) {
  const res = await admin<{ deliveries: Record<string, unknown>[] }>("GET", `/webhooks/${webhookId}/deliveries`);
  return res.body.deliveries;
}

/**
 * Waits until every event of the appspace has been dispatched, then returns each endpoint's
 * delivery-log rows. Dispatch writes attempt 1 for every subscribed endpoint in the same statement
 * that marks the event dispatched, so what these rows don't list will never be sent: a test can
 * prove that an endpoint gets nothing without waiting to see nothing arrive.
 */
export async function dispatchedDeliveries(appspaceId: string) {
  await vi.waitFor(
    async () => {
      const [row] = await sql<{ n: string }>(
        "select count(*)::text as n from events where appspace_id = $1 and dispatched_at is null",
        [appspaceId],
      );
      if (row?.n !== "0") throw new Error(`${row?.n} events of ${appspaceId} not dispatched yet`);
    },
    { timeout: 15_000, interval: 50 },
  );
  return sql<{ endpoint_id: string; type: string; attempt: string; status: string }>(
    `select d.endpoint_id, e.type, d.attempt::text as attempt, d.status
     from webhook_deliveries d join events e on e.id = d.event_id
     where e.appspace_id = $1 order by d.created_at, d.attempt`,
    [appspaceId],
  );
}

/**
 * A WEBHOOKS queue that only records what is sent to it (nothing is delivered): `sent` holds the
 * message bodies, `sentWithDelay` the same with each send's delay. Clear both with `clear()`.
 */
export function recordingQueue() {
  const sentWithDelay: { body: WebhookMessage; delaySeconds: number }[] = [];
  const sent: WebhookMessage[] = [];
  const record = (body: WebhookMessage, delaySeconds = 0) => {
    sent.push(body);
    sentWithDelay.push({ body, delaySeconds });
  };
  const queue = {
    send: async (body: WebhookMessage, options?: QueueSendOptions) => record(body, options?.delaySeconds),
    sendBatch: async (messages: Iterable<MessageSendRequest<WebhookMessage>>, options?: QueueSendBatchOptions) => {
      for (const m of messages) record(m.body, options?.delaySeconds);
    },
  } as unknown as Queue<WebhookMessage>;
  const clear = () => {
    sent.length = 0;
    sentWithDelay.length = 0;
  };
  return { queue, sent, sentWithDelay, clear };
}
