import { type SQL, sql } from "drizzle-orm";
import type { AbuseFlags, CompletionObservation } from "../referrals/rules";
import type { Db } from "./client";
import { PG_UNIQUE_VIOLATION, pgErrorCode } from "./errors";

/**
 * Referral data access. Every operation is one round trip: one statement (CTEs for the state
 * change, its counters and its outbox event) or one `db.batch` (one transaction). Whatever must
 * happen once is decided by a conditional UPDATE or a unique index, never by read-then-write.
 */

/** A timestamp as ISO 8601 UTC, formatted by Postgres so every reader sees the same text. */
const iso = (expr: SQL) => sql`to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const NOW_ISO = iso(sql`now()`);

/** Lazy expiration, defined once: a pending referral past `expires_at` reads as expired. */
const effectiveStatus = (t: string) =>
  sql.raw(`case when ${t}.status = 'pending' and ${t}.expires_at <= now() then 'expired' else ${t}.status end`);

/** Extra event fields, merged over nothing the statement sets itself (it names its own keys last). */
const eventExtra = (data: Record<string, unknown> | undefined) => sql`${JSON.stringify(data ?? {})}::jsonb`;

const historyEntry = (milestone: string) =>
  sql`jsonb_build_array(jsonb_build_object('milestone', ${milestone}::text, 'timestamp', ${NOW_ISO}))`;

/** The columns every referral response is built from, read from relation `t`. */
export const referralColumns = (t: string, opts: { metadata?: boolean } = {}) =>
  sql.join(
    [
      sql.raw(
        `${t}.id, ${t}.code, ${t}.referrer_id, ${t}.referrer_name, ${t}.referred_user_id, ${t}.referred_user_name`,
      ),
      sql`${effectiveStatus(t)} as status`,
      sql.raw(`${t}.milestone, ${t}.milestone_history${opts.metadata === false ? "" : `, ${t}.metadata`}`),
      sql.raw(`${t}.reward_type, ${t}.reward_value, ${t}.reward_claimed`),
      sql.raw(`${t}.referee_reward_type, ${t}.referee_reward_value, ${t}.referee_reward_claimed`),
      sql`${iso(sql.raw(`${t}.created_at`))} as created_at`,
      sql`${iso(sql.raw(`${t}.completed_at`))} as completed_at`,
      sql`${iso(sql.raw(`${t}.expires_at`))} as expires_at`,
    ],
    sql`, `,
  );

export interface ReferralRow {
  id: string;
  code: string;
  referrer_id: string;
  referrer_name: string | null;
  referred_user_id: string | null;
  referred_user_name: string | null;
  status: "pending" | "completed" | "expired";
  milestone: string;
  milestone_history: { milestone: string; timestamp: string }[];
  metadata: Record<string, unknown> | null;
  reward_type: string | null;
  reward_value: string | null;
  reward_claimed: boolean;
  referee_reward_type: string | null;
  referee_reward_value: string | null;
  referee_reward_claimed: boolean;
  created_at: string;
  completed_at: string | null;
  expires_at: string;
}

const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;

// ---------------------------------------------------------------------------------------------
// create

export interface CreateReferralInput {
  appspaceId: string;
  code: string;
  referrerId: string;
  referrerName: string | null;
  /**
   * Publishable-key creates: the name is a claim, so a referrer who already has one keeps it (the
   * leaderboard and link previews show it); a secret key may rename.
   */
  keepExistingName: boolean;
  metadata: Record<string, unknown> | null;
  ipHash: string | null;
  deviceHash: string | null;
  expirationDays: number;
  maxPerUser: number | null;
  referralUrlPrefix: string | null;
}

export type CreateReferralResult =
  | { kind: "existing" | "created"; id: string; code: string }
  | { kind: "limit_reached" }
  | { kind: "code_collision" };

export async function createReferral(db: Db, p: CreateReferralInput): Promise<CreateReferralResult> {
  const userKey = `${p.appspaceId}:${p.referrerId}`;
  const batch = await db.batch([
    // Serialise creates for one user (concurrent creates must yield one code, and the per-user
    // cap must count what the others just inserted). The lock ends with the transaction.
    db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${userKey}::text, 0))`),
    // Persist lazy expiry for this user so the one-pending-per-user index admits a new code.
    db.execute(sql`
      update referrals set status = 'expired'
      where appspace_id = ${p.appspaceId}::uuid and referrer_id = ${p.referrerId}::text
        and status = 'pending' and expires_at <= now()`),
    db.execute(sql`
      with existing as (
        select id, code from referrals
        where appspace_id = ${p.appspaceId}::uuid and referrer_id = ${p.referrerId}::text
          and status = 'pending' and expires_at > now()
        limit 1
      ), active as (
        select count(*)::int as n from referrals
        where appspace_id = ${p.appspaceId}::uuid and referrer_id = ${p.referrerId}::text
          and (status = 'completed' or (status = 'pending' and expires_at > now()))
      ), known as (
        select referrer_name from referrer_stats
        where appspace_id = ${p.appspaceId}::uuid and referrer_id = ${p.referrerId}::text
      ), ins as (
        insert into referrals (appspace_id, code, referrer_id, referrer_name, metadata,
                               referrer_ip_hash, referrer_device_id, milestone_history, expires_at)
        select ${p.appspaceId}::uuid, ${p.code}::text, ${p.referrerId}::text,
               case when ${p.keepExistingName}::boolean
                    then coalesce((select referrer_name from known), ${p.referrerName}::text)
                    else ${p.referrerName}::text end,
               ${p.metadata === null ? null : JSON.stringify(p.metadata)}::jsonb,
               ${p.ipHash}::text, ${p.deviceHash}::text, ${historyEntry("pending")},
               now() + make_interval(days => ${p.expirationDays}::int)
        where not exists (select 1 from existing)
          and (${p.maxPerUser}::int is null or (select n from active) < ${p.maxPerUser}::int)
        on conflict do nothing
        returning id, code, referrer_id, referrer_name
      ), stats as (
        insert into referrer_stats (appspace_id, referrer_id, referrer_name, total)
        select ${p.appspaceId}::uuid, referrer_id, referrer_name, 1 from ins
        on conflict (appspace_id, referrer_id) do update
          set total = referrer_stats.total + 1,
              referrer_name = case when ${p.keepExistingName}::boolean
                                   then coalesce(referrer_stats.referrer_name, excluded.referrer_name)
                                   else coalesce(excluded.referrer_name, referrer_stats.referrer_name) end
      ), ev as (
        insert into events (appspace_id, type, data)
        select ${p.appspaceId}::uuid, 'referral.created', jsonb_build_object(
          'referral_code', code, 'referrer_id', referrer_id,
          'referral_url', ${p.referralUrlPrefix}::text || code)
        from ins
      )
      select (select id from existing) as existing_id, (select code from existing) as existing_code,
             (select id from ins) as created_id, (select code from ins) as created_code,
             (select n from active) as active`),
  ]);
  const [row] = rowsOf<{
    existing_id: string | null;
    existing_code: string | null;
    created_id: string | null;
    created_code: string | null;
    active: number;
  }>(batch[2]);
  if (row?.existing_id && row.existing_code) return { kind: "existing", id: row.existing_id, code: row.existing_code };
  if (row?.created_id && row.created_code) return { kind: "created", id: row.created_id, code: row.created_code };
  if (p.maxPerUser !== null && (row?.active ?? 0) >= p.maxPerUser) return { kind: "limit_reached" };
  return { kind: "code_collision" };
}

