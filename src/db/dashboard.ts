import { type SQL, sql } from "drizzle-orm";
import type { Db } from "./client";
import { type ReferralRow, referralColumns, type StatusFilter, statusFilter } from "./referrals";

/**
 * What the dashboard reads beyond the public API's queries: the appspace's referral list (keyset
 * pages, newest first, through referrals_appspace_created_idx) with its search, and a referral's
 * clicks.
 */

const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;
const iso = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

export interface ListedReferral extends Omit<ReferralRow, "metadata"> {
  /** The exact created_at (microseconds) for the next page's cursor. */
  cursor_at: string;
}

/** The API's referral columns (without metadata: a list doesn't show it), plus the cursor's exact timestamp. */
const COLUMNS = sql`${referralColumns("r", { metadata: false })}, r.created_at::text as cursor_at`;

/**
 * A page of the appspace's referrals, newest first. `query` finds a code (exact), a referrer's or
 * referred user's id (exact) or the start of a referrer's name (any case): each through its own
 * index, so a search on a million rows reads only what matches.
 */
export async function listReferrals(
  db: Db,
  p: {
    appspaceId: string;
    status?: StatusFilter;
    query?: string;
    limit: number;
    after?: { createdAt: string; id: string };
  },
): Promise<ListedReferral[]> {
  const conditions: SQL[] = [sql`r.appspace_id = ${p.appspaceId}::uuid`];
  if (p.status) conditions.push(statusFilter[p.status]);
  if (p.after) conditions.push(sql`(r.created_at, r.id) < (${p.after.createdAt}::timestamptz, ${p.after.id}::uuid)`);
  const where = sql.join(conditions, sql` and `);
  const page = (extra: SQL) => sql`
    (select ${COLUMNS} from referrals r where ${where} and ${extra}
     order by r.created_at desc, r.id desc limit ${p.limit}::int)`;
  let result: unknown;
  if (p.query) {
    const q = p.query;
    const prefix = `${q.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    result = await db.execute(sql`
      select * from (
        ${page(sql`r.code = ${q.toUpperCase()}::text`)}
        union
        ${page(sql`r.referrer_id = ${q}::text`)}
        union
        ${page(sql`r.referred_user_id = ${q}::text`)}
        union
        ${page(sql`lower(r.referrer_name) like ${prefix}::text`)}
      ) found
      order by cursor_at::timestamptz desc, id desc
      limit ${p.limit}::int`);
  } else {
    result = await db.execute(page(sql`true`));
  }
  return rowsOf<ListedReferral>(result);
}

export interface ReferralClick {
  clicked_at: string;
  route: string;
  os: string | null;
  device_type: string | null;
  browser: string | null;
  in_app: string | null;
  country: string | null;
  utm_source: string | null;
  referer_host: string | null;
}

/** A referral's latest clicks (its code's, in its appspace). */
export async function clicksOf(db: Db, appspaceId: string, code: string, limit: number): Promise<ReferralClick[]> {
  const result = await db.execute(sql`
    select ${iso("clicked_at")} as clicked_at, route, os, device_type, browser, in_app, country, utm_source,
           referer_host
    from clicks where code = ${code}::text and appspace_id = ${appspaceId}::uuid
    order by clicked_at desc limit ${limit}::int`);
  return rowsOf<ReferralClick>(result);
}

/** Records a new dashboard session (its nonce), opened with `keyId` (null: the admin token). */
export async function startDashboardSession(
  db: Db,
  p: { id: string; keyId: string | null; expiresAt: Date },
): Promise<void> {
  await db.execute(sql`
    insert into dashboard_sessions (id, key_id, expires_at)
    values (${p.id}::text, ${p.keyId}::uuid, ${p.expiresAt.toISOString()}::timestamptz)`);
}

/**
 * Whether a session is live — not signed out, not expired, and (a key's session) its key still
 * an active secret key of that appspace — in one read; with the appspace shown when it is.
 */
export async function liveDashboardSession(
  db: Db,
  p: { id: string; keyId: string | null; appspaceId: string | null },
): Promise<{ live: boolean; appspace: { id: string; name: string; domains: string[]; settings: unknown } | null }> {
  const result = await db.execute(sql`
    select exists (
             select 1 from dashboard_sessions s
             left join api_keys k on k.id = s.key_id
             where s.id = ${p.id}::text and s.ended_at is null and s.expires_at > now()
               and s.key_id is not distinct from ${p.keyId}::uuid
               and (s.key_id is null or (k.type = 'secret' and k.revoked_at is null
                                         and k.appspace_id = ${p.appspaceId}::uuid))
           ) as live,
           (select json_build_object('id', a.id, 'name', a.name, 'domains', a.domains, 'settings', a.settings)
              from appspaces a where a.id = ${p.appspaceId}::uuid) as appspace`);
  const [row] = rowsOf<{
    live: boolean;
    appspace: { id: string; name: string; domains: string[]; settings: unknown } | null;
  }>(result);
  return { live: row?.live === true, appspace: row?.appspace ?? null };
}

/** Signing out: the session ends everywhere. */
export async function endDashboardSession(db: Db, id: string): Promise<void> {
  await db.execute(sql`update dashboard_sessions set ended_at = now() where id = ${id}::text and ended_at is null`);
}

/** The cron's pruning: sessions a day past their expiry. */
export async function pruneDashboardSessions(db: Db): Promise<number> {
  const result = await db.execute(sql`
    delete from dashboard_sessions where expires_at < now() - interval '1 day' returning id`);
  return rowsOf(result).length;
}
