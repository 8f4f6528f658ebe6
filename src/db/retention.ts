import { type SQL, sql } from "drizzle-orm";
import type { RetentionConfig } from "../config";
import type { Db } from "./client";

/**
 * Retention: what the cron prunes besides the delivery log (src/db/webhooks.ts), each in bounded
 * batches so a backlog (a first run on a big table, a lowered setting) drains over several runs
 * instead of holding the database in one huge delete.
 *
 * `clicks`, `events` and `deferred_claims` have no index on their time column alone, only
 * `(appspace_id, time)`. A plain `where time < cutoff limit n` would scan the whole table every
 * minute once there is nothing left to delete; probing each appspace's slice of that index
 * (a lateral join) costs one index lookup per appspace instead.
 */

export interface PruneCounts {
  events: number;
  clicks: number;
  deferredClaims: number;
  idempotencyKeys: number;
  deadLetters: number;
}

type Table = keyof PruneCounts;

const olderThan = (days: number) => sql`now() - make_interval(days => ${days}::int)`;

/** One bounded delete per table: at most `limit` rows, oldest first within each appspace. */
function deletes(r: RetentionConfig): Record<Table, SQL> {
  const limit = sql`${r.batchSize}::int`;
  return {
    // Undispatched events, and events with an attempt still pending or in flight, are the
    // outbox's unfinished work: never pruned, however old.
    events: sql`
      delete from events where ctid = any(array(
        select e.ctid from appspaces a cross join lateral (
          select ctid from events ev
          where appspace_id = a.id and created_at < ${olderThan(r.eventDays)} and dispatched_at is not null
            and not exists (select 1 from webhook_deliveries d
                            where d.event_id = ev.id and d.status in ('pending', 'sending'))
          order by created_at limit ${limit}) e
        limit ${limit}))`,
    clicks: sql`
      delete from clicks where ctid = any(array(
        select c.ctid from appspaces a cross join lateral (
          select ctid from clicks
          where appspace_id = a.id and clicked_at < ${olderThan(r.clickDays)}
          order by clicked_at limit ${limit}) c
        limit ${limit}))`,
    deferredClaims: sql`
      delete from deferred_claims where ctid = any(array(
        select d.ctid from appspaces a cross join lateral (
          select ctid from deferred_claims
          where appspace_id = a.id and claimed_at < ${olderThan(r.deferredClaimDays)}
          order by claimed_at limit ${limit}) d
        limit ${limit}))`,
    // Expired keys are dead already (a new request with the key takes the row over); a running
    // row is left to its runner until its lock lapses.
    idempotencyKeys: sql`
      delete from idempotency_keys where ctid = any(array(
        select ctid from idempotency_keys
        where expires_at < now() and (status = 'done' or locked_until < now())
        limit ${limit}))`,
    // What dead-letter consumers recorded: kept as long as the events.
    deadLetters: sql`
      delete from dead_letters where id = any(array(
        select id from dead_letters where received_at < ${olderThan(r.eventDays)}
        order by received_at limit ${limit}))`,
  };
}

const rowCount = (result: unknown) => (result as { rowCount?: number | null }).rowCount ?? 0;

/**
 * Up to `maxBatches` rounds; each round is one round trip (a `db.batch` holding one delete per
 * table that still had a full batch last round), so a run with nothing to prune costs one.
 */
export async function pruneExpired(db: Db, r: RetentionConfig): Promise<PruneCounts> {
  const statements = deletes(r);
  const counts: PruneCounts = { events: 0, clicks: 0, deferredClaims: 0, idempotencyKeys: 0, deadLetters: 0 };
  let pending = Object.keys(statements) as Table[];
  for (let round = 0; round < r.maxBatches && pending.length; round++) {
    const [first, ...rest] = pending.map((table) => db.execute(statements[table]));
    if (!first) break;
    const results = await db.batch([first, ...rest]);
    const full: Table[] = [];
    pending.forEach((table, i) => {
      const deleted = rowCount(results[i]);
      counts[table] += deleted;
      if (deleted >= r.batchSize) full.push(table);
    });
    pending = full;
  }
  return counts;
}
