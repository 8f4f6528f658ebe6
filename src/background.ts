import { loadConfig } from "./config";
import { getDb } from "./db/client";
import { pruneExpired } from "./db/retention";
import { pruneDeliveries } from "./db/webhooks";
import { consumeClicks } from "./links/click-consumer";
import type { ClickMessage } from "./links/clicks";
import { deliverWebhook, failDeadLetter } from "./webhooks/deliver";
import type { WebhookMessage } from "./webhooks/outbox";
import { sweepOutbox } from "./webhooks/outbox";

/** Queue consumers: clicks, webhook deliveries, and their dead letters (queue names end in `-dlq`). */
export async function handleQueue(batch: MessageBatch<unknown>, env: CloudflareBindings): Promise<void> {
  const config = loadConfig(env);
  const db = getDb(config);
  if (batch.queue.endsWith("-clicks")) {
    await consumeClicks(db, env.LINKS, batch as MessageBatch<ClickMessage>, env.WEBHOOKS as Queue<WebhookMessage>);
    return;
  }
  const messages = batch.messages as readonly Message<WebhookMessage>[];
  if (batch.queue.endsWith("-dlq")) {
    await Promise.all(messages.map((message) => failDeadLetter(db, message)));
    return;
  }
  const options = { allowPrivate: config.webhooksAllowPrivate, retryDelays: config.webhookRetryDelays };
  await Promise.all(
    messages.map((message) =>
      deliverWebhook(db, message, options).catch((error: unknown) => {
        // Our own failure (e.g. the database), not the receiver's: let the queue try again.
        console.error(
          JSON.stringify({ msg: "webhook delivery crashed", series: message.body.series, error: String(error) }),
        );
        message.retry({ delaySeconds: 30 });
      }),
    ),
  );
}

/** Cron: dispatch what the immediate path missed, then apply the retention (bounded per run). */
export async function handleScheduled(env: CloudflareBindings): Promise<void> {
  const config = loadConfig(env);
  const db = getDb(config);
  const swept = await sweepOutbox(db, env.WEBHOOKS as Queue<WebhookMessage>);
  const pruned = {
    webhookDeliveries: await pruneDeliveries(db, config.webhookLogRetentionDays),
    ...(await pruneExpired(db, config.retention)),
  };
  if (swept || Object.values(pruned).some(Boolean))
    console.log(JSON.stringify({ msg: "cron", dispatchedEvents: swept, pruned }));
}
