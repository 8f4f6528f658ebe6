import type { EmailConfig } from "../config";
import type { Db } from "../db/client";
import {
  emailRetryDelay,
  finishEmail,
  MAX_EMAIL_ATTEMPTS,
  type TakenEmail,
  takeEmail,
  takeOverdueEmails,
  takeUndispatchedEmails,
} from "../db/emails";
import { type EmailTemplate, renderEmail, type TemplateValues } from "../email/template";
import { unsubscribeToken, unsubscribeUrl } from "../email/unsubscribe-token";
import { log } from "../lib/log";
import { type RewardReceiver, rewardsFor } from "../link-api/promotions";
import { sendEmail } from "./email-providers";

/**
 * The transactional email pipeline, on the webhook outbox's pattern (src/services/webhook-outbox.ts):
 * the `emails` row is written by the request that decides to send (status `queued`); after the
 * response, the appspace's fresh rows go onto the EMAILS queue, one message per email; the cron
 * sweep re-sends whatever a lost dispatch or message left behind. The consumer takes the row
 * (a duplicate message finds it taken), renders it from the promotion's template as it is now,
 * and sends it through the configured provider — or, with none configured, keeps it in the
 * outbox as `captured`, so local development shows exactly what would have been sent.
 *
 * Addresses, names and bodies never reach a log line: the email's id does.
 */
export interface EmailMessage {
  email_id: string;
}

const SEND_BATCH_LIMIT = 100; // Queues' sendBatch limit

/** Sends one message per email. A failure is logged, not thrown: the sweep sends what stays queued. */
export async function sendEmailMessages(queue: Queue<EmailMessage>, ids: readonly string[]): Promise<void> {
  try {
    for (let i = 0; i < ids.length; i += SEND_BATCH_LIMIT) {
      await queue.sendBatch(
        ids.slice(i, i + SEND_BATCH_LIMIT).map((email_id) => ({ body: { email_id }, contentType: "json" as const })),
      );
    }
  } catch (error) {
    log.error("emails not queued yet; the sweep will send them", { error, emails: ids.length });
  }
}

/** The appspace's emails that no dispatch has sent yet, onto the queue. */
export async function dispatchEmails(db: Db, queue: Queue<EmailMessage>, appspaceId: string): Promise<number> {
  const ids = await takeUndispatchedEmails(db, appspaceId);
  if (ids.length) await sendEmailMessages(queue, ids);
  return ids.length;
}

/** Cron: re-sends emails whose message was lost (see takeOverdueEmails), in bounded batches. */
export async function sweepEmails(db: Db, queue: Queue<EmailMessage>, maxBatches = 20): Promise<{ resent: number }> {
  let resent = 0;
  for (let i = 0; i < maxBatches; i++) {
    const ids = await takeOverdueEmails(db, 500);
    await sendEmailMessages(queue, ids);
    resent += ids.length;
    if (ids.length < 500) break;
  }
  return { resent };
}

// ---------------------------------------------------------------------------------------------
// the consumer

export interface EmailDeliveryOptions {
  email: EmailConfig;
  /** Where an appspace without a domain is reached (config.publicBaseUrl). */
  publicBaseUrl: string;
  /** IP_HASH_SECRET: signs the unsubscribe links. */
  secret: string;
  send?: typeof sendEmail;
}

/** "20 credit", "100 points", a custom reward's own words; "" when there is none. */
export function describeReward(type: string | null, value: string | null): string {
  if (!type || type === "none") return "";
  const amount = value?.trim() || null;
  if (type === "custom") return amount ?? "a reward";
  return amount ? `${amount} ${type}` : type;
}

// RFC 5322 atext plus spaces: a display name of only these needs no quotes.
const PLAIN_NAME = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/;