// ---------------------------------------------------------------------------------------------
// reads

export async function findReferral(db: Db, appspaceId: string, code: string): Promise<ReferralRow | undefined> {
  const result = await db.execute(sql`
    select ${referralColumns("r")} from referrals r
    where r.appspace_id = ${appspaceId}::uuid and r.code = ${code}::text`);
  return rowsOf<ReferralRow>(result)[0];
}

export type StatusFilter = "pending" | "completed" | "expired";

export const statusFilter: Record<StatusFilter, SQL> = {
  pending: sql.raw(`r.status = 'pending' and r.expires_at > now()`),
  completed: sql.raw(`r.status = 'completed'`),
  expired: sql.raw(`(r.status = 'expired' or (r.status = 'pending' and r.expires_at <= now()))`),
};

const statusTotal: Record<StatusFilter | "all", SQL> = {
  all: sql.raw("s.total"),
  pending: sql.raw("s.pending"),
  completed: sql.raw("s.completed"),
  expired: sql.raw("s.total - s.completed - s.pending"),
};

export async function listReferralsByUser(
  db: Db,
  p: { appspaceId: string; referrerId: string; status?: StatusFilter; limit: number },
): Promise<{ referrals: ReferralRow[]; total: number }> {
  // The total comes from the maintained counters (total, completed; live pending is at most one
  // row by the unique index; expired is the rest), not from counting the user's rows, and the
  // order matches referrals_by_user_idx (DESC NULLS LAST), so only `limit` rows are read.
  const total = statusTotal[p.status ?? "all"];
  const result = await db.execute(sql`
    with s as (
      select s.total, s.completed,
             (select count(*)::int from referrals p
               where p.appspace_id = s.appspace_id and p.referrer_id = s.referrer_id
                 and p.status = 'pending' and p.expires_at > now()) as pending
      from referrer_stats s
      where s.appspace_id = ${p.appspaceId}::uuid and s.referrer_id = ${p.referrerId}::text
    )
    select ${referralColumns("r")}, (select ${total} from s)::int as total
    from referrals r
    where r.appspace_id = ${p.appspaceId}::uuid and r.referrer_id = ${p.referrerId}::text
      ${p.status ? sql`and ${statusFilter[p.status]}` : sql``}
    order by r.created_at desc nulls last, r.id
    limit ${p.limit}::int`);
  const rows = rowsOf<ReferralRow & { total: number }>(result);
  return { referrals: rows, total: rows[0]?.total ?? 0 };
}

