import type { Db } from "../db/client";
import { type ClickRow, insertClicks } from "../db/links";
import { type DeferredRecord, saveDeferredRecords } from "../deferred/records";
import { log } from "../lib/log";
import { storable } from "../lib/validation";
import { dispatchOutbox, type WebhookMessage } from "../webhooks/outbox";
import type { ClickMessage } from "./clicks";
import { parseUserAgent } from "./parse";

// Wire values no validator saw: Postgres would fail the whole batch on one NUL (see storable).
const stored = (value: string | null | undefined) => (value == null ? null : storable(value) || null);

export function clickRow(message: ClickMessage): ClickRow {
  const ua = parseUserAgent(stored(message.userAgent) ?? undefined);
  return {
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
  };
}

/**
 * Click consumer: writes store-bound clicks' deferred records to KV (24 h TTL), does the full
 * User-Agent parse (kept off the hot path), one INSERT for the whole batch with its
 * `link.clicked` events, then those events go out to webhooks. A failure retries the batch
 * (max_retries in wrangler.toml); rewriting a KV record is harmless.
 */
export async function consumeClicks(
  db: Db,
  kv: KVNamespace,
  batch: MessageBatch<ClickMessage>,
  webhooks: Queue<WebhookMessage>,
) {
  const deferred = batch.messages.map((m) => m.body.deferred).filter((d): d is DeferredRecord => d !== undefined);
  await saveDeferredRecords(kv, deferred);
  const rows = batch.messages.map((m) => clickRow(m.body));
  const appspaces = await insertClicks(db, rows);
  batch.ackAll();
  // The clicks are stored; if sending their events fails now, the cron sweep sends them later.
  await Promise.all(appspaces.map((appspaceId) => dispatchOutbox(db, webhooks, { appspaceId, limit: 500 }))).catch(
    (error: unknown) => log.error("click events not dispatched yet", { error }),
  );
}
