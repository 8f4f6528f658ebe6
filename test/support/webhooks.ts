import { env } from "cloudflare:test";
import { admin, type TestAppspace } from "./api";

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
    /** Polls until `count` deliveries arrived (real queues deliver asynchronously). */
    async waitFor(count: number, timeoutMs = 15_000): Promise<ReceivedDelivery[]> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = await this.deliveries();
        if (got.length >= count) return got;
        if (Date.now() > deadline)
          throw new Error(`receiver ${name}: ${got.length}/${count} deliveries after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
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