export interface LeaderboardRow {
  referrer_id: string;
  referrer_name: string | null;
  total: number;
  completed: number;
  pending: number;
  total_reward_value: string;
}

export const LEADERBOARD_PERIODS = ["all", "30d", "7d"] as const;
export type LeaderboardPeriod = (typeof LEADERBOARD_PERIODS)[number];
export const LEADERBOARD_SORTS = ["completed", "reward_value"] as const;
export type LeaderboardSort = (typeof LEADERBOARD_SORTS)[number];

/** Live pending count of the listed referrer `s` (at most one open referral per user: unique index). */
const livePending = (s: string) =>
  sql.raw(`(select count(*)::int from referrals p
             where p.appspace_id = ${s}.appspace_id and p.referrer_id = ${s}.referrer_id
               and p.status = 'pending' and p.expires_at > now())`);

/**
 * Top referrers from maintained counters (an index range scan, not an aggregate over every
 * referral): all time from `referrer_stats`, the last 7 or 30 UTC days (today included) from
 * `referrer_windows`, whose window is first moved to today if a day has passed. In a period,
 * `total` counts referrals created in it and `completed`/`total_reward_value` completions in it.
 * `pending` is read live per listed referrer: lazy expiry is time-based, so it cannot be a stored
 * counter.
 */
export async function leaderboard(
  db: Db,
  p: { appspaceId: string; limit: number; period?: LeaderboardPeriod; sort?: LeaderboardSort },
): Promise<LeaderboardRow[]> {
  const period = p.period ?? "all";
  const byReward = p.sort === "reward_value";
  if (period === "all") {
    const order = byReward ? sql.raw("s.total_reward_value desc nulls last") : sql.raw("s.completed desc nulls last");
    const result = await db.execute(sql`
      select s.referrer_id, s.referrer_name, s.total, s.completed, ${livePending("s")} as pending,
             s.total_reward_value::text as total_reward_value
      from referrer_stats s
      where s.appspace_id = ${p.appspaceId}::uuid
      order by ${order}, s.referrer_id
      limit ${p.limit}::int`);
    return rowsOf<LeaderboardRow>(result);
  }
  const order = byReward ? sql.raw("w.reward_value desc nulls last") : sql.raw("w.completed desc nulls last");
  const [, result] = await db.batch([
    db.execute(sql`select roll_leaderboard_windows(${p.appspaceId}::uuid)`),
    db.execute(sql`
      select w.referrer_id, s.referrer_name, w.created as total, w.completed, ${livePending("w")} as pending,
             w.reward_value::text as total_reward_value
      from referrer_windows w
      left join referrer_stats s on s.appspace_id = w.appspace_id and s.referrer_id = w.referrer_id
      where w.appspace_id = ${p.appspaceId}::uuid and w.period = ${period}::text
        -- A referrer whose activity has all moved out of the window (a corrected date) keeps a row of zeros.
        and (w.created <> 0 or w.completed <> 0 or w.reward_value <> 0)
      order by ${order}, w.referrer_id
      limit ${p.limit}::int`),
  ]);
  return rowsOf<LeaderboardRow>(result);
}

// ---------------------------------------------------------------------------------------------
// milestone

