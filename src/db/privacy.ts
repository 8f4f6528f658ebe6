import { sql } from "drizzle-orm";
import type { Db } from "./client";

/**
 * Privacy: everything held about a Link API user (export), and erasure. A user appears as
 * `users` (profile), `consents`, `links`, `emails`, as the referrer of referrals (`referrer_id` =
 * the user's id) and as a referee (`referred_user_id` = their email or the site's id for them),
 * in outbox events that name them as referee, and in the edge's cached link records.
 */

const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;
const iso = (expr: string) => sql.raw(`to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

export interface UserExport {
  consents: { granted_at: string; text_version: string | null; source: string }[];
  links: { code: string; promotion_id: string; target_url: string | null; created_at: string; clicks: number }[];
  referrals_as_referrer: Record<string, unknown>[];
  referrals_as_referee: Record<string, unknown>[];
  emails: Record<string, unknown>[];
}

/** One round trip: the user's related rows, as JSON arrays. */
export async function exportUser(db: Db, appspaceId: string, userId: string): Promise<UserExport | undefined> {
  const referralFields = sql.raw(`'referral_code', r.code, 'link_code', r.link_code, 'promotion_id', r.promotion_id,
    'referrer_id', r.referrer_id, 'referred_user_id', r.referred_user_id,
    'status', case when r.status = 'pending' and r.expires_at <= now() then 'expired' else r.status end,
    'milestone', r.milestone, 'reward_type', r.reward_type, 'reward_value', r.reward_value,
    'reward_claimed', r.reward_claimed, 'referee_reward_type', r.referee_reward_type,
    'referee_reward_value', r.referee_reward_value, 'referee_reward_claimed', r.referee_reward_claimed`);
  const result = await db.execute(sql`
    with u as (select id, email, external_user_id from users where id = ${userId}::uuid and appspace_id = ${appspaceId}::uuid)
    select
      coalesce((select jsonb_agg(jsonb_build_object('granted_at', ${iso("c.granted_at")}, 'text_version', c.text_version,
                 'source', c.source) order by c.granted_at)
                from consents c, u where c.user_id = u.id), '[]') as consents,
      coalesce((select jsonb_agg(jsonb_build_object('code', l.code, 'promotion_id', l.promotion_id,
                 'target_url', l.target_url, 'created_at', ${iso("l.created_at")},
                 'clicks', (select count(*) from clicks k where k.code = l.code)) order by l.created_at)
                from links l, u where l.user_id = u.id), '[]') as links,
      coalesce((select jsonb_agg(jsonb_build_object(${referralFields}, 'created_at', ${iso("r.created_at")},
                 'completed_at', ${iso("r.completed_at")}) order by r.created_at)
                from referrals r, u where r.appspace_id = ${appspaceId}::uuid and r.referrer_id = u.id::text), '[]')
        as referrals_as_referrer,
      coalesce((select jsonb_agg(jsonb_build_object(${referralFields}, 'created_at', ${iso("r.created_at")},
                 'completed_at', ${iso("r.completed_at")}) order by r.created_at)
                from referrals r, u where r.appspace_id = ${appspaceId}::uuid
                  and r.referred_user_id in (u.email, u.external_user_id)), '[]') as referrals_as_referee,
      coalesce((select jsonb_agg(jsonb_build_object('id', e.id, 'to', e.to_address, 'subject', e.subject,
                 'status', e.status, 'link_code', e.link_code, 'created_at', ${iso("e.created_at")},
                 'sent_at', ${iso("e.sent_at")}) order by e.created_at)
                from emails e, u where e.user_id = u.id), '[]') as emails
    from u`);
  return rowsOf<UserExport>(result)[0];
}

/**
 * Erases a user in one statement (one transaction): the profile, consents and links go; the
 * user's referrals keep their counts (the leaderboard and stats stay right) but lose name,
 * metadata and hashes on the referrer side, and the referee side's identity is replaced by
 * `erased:<referral id>` (unique, so the one-completion-per-referee rule still holds); emails
 * keep their status but lose address and bodies (unsent ones are cancelled); outbox events naming
 * the user as referee are rewritten. Returns the codes whose edge records must be forgotten, or
 * undefined when there is no such user.
 */
export async function eraseUser(db: Db, appspaceId: string, userId: string): Promise<{ codes: string[] } | undefined> {
  // One transaction, two statements: the first locks the user's row (a concurrent POST
  // /v1/api/links for them holds it until it commits), so the second — whose snapshot is taken
  // after the lock is granted — sees every link and email that call wrote.
  const [, result] = await db.batch([
    db.execute(sql`select 1 from users where id = ${userId}::uuid and appspace_id = ${appspaceId}::uuid for update`),
    db.execute(sql`
    with u as (
      select id, email, external_user_id from users where id = ${userId}::uuid and appspace_id = ${appspaceId}::uuid
    ), sides as (
      -- Both sides in one UPDATE: a row where the user is referrer and referee at once (two
      -- UPDATEs of one row in one statement would silently skip the second) loses both.
      update referrals r set
        referrer_name = case when r.referrer_id = u.id::text then null else r.referrer_name end,
        metadata = case when r.referrer_id = u.id::text then null else r.metadata end,
        referrer_ip_hash = case when r.referrer_id = u.id::text then null else r.referrer_ip_hash end,
        referrer_device_id = case when r.referrer_id = u.id::text then null else r.referrer_device_id end,
        referred_user_id = case when r.referred_user_id in (u.email, u.external_user_id)
                                then 'erased:' || r.id::text else r.referred_user_id end,
        referred_user_name = case when r.referred_user_id in (u.email, u.external_user_id)
                                  then null else r.referred_user_name end,
        referred_ip_hash = case when r.referred_user_id in (u.email, u.external_user_id)
                                then null else r.referred_ip_hash end,
        referred_device_id = case when r.referred_user_id in (u.email, u.external_user_id)
                                  then null else r.referred_device_id end
      from u
      where r.appspace_id = ${appspaceId}::uuid
        and (r.referrer_id = u.id::text or r.referred_user_id in (u.email, u.external_user_id))
      returning r.code
    ), stats as (
      update referrer_stats s set referrer_name = null
      from u where s.appspace_id = ${appspaceId}::uuid and s.referrer_id = u.id::text
    ), mail as (
      update emails e set to_address = 'erased', subject = null, text = null, html = null,
             status = case when e.status in ('queued', 'sending') then 'failed' else e.status end,
             last_error = case when e.status in ('queued', 'sending') then 'user erased' else null end,
             updated_at = now()
      from u where e.user_id = u.id
    ), ev as (
      update events v set data = v.data || jsonb_build_object('referred_user_id', 'erased')
      from u where v.appspace_id = ${appspaceId}::uuid and v.data->>'referred_user_id' in (u.email, u.external_user_id)
    ), owned_links as (
      select l.code from links l, u where l.user_id = u.id
    ), gone as (
      delete from users x using u where x.id = u.id returning x.id
    )
    select exists (select 1 from gone) as erased,
           array(select code from owned_links union select code from sides) as codes`),
  ]);
  const [row] = rowsOf<{ erased: boolean; codes: string[] }>(result);
  return row?.erased ? { codes: row.codes } : undefined;
}
