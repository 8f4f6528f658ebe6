import { type SQL, sql } from "drizzle-orm";
import { type Range, TOP_KEYS } from "../analytics/range";
import type { Db } from "./client";

/**
 * Analytics reads. They go to the rollup tables (src/db/schema.ts, kept by the triggers in
 * drizzle/0007_analytics.sql), whose size follows the number of buckets in a range rather than the
 * number of referrals or clicks behind them; only the combinations the rollups don't hold (see
 * {@link clickBuckets}) read raw clicks, through their (appspace, time) index.
 */

const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;

// ---------------------------------------------------------------------------------------------
// referral stats

export interface ReferralStats {
  total: number;
  pending: number;
  completed: number;
  expired: number;
}

/**
 * Totals by status over the referrals created on the UTC days `from`..`to` (inclusive, each
 * optional). The rollups hold stored statuses; lazy expiry (a pending referral past `expires_at`
 * reads as expired everywhere) is applied by counting the open referrals that have expired since
 * the cron last persisted expiry — few rows, through `referrals_pending_expiry_appspace_idx`.
 */
export async function referralStats(
  db: Db,
  p: { appspaceId: string; from: string | null; to: string | null; promotionId: string | null },
): Promise<ReferralStats> {
  const days = [
    p.from === null ? sql`` : sql`and day >= ${p.from}::date`,
    p.to === null ? sql`` : sql`and day <= ${p.to}::date`,
    p.promotionId === null ? sql`` : sql`and promotion_key = ${p.promotionId}::uuid`,
  ];
  const created = [
    p.from === null ? sql`` : sql`and created_at >= (${p.from}::date)::timestamp at time zone 'UTC'`,
    p.to === null ? sql`` : sql`and created_at < (${p.to}::date + 1)::timestamp at time zone 'UTC'`,
    p.promotionId === null ? sql`` : sql`and promotion_id = ${p.promotionId}::uuid`,
  ];
  const result = await db.execute(sql`
    with r as (
      select coalesce(sum(total), 0)::int as total, coalesce(sum(pending), 0)::int as pending,
             coalesce(sum(completed), 0)::int as completed, coalesce(sum(expired), 0)::int as expired
      from referral_rollups
      where appspace_id = ${p.appspaceId}::uuid ${sql.join(days, sql` `)}
    ), lapsed as (
      select count(*)::int as n from referrals
      where appspace_id = ${p.appspaceId}::uuid and status = 'pending' and expires_at <= now()
        ${sql.join(created, sql` `)}
    )
    select r.total, r.pending - lapsed.n as pending, r.completed, r.expired + lapsed.n as expired
    from r, lapsed`);
  const [row] = rowsOf<ReferralStats>(result);
  return row ?? { total: 0, pending: 0, completed: 0, expired: 0 };
}

/**
 * Persists lazy expiry: pending referrals past `expires_at` become `expired` (what every read
 * already shows), at most `limit` per run, oldest first. The rollup triggers move them between
 * the counts; the stats read then has only the few expired since the last run to correct for.
 */
export async function persistExpiry(db: Db, limit: number): Promise<number> {
  const result = await db.execute(sql`
    with due as (
      select id from referrals where status = 'pending' and expires_at <= now()
      order by expires_at limit ${limit}::int for update skip locked
    )
    update referrals r set status = 'expired' from due where r.id = due.id and r.status = 'pending'
    returning r.id`);
  return rowsOf(result).length;
}

/**
 * Moves every appspace's 7/30-day leaderboard windows to today (a no-op where nothing moved): one
 * statement per appspace, in id order, so a roll holds one appspace's lock at a time and never
 * waits on one lock while holding another.
 */
export async function rollLeaderboardWindows(db: Db): Promise<number> {
  const due = rowsOf<{ appspace_id: string }>(
    await db.execute(sql`
      select distinct appspace_id from leaderboard_windows
      where starts_on < (now() at time zone 'UTC')::date - case period when '7d' then 6 else 29 end
      order by appspace_id`),
  );
  for (const { appspace_id } of due) await db.execute(sql`select roll_leaderboard_windows(${appspace_id}::uuid)`);
  return due.length;
}

// ---------------------------------------------------------------------------------------------
// clicks and events over time

export const CLICK_DIMENSIONS = [
  "platform",
  "device_type",
  "browser",
  "country",
  "referral_code",
  "utm_source",
  "route",
] as const;
export type ClickDimension = (typeof CLICK_DIMENSIONS)[number];

/** The value stored for a missing one, in the rollups and in answers. */
export const NONE_VALUE = "(none)";

const CLICK_COLUMN: Record<ClickDimension, SQL> = {
  platform: sql.raw("os"),
  device_type: sql.raw("device_type"),
  browser: sql.raw("browser"),
  country: sql.raw("country"),
  referral_code: sql.raw("code"),
  utm_source: sql.raw("utm_source"),
  route: sql.raw("route"),
};

