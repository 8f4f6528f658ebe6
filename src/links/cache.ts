/**
 * Two-level read-through cache for the edge: isolate memory, then KV, then the loader (one
 * Postgres read). An entry carries the time it was loaded from Postgres and is fresh for
 * FRESH_MS wherever it sits, so a settings change reaches every isolate within FRESH_MS of the
 * next load (and within 60 s overall, counting KV's propagation). Misses (unknown codes) are
 * cached too, so random codes can't hammer the database.
 */
export const FRESH_MS = 30_000;
/** KV keeps entries a while longer so a stale entry can be served if the database is down. */
const KV_TTL_SECONDS = 3600;
const MAX_ISOLATE_ENTRIES = 10_000;

interface Entry<T> {
  value: T | null;
  loadedAt: number;
}

const isolate = new Map<string, Entry<unknown>>();

function remember<T>(key: string, entry: Entry<T>) {
  if (isolate.size >= MAX_ISOLATE_ENTRIES) {
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

export async function readThrough<T>(key: string, deps: CacheDeps, load: () => Promise<T | null>): Promise<T | null> {
  const now = deps.now ?? Date.now();
  const local = isolate.get(key) as Entry<T> | undefined;
  if (local && now - local.loadedAt < FRESH_MS) return local.value;

  const stored = await deps.kv.get<Entry<T>>(key, "json").catch(() => null);
  if (stored && now - stored.loadedAt < FRESH_MS) {
    remember(key, stored);
    return stored.value;
  }
  let value: T | null;
  try {
    value = await load();
  } catch (error) {
    // The database is unreachable: a stale answer beats no answer for a redirect.
    const stale = stored ?? local;
    if (stale) return stale.value;
    throw error;
  }
  const entry: Entry<T> = { value, loadedAt: now };
  remember(key, entry);
  deps.waitUntil(deps.kv.put(key, JSON.stringify(entry), { expirationTtl: KV_TTL_SECONDS }).catch(() => {}));
  return value;
}

/** Test hook: forget everything cached in this isolate. */
export function clearIsolateCache(): void {
  isolate.clear();
}
