import type { Route } from "../links/types";
import type { DeferredRecord } from "./deferred-records";

/** What /ref/:code sends to the click queue, off the response path. */
export interface ClickMessage {
  /** The click's row id, chosen at the edge: a redelivered message inserts nothing twice. */
  id?: string;
  appspaceId: string;
  code: string;
  clickedAt: string;
  route: Route["kind"];
  token: string | null;
  /** Parsed fully by the consumer (the hot path only classifies what routing needs). */
  userAgent: string | null;
  /** Keyed hash; the raw IP never leaves the request. */
  ipHash: string | null;
  country: string | null;
  city: string | null;
  utm: Partial<Record<"source" | "medium" | "campaign" | "term" | "content", string>>;
  refererHost: string | null;
  /** The AID handed to the landing page (web-bound clicks); absent in messages from before AIDs. */
  aid?: string | null;
  /**
   * Store-bound clicks: the deferred record, which the consumer writes to KV. Its fingerprint is
   * empty when the consumer is to derive it (records without a device id; `fillFingerprints`).
   */
  deferred?: DeferredRecord;
}

const MAX_BATCH = 100;
const FLUSH_AFTER_MS = 20;
let buffer: MessageSendRequest<ClickMessage>[] = [];
let flushPending = false;

/**
 * Sends clicks to the queue in batches: one `sendBatch` per ~20 ms or 100 clicks per isolate
 * instead of one `send` per click (a queue send costs more than a whole bare redirect). Each
 * call runs inside its own request's `waitUntil`; the request that opens a batch waits out the
 * window and sends what has gathered, so no promise is shared between requests. A click can be
 * lost only if the isolate is evicted inside that 20 ms window.
 */
export async function queueClick(queue: Queue<ClickMessage>, message: ClickMessage): Promise<void> {
  buffer.push({ body: message, contentType: "json" });
  if (buffer.length >= MAX_BATCH) {
    const batch = buffer;
    buffer = [];
    await queue.sendBatch(batch);
    return;
  }
  if (flushPending) return;
  flushPending = true;
  await new Promise((resolve) => setTimeout(resolve, FLUSH_AFTER_MS));
  flushPending = false;
  const batch = buffer;
  buffer = [];
  if (batch.length) await queue.sendBatch(batch);
}

const UTM_KEYS = ["source", "medium", "campaign", "term", "content"] as const;

export function utmParams(url: URL): ClickMessage["utm"] {
  const utm: ClickMessage["utm"] = {};
  if (!url.search) return utm;
  for (const key of UTM_KEYS) {
    const value = url.searchParams.get(`utm_${key}`);
    if (value) utm[key] = value.slice(0, 200);
  }
  return utm;
}

export function refererHost(referer: string | undefined): string | null {
  if (!referer) return null;
  try {
    return new URL(referer).hostname.slice(0, 253) || null;
  } catch {
    return null;
  }
}
