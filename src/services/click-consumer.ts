import type { Db } from "../db/client";
import { pgErrorCode } from "../db/errors";
import { type ClickRow, insertClicks } from "../db/links";
import { recordDeadLetters } from "../db/webhooks";
import { log } from "../lib/log";
import { infrastructureBackoff } from "../lib/queue";
import { storable } from "../lib/validation";
import { parseUserAgent } from "../links/parse";
import { hashSignal } from "../referrals/signals";
import type { ClickMessage } from "./clicks";
import { type DeferredRecord, saveDeferredRecords } from "./deferred-records";
import { dispatchOutbox, type WebhookMessage } from "./webhook-outbox";

// Wire values no validator saw: Postgres would fail the whole batch on one NUL (see storable).
const stored = (value: string | null | undefined) => (value == null ? null : storable(value) || null);

export function clickRow(message: ClickMessage, fallbackId: string): ClickRow {
  const ua = parseUserAgent(stored(message.userAgent) ?? undefined);
  return {
    id: message.id ?? fallbackId,
    appspace_id: message.appspaceId,
    code: message.code,
    clicked_at: message.clickedAt,
    route: message.route,
    token: message.token,
    os: ua.os,
    os_version: ua.osVersion,
    device_type: ua.deviceType,
    browser: ua.browser,
    browser_version: ua.browserVersion,
    in_app: ua.inApp,
    country: message.country,
    city: message.city,
    utm_source: stored(message.utm.source),
    utm_medium: stored(message.utm.medium),
    utm_campaign: stored(message.utm.campaign),
    utm_term: stored(message.utm.term),
    utm_content: stored(message.utm.content),
    referer_host: stored(message.refererHost),
    ip_hash: message.ipHash,
    aid: message.aid && /^[A-Za-z0-9._-]{1,100}$/.test(message.aid) ? message.aid : null,
  };
}

/** A click message the queue gave us, by its queue message (ack/retry belong to it). */
type ClickMessages = readonly Message<ClickMessage>[];

// Clicks queued before they carried an id get a stable one from the queue message's id, so a
// redelivery of such a message is still deduplicated.
const rowOf = (m: Message<ClickMessage>) => clickRow(m.body, uuidFrom(m.id));

/**
 * A UUID-shaped id derived from the queue's message id, deterministically (Cloudflare's ids are 32
 * hex digits, used as they are; any other string is hashed down to 32 hex digits with FNV-1a,
 * enough to tell one in-flight legacy message from another).
 */
