/**
 * Deferred-link records in KV (24 h TTL). One record per device (appspace + IP + User-Agent
 * fingerprint): repeated clicks overwrite it, so the most recent click's signals win. A second
 * key per token serves Android's install-referrer claim. KV only stores and finds records;
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

const deviceKey = (r: Pick<DeferredRecord, "appspaceId" | "ipHash" | "fingerprint">) =>
  `d:${r.appspaceId}:${r.ipHash}:${r.fingerprint}`;
const tokenKey = (token: string) => `t:${token}`;

export async function saveDeferred(kv: KVNamespace, record: DeferredRecord): Promise<void> {
  await saveDeferredRecords(kv, [record]);
}

/** Saves a batch: every token key, and each device's record once — its most recent click. */
export async function saveDeferredRecords(kv: KVNamespace, records: readonly DeferredRecord[]): Promise<void> {
  const options = { expirationTtl: DEFERRED_TTL_SECONDS };
  const latest = new Map<string, DeferredRecord>();
  for (const record of records) {
    const key = deviceKey(record);
    const seen = latest.get(key);
    if (!seen || seen.clickedAt <= record.clickedAt) latest.set(key, record);
  }
  await Promise.all([
    ...records.map((r) => kv.put(tokenKey(r.token), JSON.stringify(r), options)),
    ...[...latest].map(([key, r]) => kv.put(key, JSON.stringify(r), options)),
  ]);
}

/** A record by token, if it exists and is younger than 24 h (KV's TTL is the backstop). */
export async function loadDeferredByToken(kv: KVNamespace, token: string, now = Date.now()) {
  const record = await kv.get<DeferredRecord>(tokenKey(token), "json");
  return record && now - record.clickedAt < DEFERRED_TTL_SECONDS * 1000 ? record : null;
}

/** Every device record from one IP in an appspace (the iOS match candidates). */
export async function deferredFromIp(
  kv: KVNamespace,
  appspaceId: string,
  ipHash: string,
  now = Date.now(),
): Promise<DeferredRecord[]> {
  const listed = await kv.list({ prefix: `d:${appspaceId}:${ipHash}:`, limit: 100 });
  const records = await Promise.all(listed.keys.map((k) => kv.get<DeferredRecord>(k.name, "json")));
  return records.filter((r): r is DeferredRecord => r !== null && now - r.clickedAt < DEFERRED_TTL_SECONDS * 1000);
}

/** A short random token (128 bits, base64url): the Play Store referrer carries it. */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** The first language tag of Accept-Language ("en-US,en;q=0.9" → "en-US"). */
export function headerLanguage(acceptLanguage: string | undefined): string | null {
  const first = acceptLanguage?.split(",")[0]?.split(";")[0]?.trim();
  return first && /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(first) ? first : null;
}
