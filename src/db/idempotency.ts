import { and, eq, sql } from "drizzle-orm";
import type { Db } from "./client";
import { idempotencyKeys } from "./schema";

/**
 * Idempotency-Key records: one row per (scope, key). A request claims its key (inserting a
 * `running` row, or taking over one whose runner died or whose 24 h are over), runs, then stores
 * its response (`done`) or deletes the row (a 5xx, so a retry runs again).
 *
 * `fence` is the claimed row's `locked_until`, as text: finishing or releasing only touches the row
 * this request claimed, never one a later request took over after our lock had lapsed.
 */

export interface IdempotencyRecord {
  requestHash: string;
  status: "running" | "done";
  responseStatus: number | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
}

export interface ClaimObservation {
  /** Set when this request holds the key now: the fence for `finishKey`/`releaseKey`. */
  fence: string | null;
  /** The row as it stands after the claim (absent only if its runner released it meanwhile). */
  record: IdempotencyRecord | undefined;
}

/**
 * One round trip (a batch is one transaction). The upsert inserts the key, or takes it over when
 * its runner's lock has lapsed (same request only) or it has expired; concurrent claims of one key
 * are serialised by its primary key, so exactly one acquires. The second statement runs with a
 * fresh snapshot (READ COMMITTED), so a loser sees the winner's committed row.
 */
export async function claimKey(
  db: Db,
  p: { scope: string; key: string; requestHash: string; lockSeconds: number; ttlSeconds: number },
): Promise<ClaimObservation> {
  const where = and(eq(idempotencyKeys.scope, p.scope), eq(idempotencyKeys.key, p.key));
  const [claimed, current] = await db.batch([
    db
      .insert(idempotencyKeys)
      .values({
        scope: p.scope,
        key: p.key,
        requestHash: p.requestHash,
        status: "running",
        lockedUntil: sql`now() + make_interval(secs => ${p.lockSeconds}::int)`,
        expiresAt: sql`now() + make_interval(secs => ${p.ttlSeconds}::int)`,
      })
      .onConflictDoUpdate({
        target: [idempotencyKeys.scope, idempotencyKeys.key],
        set: {
          requestHash: sql`excluded.request_hash`,
          status: "running",
          lockedUntil: sql`excluded.locked_until`,
          responseStatus: null,
          responseHeaders: null,
          responseBody: null,
          createdAt: sql`now()`,
          expiresAt: sql`excluded.expires_at`,
        },
        setWhere: sql`(idempotency_keys.status = 'running' and idempotency_keys.locked_until < now()
                       and idempotency_keys.request_hash = excluded.request_hash)
                      or idempotency_keys.expires_at <= now()`,
      })
      .returning({ fence: sql<string>`${idempotencyKeys.lockedUntil}::text` }),
    db
      .select({
        requestHash: idempotencyKeys.requestHash,
        status: idempotencyKeys.status,
        responseStatus: idempotencyKeys.responseStatus,
        responseHeaders: idempotencyKeys.responseHeaders,
        responseBody: idempotencyKeys.responseBody,
      })
      .from(idempotencyKeys)
      .where(where),
  ]);
  return { fence: claimed[0]?.fence ?? null, record: current[0] };
}

const claimedRow = (p: { scope: string; key: string; fence: string }) =>
  and(
    eq(idempotencyKeys.scope, p.scope),
    eq(idempotencyKeys.key, p.key),
    eq(idempotencyKeys.status, "running"),
    sql`${idempotencyKeys.lockedUntil} = ${p.fence}::timestamptz`,
  );

/** Stores the response for replay. */
export async function finishKey(
  db: Db,
  p: { scope: string; key: string; fence: string; status: number; headers: Record<string, string>; body: string },
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ status: "done", responseStatus: p.status, responseHeaders: p.headers, responseBody: p.body })
    .where(claimedRow(p));
}

/** Frees the key (the request failed with a 5xx): a retry with it runs again. */
export async function releaseKey(db: Db, p: { scope: string; key: string; fence: string }): Promise<void> {
  await db.delete(idempotencyKeys).where(claimedRow(p));
}
