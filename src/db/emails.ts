import { sql } from "drizzle-orm";
import type { Db } from "./client";

/**
 * The email outbox (table `emails`): one row per email, written by the statement that decides to
 * send it (src/db/link-api.ts), then moved along by the queue consumer (src/services/email-outbox.ts):
 *
 *   queued → sending → sent | captured (no provider configured) | failed
 *                    ↘ queued again (a provider failure worth retrying)
 *
 * Every transition is a conditional update on the status it expects, so a queue message that is
 * delivered twice, or a sweep racing the consumer, moves a row once.
 */

const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;
const rowCount = (result: unknown) => (result as { rowCount: number | null }).rowCount ?? 0;
const iso = (expr: string) => sql.raw(`to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
/** Microseconds kept: a pagination cursor must sort exactly as the rows do. */
const isoMicros = (expr: string) => sql.raw(`to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);

export const EMAIL_STATUSES = ["queued", "sending", "sent", "captured", "failed"] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

/** Attempts at the provider before an email that keeps failing with retryable errors is `failed`. */
export const MAX_EMAIL_ATTEMPTS = 8;
/** A queued email the dispatch or a retry should have sent by now (plus its retry delay). */
export const QUEUED_OVERDUE_SECONDS = 60;
/** A `sending` row whose consumer never finished (crashed, timed out, lost its database). */
export const SENDING_ABANDONED_SECONDS = 600;

/**
 * Seconds before attempt `attempts + 1` of an email whose attempt `attempts` failed with a
 * retryable error: 30 s doubling to 10 min (about 35 min over MAX_EMAIL_ATTEMPTS). The sweep
 * uses the same schedule (in SQL below), so it never re-sends a retry that is merely waiting.
 */
export function emailRetryDelay(attempts: number): number {
  return Math.min(30 * 2 ** Math.max(attempts - 1, 0), 600);
}
const retryDelaySql = (attempts: string) =>
  sql.raw(`(case when ${attempts} = 0 then 0 else least(30 * power(2, ${attempts} - 1), 600) end)`);

/**
 * After a write: the appspace's queued emails that no dispatch has sent yet, marked as sent to
 * the queue (updated_at moves on). "Not dispatched yet" is a row untouched since its insert:
 * `updated_at = created_at`, both being the inserting statement's now(). A row dispatched here
 * whose message is then lost is the sweep's (`updated_at` older than a minute).
 */
export async function takeUndispatchedEmails(db: Db, appspaceId: string, limit = 500): Promise<string[]> {
  const result = await db.execute(sql`
    update emails e set updated_at = now()
    where e.id in (
      select id from emails
      where appspace_id = ${appspaceId}::uuid and status = 'queued' and attempts = 0 and updated_at = created_at
      order by created_at
      limit ${limit}::int
      for update skip locked)
    returning e.id`);
  return rowsOf<{ id: string }>(result).map((r) => r.id);
}

/**
 * Cron: emails whose message was lost. Queued ones a minute past when their dispatch or retry
 * should have run are re-sent; `sending` ones abandoned for ten minutes go back to `queued` (their
 * attempt counted) and are re-sent, unless that was the last attempt: then they are `failed`.
 */
export async function takeOverdueEmails(db: Db, limit: number): Promise<string[]> {
  const result = await db.execute(sql`
    with due as (
      select id, status, attempts from emails
      where status in ('queued', 'sending')
        and updated_at < now() - make_interval(secs => ${QUEUED_OVERDUE_SECONDS}::int)
        and ((status = 'queued'
              and updated_at < now() - make_interval(secs => ${QUEUED_OVERDUE_SECONDS}::int + ${retryDelaySql("attempts")}))
          or (status = 'sending'
              and updated_at < now() - make_interval(secs => ${SENDING_ABANDONED_SECONDS}::int)))
      order by updated_at
      limit ${limit}::int
      for update skip locked
    ), gave_up as (
      update emails e set status = 'failed', last_error = 'gave up: the last attempt never finished', updated_at = now()
      from due d where e.id = d.id and d.status = 'sending' and d.attempts >= ${MAX_EMAIL_ATTEMPTS}::int
    )
    update emails e set status = 'queued', updated_at = now()
    from due d where e.id = d.id and not (d.status = 'sending' and d.attempts >= ${MAX_EMAIL_ATTEMPTS}::int)
    returning e.id`);
  return rowsOf<{ id: string }>(result).map((r) => r.id);
}

/** What the consumer needs to render and send one email, read with the row it took. */
export interface TakenEmail {
  id: string;
  /** `sending`, or `failed` when the email must not go out (`problem` says why). */
  status: "sending" | "failed";
  problem: string | null;
  /** This attempt's number (the row's count after the take). */
  attempts: number;
  kind: string;
  to_address: string;
  user_id: string | null;
  user_name: string | null;
  link_code: string | null;
  link_reward_receiver: string | null;
  promotion_name: string | null;
  promotion_reward_receiver: string | null;
  reward_type: string | null;
  reward_value: string | null;
  referee_reward_type: string | null;
  referee_reward_value: string | null;
  template: Record<string, string | null> | null;
  /** The appspace's domains, in order: the first one builds the link and unsubscribe URLs. */
  domains: string[];
}

/**
 * Takes a queued email for one attempt (→ `sending`, attempts + 1), with its user, link,
 * promotion and appspace, in one statement. An email that must not go out any more (the user
 * unsubscribed or was erased, the link is gone) is `failed` right here, its reason in
 * last_error, and no attempt is counted. Returns undefined when the row isn't `queued` (already
 * taken by another delivery of the same message, finished, or gone): nothing to do.
 */