export async function advanceMilestone(
  db: Db,
  p: {
    appspaceId: string;
    code: string;
    milestone: string;
    allowedFrom: string[] | null;
    eventData?: Record<string, unknown>;
    /** See CompleteReferralInput.linkReferrals. */
    linkReferrals?: boolean;
  },
): Promise<ReferralRow | undefined> {
  const from = p.allowedFrom
    ? sql`and milestone in (${sql.join(
        p.allowedFrom.map((m) => sql`${m}::text`),
        sql`, `,
      )})`
    : sql``;
  const result = await db.execute(sql`
    with upd as (
      update referrals
         set milestone = ${p.milestone}::text,
             milestone_history = milestone_history || ${historyEntry(p.milestone)}
       where appspace_id = ${p.appspaceId}::uuid and code = ${p.code}::text
         and status = 'pending' and expires_at > now() ${from}
         and (link_code is null or ${p.linkReferrals ?? false}::boolean)
      returning *
    ), ev as (
      insert into events (appspace_id, type, data)
      select appspace_id, 'referral.milestone', jsonb_build_object(
        'referral_code', code, 'referrer_id', referrer_id, 'milestone', milestone) || ${eventExtra(p.eventData)}
      from upd
    )
    select ${referralColumns("upd")} from upd`);
  return rowsOf<ReferralRow>(result)[0];
}

// ---------------------------------------------------------------------------------------------
// complete

export interface CompleteReferralInput {
  appspaceId: string;
  code: string;
  milestone: string;
  referredUserId: string | null;
  referredUserName: string | null;
  ipHash: string | null;
  deviceHash: string | null;
  rewardType: string;
  rewardValue: string | null;
  refereeRewardType: string;
  refereeRewardValue: string | null;
  /** Merged into the `referral.completed` event's data (Link API: promotion_id, product_id, order_id). */
  eventData?: Record<string, unknown>;
  /**
   * A Link API referral (`link_code` set) moves only through POST /v1/api/conversions, which
   * applies its promotion's rules; the Referrals API's own calls don't see it.
   */
  linkReferrals?: boolean;
}

const NO_FLAGS: AbuseFlags = {
  self_referral: false,
  already_referred: false,
  reverse_referral: false,
  same_ip: false,
  same_device: false,
};

/**
 * Evaluates the abuse rules and completes the referral in one statement. Exactly once: the
 * UPDATE only matches a row that is still pending, so of N concurrent calls one completes and
 * the rest observe the completed row. `already_referred` across *different* codes racing for
 * the same referee is settled by the one-completion-per-referee unique index.
 */
export async function completeReferral(
  db: Db,
  p: CompleteReferralInput,
): Promise<CompletionObservation<ReferralRow> | undefined> {
  const referee = sql`${p.referredUserId}::text`;
  try {
    const result = await db.execute(sql`
      with r as (
        select * from referrals where appspace_id = ${p.appspaceId}::uuid and code = ${p.code}::text
          and (link_code is null or ${p.linkReferrals ?? false}::boolean)
      ), flags as (
        select r.id,
          (r.status = 'pending' and r.expires_at > now()) as open,
          coalesce(r.referrer_id = ${referee}, false) as self_referral,
          (${referee} is not null and exists (
            select 1 from referrals x where x.appspace_id = r.appspace_id
              and x.referred_user_id = ${referee} and x.status = 'completed')) as already_referred,
          (${referee} is not null and exists (
            select 1 from referrals x where x.appspace_id = r.appspace_id
              and x.referrer_id = ${referee} and x.referred_user_id = r.referrer_id
              and x.status = 'completed')) as reverse_referral,
          coalesce(r.referrer_ip_hash = ${p.ipHash}::text, false) as same_ip,
          coalesce(r.referrer_device_id = ${p.deviceHash}::text, false) as same_device
        from r
      ), upd as (
        update referrals
           set status = 'completed',
               referred_user_id = coalesce(${referee}, referrals.referred_user_id),
               referred_user_name = coalesce(${p.referredUserName}::text, referrals.referred_user_name),
               referred_ip_hash = ${p.ipHash}::text,
               referred_device_id = ${p.deviceHash}::text,
               milestone = ${p.milestone}::text,
               milestone_history = referrals.milestone_history || ${historyEntry(p.milestone)},
               completed_at = now(),
               reward_type = ${p.rewardType}::text,
               reward_value = ${p.rewardValue}::text,
               referee_reward_type = ${p.refereeRewardType}::text,
               referee_reward_value = ${p.refereeRewardValue}::text
          from flags
         where referrals.id = flags.id and referrals.status = 'pending' and referrals.expires_at > now()
           and not (flags.self_referral or flags.already_referred or flags.reverse_referral
                    or flags.same_ip or flags.same_device)
        returning referrals.*
      ), stats as (
        update referrer_stats s
           set completed = s.completed + 1,
               total_reward_value = s.total_reward_value + case
                 when upd.reward_value ~ '^\\s*-?[0-9]+(\\.[0-9]+)?\\s*$' then trim(upd.reward_value)::numeric
                 else 0 end
          from upd
         where s.appspace_id = upd.appspace_id and s.referrer_id = upd.referrer_id
      ), ev as (
        insert into events (appspace_id, type, data)
        select appspace_id, 'referral.completed', jsonb_build_object(
          'referral_code', code, 'referrer_id', referrer_id,
          'referred_user_id', referred_user_id, 'milestone', milestone) || ${eventExtra(p.eventData)}
        from upd
      )
      select f.open, f.self_referral, f.already_referred, f.reverse_referral, f.same_ip, f.same_device,
             (select row_to_json(c) from (select ${referralColumns("upd")} from upd) c) as completed,
             (select row_to_json(p) from (select ${referralColumns("r")} from r
                where r.status = 'completed' and r.referred_user_id = ${referee}) p) as completed_for_referee
      from flags f`);
    const [row] = rowsOf<
      AbuseFlags & { open: boolean; completed: ReferralRow | null; completed_for_referee: ReferralRow | null }
    >(result);
    if (!row) return undefined;
    const { open, completed, completed_for_referee, ...flags } = row;
    let completedForReferee = completed_for_referee;
    if (open && !completed && !Object.values(flags).some(Boolean) && p.referredUserId !== null) {
      // Open and clean at our snapshot, yet not completed by us: a concurrent call completed it
      // first. If that was for this same referee (a retry racing its original), it is our answer.
      completedForReferee = (await findCompletionFor(db, p.appspaceId, p.code, p.referredUserId)) ?? null;
    }
    return { open, completed, completedForReferee, flags };
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) {
      // Another code was just completed for this referee.
      return { open: true, completed: null, flags: { ...NO_FLAGS, already_referred: true } };
    }
    throw error;
  }
}

