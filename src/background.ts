import { loadConfig } from "./config";
import { persistExpiry, rollLeaderboardWindows } from "./db/analytics";
import { getDb } from "./db/client";
import { pruneDashboardSessions } from "./db/dashboard";
import { pruneExpired } from "./db/retention";
import { pruneDeliveries } from "./db/webhooks";
import { log } from "./lib/log";
import { infrastructureBackoff } from "./lib/queue";
import { consumeClicks, consumeDeadClicks } from "./services/click-consumer";
import type { ClickMessage } from "./services/clicks";
import { recordDeadLetterBatch } from "./services/dead-letters";
import { deliverEmail, type EmailMessage, sweepEmails } from "./services/email-outbox";
import { deliverWebhook } from "./services/webhook-delivery";
import type { WebhookMessage } from "./services/webhook-outbox";
import { sweepOutbox } from "./services/webhook-outbox";
import type { Bindings } from "./types";

/**
 * Queue consumers, by queue name: clicks, webhook deliveries, emails, and each one's dead letters
 * (`<queue>-dlq`). Every queue has a dead-letter queue, and every dead-letter consumer records
 * what it got (the `dead_letters` table).
 */
export async function handleQueue(batch: MessageBatch<unknown>, env: Bindings): Promise<void> {
  const config = loadConfig(env);
  const db = getDb(config);
  const webhooks = env.WEBHOOKS;
  const kind = queueKind(batch.queue);
  switch (kind) {
    case "clicks-dlq":
      return consumeDeadClicks(db, batch.queue, batch as MessageBatch<ClickMessage>);
    case "clicks":
      return consumeClicks(db, env.LINKS, batch as MessageBatch<ClickMessage>, webhooks, config.ipHashSecret);
    case "webhooks-dlq":
      return recordDeadLetterBatch(db, batch.queue, batch.messages, "attempt left pending; the sweep re-sends it");
    case "webhooks": {
      const messages = batch.messages as readonly Message<WebhookMessage>[];
      const options = {
        allowPrivate: config.webhooksAllowPrivate,
        retryDelays: config.webhookRetryDelays,
        queue: webhooks,
      };
      await Promise.all(
        messages.map((message) =>
          deliverWebhook(db, message, options).catch((error: unknown) => {
            // Our own failure (the database, say), not the receiver's: the same attempt runs again
            // later; the delivery log's attempt count is untouched.
            log.error("webhook delivery crashed; retrying the same attempt", { error, series: message.body.series });
            message.retry({ delaySeconds: infrastructureBackoff(message.attempts) });
          }),
        ),
      );
      return;
    }
    case "emails-dlq":
      return recordDeadLetterBatch(db, batch.queue, batch.messages, "email left to the sweep");
    case "emails": {
      const messages = batch.messages as readonly Message<EmailMessage>[];
      const options = { email: config.email, publicBaseUrl: config.publicBaseUrl, secret: config.ipHashSecret };
      await Promise.all(
        messages.map((message) =>
          deliverEmail(db, message, options).catch((error: unknown) => {
            // Our failure (the database, say), not the provider's: the message comes back later. A
            // row this left `sending` is re-sent by the sweep once abandoned.
            log.error("email delivery crashed; retrying the message", { error, emailId: message.body?.email_id });
            message.retry({ delaySeconds: infrastructureBackoff(message.attempts) });
          }),
        ),
      );
      return;
    }
    default:
      // A queue wired to this Worker that it doesn't know: fail loudly rather than treat its
      // messages as something they are not (the queue retries, then dead-letters them).
      kind satisfies null;
      throw new Error(`no consumer for queue "${batch.queue}"`);
  }
}

const QUEUE_KINDS = ["clicks-dlq", "webhooks-dlq", "emails-dlq", "clicks", "webhooks", "emails"] as const;
type QueueKind = (typeof QUEUE_KINDS)[number];

/** Queues are told apart by their name's ending, so a deployment may prefix them as it likes. */
export function queueKind(name: string): QueueKind | null {
  for (const kind of QUEUE_KINDS) {
    if (name.endsWith(`-${kind}`) || name === kind) return kind;
  }
  return null;
}

/** Referrals whose expiry the cron persists per run (the rest wait for the next minute). */
const EXPIRY_BATCH = 5_000;

/**
 * Cron: dispatch what the immediate path missed, re-send overdue webhook attempts and emails,
 * persist lazy expiry and move the leaderboard windows (so the analytics reads have little to
 * correct), apply the retention.
 */
export async function handleScheduled(env: Bindings): Promise<void> {
  const config = loadConfig(env);
  const db = getDb(config);
  const swept = await sweepOutbox(db, env.WEBHOOKS);
  const emails = await sweepEmails(db, env.EMAILS);
  const expired = await persistExpiry(db, EXPIRY_BATCH);
  await rollLeaderboardWindows(db);
  const pruned = {
    webhookDeliveries: await pruneDeliveries(db, config.webhookLogRetentionDays),
    dashboardSessions: await pruneDashboardSessions(db),
    ...(await pruneExpired(db, config.retention)),
  };
  if (swept.events || swept.resent || emails.resent || expired || Object.values(pruned).some(Boolean))
    log.info("cron", {
      dispatchedEvents: swept.events,
      resentAttempts: swept.resent,
      resentEmails: emails.resent,
      expiredReferrals: expired,
      pruned,
    });
}