export async function takeEmail(db: Db, id: string): Promise<TakenEmail | undefined> {
  const result = await db.execute(sql`
    with target as (
      select e.id,
             case when e.kind <> 'link' then 'no template for emails of kind ' || e.kind
                  when u.id is null then 'the user no longer exists'
                  when u.unsubscribed_at is not null then 'unsubscribed'
                  when l.code is null or p.id is null then 'the link no longer exists'
             end as problem
      from emails e
      left join users u on u.id = e.user_id
      left join links l on l.code = e.link_code
      left join promotions p on p.id = l.promotion_id
      where e.id = ${id}::uuid and e.status = 'queued'
    ), taken as (
      update emails e
         set status = case when t.problem is null then 'sending' else 'failed' end,
             attempts = e.attempts + case when t.problem is null then 1 else 0 end,
             last_error = coalesce(t.problem, e.last_error),
             updated_at = now()
      from target t
      where e.id = t.id and e.status = 'queued'
      returning e.id, e.status, e.attempts, e.kind, e.to_address, e.appspace_id, e.user_id, e.link_code, t.problem
    )
    select t.id, t.status, t.problem, t.attempts, t.kind, t.to_address, t.user_id, t.link_code,
           u.name as user_name, l.reward_receiver as link_reward_receiver,
           p.name as promotion_name, p.reward_receiver as promotion_reward_receiver,
           p.reward_type, p.reward_value, p.referee_reward_type, p.referee_reward_value, p.email as template,
           a.domains
    from taken t
    join appspaces a on a.id = t.appspace_id
    left join users u on u.id = t.user_id
    left join links l on l.code = t.link_code
    left join promotions p on p.id = l.promotion_id`);
  return rowsOf<TakenEmail>(result)[0];
}

export interface EmailOutcome {
  id: string;
  /** The attempt being finished: a row the sweep has since taken back is left alone. */
  attempts: number;
  status: "sent" | "captured" | "failed" | "queued";
  rendered: { subject: string; text: string; html: string } | null;
  lastError: string | null;
  providerMessageId: string | null;
}

/**
 * Ends an attempt: stores what was rendered, the outcome and (when sent) the provider's id and
 * time. Only the attempt that took the row may end it. Returns whether it did.
 */
export async function finishEmail(db: Db, o: EmailOutcome): Promise<boolean> {
  const result = await db.execute(sql`
    update emails set
      status = ${o.status}::text,
      subject = coalesce(${o.rendered?.subject ?? null}::text, subject),
      text = coalesce(${o.rendered?.text ?? null}::text, text),
      html = coalesce(${o.rendered?.html ?? null}::text, html),
      last_error = coalesce(${o.lastError}::text, last_error),
      provider_message_id = coalesce(${o.providerMessageId}::text, provider_message_id),
      sent_at = case when ${o.status}::text = 'sent' then now() else sent_at end,
      updated_at = now()
    where id = ${o.id}::uuid and status = 'sending' and attempts = ${o.attempts}::int`);
  return rowCount(result) > 0;
}

// ---------------------------------------------------------------------------------------------
// the outbox API

export interface EmailRow {
  id: string;
  kind: string;
  to: string;
  user_id: string | null;
  link_code: string | null;
  subject: string | null;
  text: string | null;
  html: string | null;
  status: EmailStatus;
  attempts: number;
  last_error: string | null;
  provider_message_id: string | null;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
  /** created_at with microseconds: the pagination cursor's key. */
  cursor_at: string;
}

/** Newest first, keyset-paginated by (created_at, id); `to` is matched exactly (normalized). */
export async function listEmails(
  db: Db,
  p: {
    appspaceId: string;
    to?: string;
    status?: EmailStatus;
    limit: number;
    after?: { createdAt: string; id: string };
  },
): Promise<EmailRow[]> {
  const result = await db.execute(sql`
    select id, kind, to_address as "to", user_id, link_code, subject, text, html, status, attempts, last_error,
           provider_message_id, ${iso("created_at")} as created_at, ${iso("updated_at")} as updated_at,
           ${iso("sent_at")} as sent_at, ${isoMicros("created_at")} as cursor_at
    from emails
    where appspace_id = ${p.appspaceId}::uuid
      ${p.to === undefined ? sql`` : sql`and to_address = ${p.to}::text`}
      ${p.status === undefined ? sql`` : sql`and status = ${p.status}::text`}
      ${p.after ? sql`and (created_at, id) < (${p.after.createdAt}::timestamptz, ${p.after.id}::uuid)` : sql``}
    order by created_at desc, id desc
    limit ${p.limit}::int`);
  return rowsOf<EmailRow>(result);
}

// ---------------------------------------------------------------------------------------------
// unsubscribes

/** Whether the user exists, and whether they have unsubscribed; undefined for an unknown user. */
export async function unsubscribeState(db: Db, userId: string): Promise<{ unsubscribed: boolean } | undefined> {
  const result = await db.execute(sql`
    select unsubscribed_at is not null as unsubscribed from users where id = ${userId}::uuid`);
  return rowsOf<{ unsubscribed: boolean }>(result)[0];
}

/**
 * Unsubscribes a user from their appspace's emails (later links queue none: src/db/link-api.ts).
 * Idempotent: the first time is kept. False for an unknown user.
 */
export async function unsubscribeUser(db: Db, userId: string): Promise<boolean> {
  const result = await db.execute(sql`
    update users
       set unsubscribed_at = coalesce(unsubscribed_at, now()),
           updated_at = case when unsubscribed_at is null then now() else updated_at end
     where id = ${userId}::uuid
    returning id`);
  return rowsOf<{ id: string }>(result).length > 0;
}