function uuidFrom(text: string): string {
  let h = /^[0-9a-f]{32}$/i.test(text) ? text.toLowerCase() : "";
  for (let round = 0; h.length < 32; round++) {
    let x = 0x811c9dc5 ^ round;
    for (let i = 0; i < text.length; i++) x = Math.imul(x ^ text.charCodeAt(i), 0x01000193);
    h += (x >>> 0).toString(16).padStart(8, "0");
  }
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const deadLetters = (messages: ClickMessages, outcome: string) =>
  messages.map((m) => ({ messageId: m.id, body: m.body, attempts: m.attempts, outcome }));

/** A database error about a value (data exception, constraint), as opposed to the database being away. */
const isDataError = (error: unknown) => /^(22|23)/.test(pgErrorCode(error) ?? "");

/**
 * Inserts the clicks; returns the messages that could not be stored because of their own data,
 * and the appspaces that got new events. A data error in one click doesn't fail its batch: the
 * batch is split and each click tried alone. Any other failure (the database is away) throws.
 */
async function storeClicks(db: Db, messages: ClickMessages) {
  try {
    return { rejected: [] as ClickMessages, appspaces: await insertClicks(db, messages.map(rowOf)) };
  } catch (error) {
    if (!isDataError(error) || messages.length === 1) {
      if (isDataError(error)) return { rejected: messages, appspaces: [] };
      throw error;
    }
  }
  const rejected: Message<ClickMessage>[] = [];
  const appspaces = new Set<string>();
  for (const m of messages) {
    const one = await storeClicks(db, [m]);
    rejected.push(...one.rejected);
    for (const id of one.appspaces) appspaces.add(id);
  }
  return { rejected, appspaces: [...appspaces] };
}

/**
 * The deferred records of a batch, each with its fingerprint: /ref/:code leaves a record without a
 * device id (Android's) to be fingerprinted here, from its IP hash and the click's User-Agent —
 * one record per device as before, one HMAC fewer on the click (src/routes/links/ref.ts).
 */
async function fillFingerprints(
  ipHashSecret: string,
  messages: readonly Message<ClickMessage>[],
): Promise<DeferredRecord[]> {
  const records: DeferredRecord[] = [];
  for (const { body } of messages) {
    const record = body.deferred;
    if (!record) continue;
    const fingerprint =
      record.fingerprint ||
      ((await hashSignal(
        ipHashSecret,
        "fingerprint",
        record.appspaceId,
        `ip-hash|${record.ipHash}|${body.userAgent ?? ""}`,
      )) ??
        "unknown");
    records.push({ ...record, fingerprint });
  }
  return records;
}

/**
 * Click consumer: writes store-bound clicks' deferred records to KV (24 h TTL), does the full
 * User-Agent parse (kept off the hot path), one INSERT for the whole batch with its
 * `link.clicked` events, then those events go out to webhooks.
 *
 * Failures stay with the message that caused them: a KV write that fails (a 429 on a hot key)
 * retries that click's message alone — its click row is then a duplicate the insert skips; a
 * click Postgres refuses is dead-lettered alone; only the database being away retries the
 * batch, with backoff, and past max_retries the dead-letter consumer stores what it can.
 */
export async function consumeClicks(
  db: Db,
  kv: KVNamespace,
  batch: MessageBatch<ClickMessage>,
  webhooks: Queue<WebhookMessage>,
  ipHashSecret: string,
) {
  const messages = batch.messages;
  const deferred = await fillFingerprints(ipHashSecret, messages);
  const kvFailed = await saveDeferredRecords(kv, deferred);
  let stored: Awaited<ReturnType<typeof storeClicks>>;
  try {
    stored = await storeClicks(db, messages);
  } catch (error) {
    log.error("clicks not stored yet; retrying the batch", { error, clicks: messages.length });
    for (const m of messages) m.retry({ delaySeconds: infrastructureBackoff(m.attempts) });
    return;
  }
  const rejected = new Set(stored.rejected);
  if (rejected.size) {
    // Retrying can't change a click's data: it is recorded as a dead letter now, not retried.
    log.error("clicks refused by the database", { clicks: rejected.size });
    await recordDeadLetters(
      db,
      `${batch.queue}:refused`,
      deadLetters(stored.rejected, "click refused by the database"),
    );
  }
  for (const m of messages) {
    const token = m.body.deferred?.token;
    if (!rejected.has(m) && token && kvFailed.has(token)) m.retry({ delaySeconds: Math.min(5 * m.attempts, 60) });
    else m.ack();
  }
  // The clicks are stored; if sending their events fails now, the cron sweep sends them later.
  await Promise.all(
    stored.appspaces.map((appspaceId) => dispatchOutbox(db, webhooks, { appspaceId, limit: 500 })),
  ).catch((error: unknown) => log.error("click events not dispatched yet", { error }));
}

/**
 * Dead-letter consumer of the clicks queue: stores each click it can (idempotent: one stored
 * already is skipped) and records every message it got, with what became of it. If the
 * database is still away it throws and the dead-letter queue redelivers.
 */
export async function consumeDeadClicks(db: Db, queue: string, batch: MessageBatch<ClickMessage>) {
  const { rejected } = await storeClicks(db, batch.messages);
  const refused = new Set(rejected);
  await recordDeadLetters(db, queue, [
    ...deadLetters(rejected, "click refused by the database"),
    ...deadLetters(
      batch.messages.filter((m) => !refused.has(m)),
      "click stored",
    ),
  ]);
  batch.ackAll();
}
