/**
 * Deferred-link records in KV (24 h TTL). One record per device (appspace + IP + User-Agent
 * fingerprint): repeated clicks overwrite it, so the most recent click's signals win. A second
 * key per token (namespaced by appspace) serves Android's install-referrer claim. KV only stores and finds records;
 * whether one was claimed is decided in Postgres (deferred_claims), never here.
 */
export const DEFERRED_TTL_SECONDS = 86_400;

export interface RecordedSignals {
  timezone: string | null;
  language: string | null;
  screenWidth: number | null;
  screenHeight: number | null;
  safariVersion: string | null;
}

export interface DeferredRecord {
  token: string;
  appspaceId: string;
  code: string;
  /** The original deep-link path, e.g. "/ref/XKCD7B2MNQ". */
  path: string;
  /** Keyed hashes only: never the raw IP or User-Agent. */
  ipHash: string;
  fingerprint: string;
  os: string;
  signals: RecordedSignals;
  /** "script": signals reported by the iOS page's script; "headers": derived from the request. */
  source: "script" | "headers";
  clickedAt: number;
}

/**
 * A device's record, sharded by platform under its IP: an iOS match lists only `…:ios:`, so
 * Android clicks from the same IP (however many) never stand between it and its candidates.
 */
export const deviceKey = (r: Pick<DeferredRecord, "appspaceId" | "ipHash" | "os" | "fingerprint">) =>
  `d:${r.appspaceId}:${r.ipHash}:${platformShard(r.os)}:${r.fingerprint}`;
const platformShard = (os: string) => (os === "ios" || os === "android" ? os : "other");
/** Namespaced per appspace: a token only ever finds its own tenant's record. */
const tokenKey = (r: Pick<DeferredRecord, "appspaceId" | "token">) => `t:${r.appspaceId}:${r.token}`;

export async function saveDeferred(kv: KVNamespace, record: DeferredRecord): Promise<void> {
  const failed = await saveDeferredRecords(kv, [record]);
  if (failed.size) throw new Error("deferred record not written to KV");
}

/**
 * Saves a batch: every token key, and each device's record once — its most recent click.
 * Returns the tokens whose writes failed (a KV 429 on a hot key, say), so the caller retries
 * those records alone instead of the whole batch.
 */
export async function saveDeferredRecords(kv: KVNamespace, records: readonly DeferredRecord[]): Promise<Set<string>> {
  const options = { expirationTtl: DEFERRED_TTL_SECONDS };
  const latest = new Map<string, DeferredRecord>();
  for (const record of records) {
    const key = deviceKey(record);
    const seen = latest.get(key);
    if (!seen || seen.clickedAt <= record.clickedAt) latest.set(key, record);
  }
  const writes: { token: string; write: Promise<void> }[] = [
    ...records.map((r) => ({ token: r.token, write: kv.put(tokenKey(r), JSON.stringify(r), options) })),
    // Device records carry themselves as metadata too, so a match lists every candidate of an IP
    // in one call per 1,000 keys instead of one read per key.
    ...[...latest].map(([key, r]) => {
      const value = JSON.stringify(r);
      const metadata = value.length <= MAX_METADATA_BYTES ? r : undefined;
      return { token: r.token, write: kv.put(key, value, { ...options, metadata }) };
    }),
  ];
  const settled = await Promise.allSettled(writes.map((w) => w.write));
  const failed = new Set<string>();
  settled.forEach((result, i) => {
    const token = writes[i]?.token;
    if (result.status === "rejected" && token) failed.add(token);
  });
  return failed;
}

/** A record by token, if it exists and is younger than 24 h (KV's TTL is the backstop). */
export async function loadDeferredByToken(kv: KVNamespace, appspaceId: string, token: string, now = Date.now()) {
  const record = await kv.get<DeferredRecord>(tokenKey({ appspaceId, token }), "json");
  return record && now - record.clickedAt < DEFERRED_TTL_SECONDS * 1000 ? record : null;
}

/** KV's limit on a key's metadata (serialised). */
const MAX_METADATA_BYTES = 1024;
/**
 * How many list pages (1,000 keys each) a match reads: up to 10,000 iOS device records of one IP
 * in the last 24 h are candidates, so one device flooding records can't push another's out of a
 * short listing. Beyond that (an IP sending more than 10,000 distinct iPhones through one
 * appspace's links in a day: a flood, not an office — the click limit allows 300 a minute) a
 * record may be missed; KV lists in key order, which here is the order of keyed hashes, so which
 * records fall beyond is not the flooder's to choose.
 */
const MAX_LIST_PAGES = 10;

/** Every iOS device record from one IP in an appspace (the iOS match candidates). */
export async function deferredFromIp(
  kv: KVNamespace,
  appspaceId: string,
  ipHash: string,
  now = Date.now(),
): Promise<DeferredRecord[]> {
  const prefix = `d:${appspaceId}:${ipHash}:ios:`;
  const records: DeferredRecord[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const listed: KVNamespaceListResult<DeferredRecord> = await kv.list<DeferredRecord>({ prefix, cursor });
    const found = await Promise.all(listed.keys.map((k) => k.metadata ?? kv.get<DeferredRecord>(k.name, "json")));
    for (const r of found) if (r && now - r.clickedAt < DEFERRED_TTL_SECONDS * 1000) records.push(r);
    if (listed.list_complete) break;
    cursor = listed.cursor;
  }
  return records;
}

/** The first language tag of Accept-Language ("en-US,en;q=0.9" → "en-US"). */
export function headerLanguage(acceptLanguage: string | undefined): string | null {
  const first = acceptLanguage?.split(",")[0]?.split(";")[0]?.trim();
  return first && /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(first) ? first : null;
}