/** Dimensions whose rollup buckets are days, not hours (see click_rollups). */
const DAILY_ONLY: readonly ClickDimension[] = ["referral_code"];

export interface BucketCount {
  /** null: the sum of every key past the top ones. */
  key: string | null;
  t: string;
  count: number;
}

const bucketIso = (expr: SQL) => sql`to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;

/**
 * Counts per (key, bucket) for the top {@link TOP_KEYS} keys by total, plus the rest summed per
 * bucket (key null), from `counted`: rows (t, k, n).
 */
function topKeys(counted: SQL): SQL {
  return sql`
    with b as (${counted}),
    ranked as (select k, row_number() over (order by sum(n) desc, k) as rn from b group by k)
    select case when ranked.rn <= ${TOP_KEYS}::int then b.k end as key, ${bucketIso(sql`b.t`)} as t,
           sum(b.n)::int as count
    from b join ranked using (k)
    group by 1, b.t`;
}

/**
 * Click counts per bucket, grouped by one dimension (or one key, `all`) and filtered by any (values
 * compared case-insensitively: `platform=ios` finds the stored `iOS`).
 * From the rollups when they hold the answer: no filter, or one filter and no grouping (or a
 * filter on the grouped dimension itself), at a granularity the dimension has. Anything else —
 * a filter combined with another dimension's grouping, several filters, referral codes by the
 * hour — is counted from raw clicks in the range; raw clicks are pruned by the retention
 * (`RETENTION_CLICK_DAYS`), the rollups are not.
 */
export async function clickBuckets(
  db: Db,
  p: {
    appspaceId: string;
    range: Range;
    groupBy: ClickDimension | null;
    filters: Partial<Record<ClickDimension, string>>;
  },
): Promise<BucketCount[]> {
  const { range } = p;
  const filters = Object.entries(p.filters) as [ClickDimension, string][];
  const trunc = sql.raw(`'${range.interval}'`);
  const rollupDim = (() => {
    const ok = (dim: ClickDimension) => range.interval === "day" || !DAILY_ONLY.includes(dim);
    if (filters.length === 0)
      return p.groupBy === null ? { dim: "all", value: null } : ok(p.groupBy) ? { dim: p.groupBy, value: null } : null;
    if (filters.length > 1) return null;
    const [dim, value] = filters[0] as [ClickDimension, string];
    if (p.groupBy !== null && p.groupBy !== dim) return null;
    return ok(dim) ? { dim, value } : null;
  })();
  const key = (expr: SQL) => (p.groupBy === null ? sql`'all'::text` : expr);
  const counted = rollupDim
    ? sql`
        select date_trunc(${trunc}, bucket, 'UTC') as t, ${key(sql`value`)} as k, sum(clicks)::int as n
        from click_rollups
        where appspace_id = ${p.appspaceId}::uuid and dim = ${rollupDim.dim}::text
          and bucket >= ${range.from.toISOString()}::timestamptz and bucket < ${range.to.toISOString()}::timestamptz
          ${rollupDim.value === null ? sql`` : sql`and lower(value) = lower(${rollupDim.value}::text)`}
        group by 1, 2`
    : sql`
        select date_trunc(${trunc}, clicked_at, 'UTC') as t,
               ${key(sql`coalesce(nullif(${CLICK_COLUMN[p.groupBy ?? "route"]}, ''), ${NONE_VALUE}::text)`)} as k,
               count(*)::int as n
        from clicks
        where appspace_id = ${p.appspaceId}::uuid
          and clicked_at >= ${range.from.toISOString()}::timestamptz and clicked_at < ${range.to.toISOString()}::timestamptz
          ${sql.join(
            filters.map(([dim, value]) =>
              value === NONE_VALUE
                ? sql`and (${CLICK_COLUMN[dim]} is null or ${CLICK_COLUMN[dim]} = '')`
                : sql`and lower(${CLICK_COLUMN[dim]}) = lower(${value}::text)`,
            ),
            sql` `,
          )}
        group by 1, 2`;
  return rowsOf<BucketCount>(await db.execute(topKeys(counted)));
}

/** Event counts per bucket and type (from the hourly rollups), optionally of some types only. */
export async function eventBuckets(
  db: Db,
  p: { appspaceId: string; range: Range; types: string[] | null },
): Promise<BucketCount[]> {
  const { range } = p;
  const counted = sql`
    select date_trunc(${sql.raw(`'${range.interval}'`)}, bucket, 'UTC') as t, type as k, sum(count)::int as n
    from event_rollups
    where appspace_id = ${p.appspaceId}::uuid
      and bucket >= ${range.from.toISOString()}::timestamptz and bucket < ${range.to.toISOString()}::timestamptz
      ${
        p.types === null
          ? sql``
          : sql`and type in (${sql.join(
              p.types.map((t) => sql`${t}::text`),
              sql`, `,
            )})`
      }
    group by 1, 2`;
  return rowsOf<BucketCount>(await db.execute(topKeys(counted)));
}