/** The referral if it is completed for this referee. */
async function findCompletionFor(
  db: Db,
  appspaceId: string,
  code: string,
  referredUserId: string,
): Promise<ReferralRow | undefined> {
  const result = await db.execute(sql`
    select ${referralColumns("r")} from referrals r
    where r.appspace_id = ${appspaceId}::uuid and r.code = ${code}::text
      and r.status = 'completed' and r.referred_user_id = ${referredUserId}::text`);
  return rowsOf<ReferralRow>(result)[0];
}

// ---------------------------------------------------------------------------------------------
// reward claims

export type RewardSide = "referrer" | "referee";

const CLAIM_COLUMNS: Record<RewardSide, { flag: SQL; at: SQL; type: SQL; event: string }> = {
  referrer: {
    flag: sql.raw("reward_claimed"),
    at: sql.raw("reward_claimed_at"),
    type: sql.raw("reward_type"),
    event: "referral.reward_claimed",
  },
  referee: {
    flag: sql.raw("referee_reward_claimed"),
    at: sql.raw("referee_reward_claimed_at"),
    type: sql.raw("referee_reward_type"),
    event: "referral.referee_reward_claimed",
  },
};

/** Claims one side's reward: the conditional UPDATE lets exactly one caller flip the flag. */
export async function claimReward(
  db: Db,
  p: { appspaceId: string; code: string; side: RewardSide },
): Promise<{ status: string; claimed: boolean; has_reward: boolean } | undefined> {
  const c = CLAIM_COLUMNS[p.side];
  const result = await db.execute(sql`
    with r as (
      -- A Link API referral whose receiver rule left this side without a reward has nothing to
      -- claim; referral codes keep the Referrals API's contract (claiming a 'none' reward records it).
      select id, status, (link_code is null or ${c.type} is distinct from 'none') as has_reward
      from referrals where appspace_id = ${p.appspaceId}::uuid and code = ${p.code}::text
    ), upd as (
      update referrals set ${c.flag} = true, ${c.at} = now()
       where id = (select id from r where has_reward) and status = 'completed' and not ${c.flag}
      returning appspace_id, code, referrer_id, referred_user_id
    ), ev as (
      insert into events (appspace_id, type, data)
      select appspace_id, ${c.event}::text, jsonb_build_object(
        'referral_code', code, 'referrer_id', referrer_id, 'referred_user_id', referred_user_id)
      from upd
    )
    select r.status, r.has_reward, exists (select 1 from upd) as claimed from r`);
  return rowsOf<{ status: string; claimed: boolean; has_reward: boolean }>(result)[0];
}