/** `Name <address>`, the name quoted (and escaped) unless it is plain; just the address without one. */
export function formatFrom(name: string | null, address: string): string {
  // A header: line breaks and other control characters never leave a stored name.
  const clean = (name ?? "")
    .replace(/\p{Cc}+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (!clean) return address;
  const display = PLAIN_NAME.test(clean) ? clean : `"${clean.replace(/["\\]/g, "\\$&")}"`;
  return `${display} <${address}>`;
}

function baseUrl(domains: readonly string[], publicBaseUrl: string): string {
  const domain = domains[0];
  return domain ? `https://${domain}` : publicBaseUrl;
}

/** What a taken email turns into: its bodies, sender and headers. */
export async function composeEmail(
  taken: TakenEmail,
  options: EmailDeliveryOptions,
): Promise<{
  rendered: { subject: string; text: string; html: string };
  from: string;
  replyTo: string | null;
  headers: Record<string, string>;
}> {
  const template = (taken.template ?? {}) as EmailTemplate;
  const base = baseUrl(taken.domains ?? [], options.publicBaseUrl);
  const unsubscribe = unsubscribeUrl(base, await unsubscribeToken(options.secret, taken.user_id ?? ""));
  const receiver = (taken.link_reward_receiver ?? taken.promotion_reward_receiver ?? "both") as RewardReceiver;
  const rewards = rewardsFor(receiver, {
    rewardType: taken.reward_type ?? "none",
    rewardValue: taken.reward_value,
    refereeRewardType: taken.referee_reward_type ?? "none",
    refereeRewardValue: taken.referee_reward_value,
  });
  const values: TemplateValues = {
    name: taken.user_name ?? "",
    link_url: `${base}/ref/${taken.link_code ?? ""}`,
    promotion_name: taken.promotion_name ?? "",
    reward: describeReward(rewards.rewardType, rewards.rewardValue),
    referee_reward: describeReward(rewards.refereeRewardType, rewards.refereeRewardValue),
    unsubscribe_url: unsubscribe,
  };
  return {
    rendered: renderEmail(template, values),
    from: formatFrom(template.from_name ?? options.email.from.name, options.email.from.address),
    replyTo: template.reply_to?.trim() || null,
    headers: {
      // RFC 8058 one-click: a POST to this URL with `List-Unsubscribe=One-Click` unsubscribes.
      "List-Unsubscribe": `<${unsubscribe}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
  };
}

/**
 * One queue message: take the row, render, then capture, send, retry or fail it, and ack. If this
 * throws (our database), the caller retries the message; a row left `sending` is the sweep's
 * after ten minutes. A provider's retryable failure puts the row back to `queued` and retries the
 * message after emailRetryDelay(attempts), until the row's MAX_EMAIL_ATTEMPTS-th attempt.
 */
export async function deliverEmail(db: Db, message: Message<EmailMessage>, options: EmailDeliveryOptions) {
  const id = message.body?.email_id;
  if (typeof id !== "string" || !/^[0-9a-f-]{36}$/i.test(id)) {
    log.warn("email message without an email id; dropped", { messageId: message.id });
    message.ack();
    return;
  }
  const taken = await takeEmail(db, id);
  if (!taken) {
    // Already taken by another delivery of this message, already finished, or gone.
    message.ack();
    return;
  }
  if (taken.status === "failed") {
    log.info("email not sent", { emailId: id, reason: taken.problem });
    message.ack();
    return;
  }
  const finish = async (outcome: Omit<Parameters<typeof finishEmail>[1], "id" | "attempts">) => {
    const done = await finishEmail(db, { id, attempts: taken.attempts, ...outcome });
    if (!done)
      log.warn("email attempt finished after the sweep took it back", { emailId: id, attempt: taken.attempts });
  };

  let composed: Awaited<ReturnType<typeof composeEmail>>;
  try {
    composed = await composeEmail(taken, options);
  } catch (error) {
    // Templates are checked when saved; this is the backstop. The same input would fail again.
    const reason = error instanceof Error ? error.message : String(error);
    await finish({ status: "failed", rendered: null, lastError: reason.slice(0, 300), providerMessageId: null });
    log.error("email not rendered", { emailId: id, error });
    message.ack();
    return;
  }
  const { rendered } = composed;

  const provider = options.email.provider;
  if (!provider) {
    await finish({ status: "captured", rendered, lastError: null, providerMessageId: null });
    message.ack();
    return;
  }

  const outcome = await (options.send ?? sendEmail)(provider, {
    // The provider's own deduplication (Resend honours it for 24 h): a repeat is not a second email.
    idempotencyKey: `email-${id}`,
    from: composed.from,
    replyTo: composed.replyTo,
    to: taken.to_address,
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    headers: composed.headers,
  });
  if (outcome.kind === "sent") {
    await finish({ status: "sent", rendered, lastError: null, providerMessageId: outcome.providerMessageId });
    message.ack();
    return;
  }
  // outcome.error is scrubbed of the key and any address (src/services/email-providers.ts); it is stored,
  // never logged.
  const logged = { emailId: id, attempt: taken.attempts, status: outcome.status };
  if (outcome.kind === "failed" || taken.attempts >= MAX_EMAIL_ATTEMPTS) {
    await finish({ status: "failed", rendered, lastError: outcome.error, providerMessageId: null });
    log.warn("email failed", { ...logged, retryable: outcome.kind === "retry" });
    message.ack();
    return;
  }
  await finish({ status: "queued", rendered, lastError: outcome.error, providerMessageId: null });
  const delaySeconds = emailRetryDelay(taken.attempts);
  log.info("email send failed; retrying", { ...logged, delaySeconds });
  message.retry({ delaySeconds });
}
