/**
 * Two-level read-through cache for the edge: isolate memory, then KV, then the loader (one
 * Postgres read). An entry carries the time it was loaded from Postgres and is fresh for
 * FRESH_MS wherever it sits. Once it is older, the stale value is still answered at once and one
 * refresh per key and isolate runs in `waitUntil` (stale-while-revalidate): the response path
 * only waits for Postgres when nothing at all is cached. A change made through the admin API is
 * written through (`writeThrough`/`forget`): the isolate that made it serves it at once and KV's
 * copy is replaced; other isolates see it within FRESH_MS plus one refresh (KV propagation
 * included, within 60 s). Misses (unknown codes) are cached in the isolate only.
 */
export const FRESH_MS = 30_000;
/** Past this age a stale entry is not served any more: the request waits for a fresh load. */
const MAX_STALE_MS = 5 * 60_000;
/** KV keeps entries a while longer so a stale entry can be served if the database is down. */
const KV_TTL_SECONDS = 3600;
const MAX_ISOLATE_ENTRIES = 10_000;

interface Entry<T> {
  value: T | null;
  loadedAt: number;
}

const isolate = new Map<string, Entry<unknown>>();
const refreshing = new Set<string>();

function remember<T>(key: string, entry: Entry<T>) {
  if (isolate.size >= MAX_ISOLATE_ENTRIES && !isolate.has(key)) {
    const oldest = isolate.keys().next().value;
    if (oldest !== undefined) isolate.delete(oldest);
  }
  isolate.set(key, entry);
}

export interface CacheDeps {
  kv: KVNamespace;
  waitUntil: (promise: Promise<unknown>) => void;
  now?: number;
}

async function loadAndStore<T>(key: string, deps: CacheDeps, load: Loader<T>, now: number, background: boolean) {
  const entry: Entry<T> = { value: await load({ background }), loadedAt: now };
  remember(key, entry);
  // Misses stay in the isolate only: random codes or Host values must not each cost a KV write
  // (KV writes are billed and rate-limited per key; the per-IP limits bound the database reads).
  if (entry.value !== null) {
    deps.waitUntil(deps.kv.put(key, JSON.stringify(entry), { expirationTtl: KV_TTL_SECONDS }).catch(() => {}));
  }
  return entry.value;
}

/** `background`: the load is a refresh in `waitUntil`, off the response path. */
export type Loader<T> = (context: { background: boolean }) => Promise<T | null>;

export async function readThrough<T>(key: string, deps: CacheDeps, load: Loader<T>): Promise<T | null> {
  const now = deps.now ?? Date.now();
  let cached = isolate.get(key) as Entry<T> | undefined;
  if (cached && now - cached.loadedAt < FRESH_MS) return cached.value;

  if (!cached || now - cached.loadedAt >= MAX_STALE_MS) {
    const stored = await deps.kv.get<Entry<T>>(key, "json").catch(() => null);
    if (stored && (!cached || stored.loadedAt > cached.loadedAt)) {
      remember(key, stored);
      cached = stored;
      if (now - stored.loadedAt < FRESH_MS) return stored.value;
    }
  }
  if (cached && now - cached.loadedAt < MAX_STALE_MS) {
    if (!refreshing.has(key)) {
      refreshing.add(key);
      deps.waitUntil(
        loadAndStore(key, deps, load, now, true)
          .catch(() => {}) // keep serving the stale entry; the next request tries again
          .finally(() => refreshing.delete(key)),
      );
    }
    return cached.value;
  }
  try {
    return await loadAndStore(key, deps, load, now, false);
  } catch (error) {
    // The database is unreachable: a very stale answer still beats none for a redirect.
    if (cached) return cached.value;
    throw error;
  }
}

/**
 * A change made here (an admin PATCH): this isolate serves `value` at once, and KV's copy is
 * replaced, so other isolates that read KV next see it too. Isolates holding their own fresh
 * copy keep it until it is FRESH_MS old (then one stale answer while it refreshes).
 */
export async function writeThrough<T>(key: string, deps: Pick<CacheDeps, "kv" | "now">, value: T): Promise<void> {
  const entry: Entry<T> = { value, loadedAt: deps.now ?? Date.now() };
  remember(key, entry);
  await deps.kv.put(key, JSON.stringify(entry), { expirationTtl: KV_TTL_SECONDS });
}

/** The entry is gone from this isolate and from KV: the next read loads it afresh. */
export async function forget(key: string, deps: Pick<CacheDeps, "kv">): Promise<void> {
  isolate.delete(key);
  await deps.kv.delete(key);
}

/** Test hook: forget everything cached in this isolate. */
export function clearIsolateCache(): void {
  isolate.clear();
  refreshing.clear();
}
