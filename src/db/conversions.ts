import { sql } from "drizzle-orm";
import type { Db } from "./client";

/**
 * Conversions (POST /v1/api/conversions): the order_id claim that makes a conversion happen once,
 * what a code converts on (a Link API link or a referral code), and the per-referee referral a
 * reusable link creates.
 */

const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;
const iso = (expr: string) => sql.raw(`to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/** How long a running conversion holds its order_id before a retry may take it over. */
const LOCK_SECONDS = 60;

export interface ConversionFields {
  appspaceId: string;
  orderId: string | null;
  aid: string | null;
  code: string;
  event: string;
  amount: string | null;
  currency: string | null;
  productId: string | null;
}

export interface StoredConversion {
  id: string;
  status: "running" | "done";
  referral_id: string | null;
  response_status: number | null;
  response_error: Record<string, unknown> | null;
  order_id: string | null;
  event: string;
  amount: string | null;
  currency: string | null;
  product_id: string | null;
  created_at: string;
}

const storedColumns = sql.join(
  [
    sql.raw("c.id, c.status, c.referral_id, c.response_status, c.response_error, c.order_id, c.event"),
    sql.raw("c.amount::text as amount, c.currency, c.product_id"),
    sql`${iso("c.created_at")} as created_at`,
  ],
  sql`, `,
);

export type OrderClaim =
  | { kind: "run"; id: string; fence: string }
  | { kind: "replay"; stored: StoredConversion }
  | { kind: "in_progress" };

/**
 * Claims an order_id for this appspace, in one transaction: of concurrent conversions of one
 * order, one inserts (or takes over an abandoned claim) and runs; the others see it running or
 * done. Without an order_id every call runs.
 */
export async function claimConversion(db: Db, p: ConversionFields): Promise<OrderClaim> {
  const values = sql`${p.appspaceId}::uuid, ${p.orderId}::text, ${p.aid}::text, ${p.code}::text, ${p.event}::text,
    ${p.amount}::numeric, ${p.currency}::text, ${p.productId}::text, 'running',
    now() + make_interval(secs => ${LOCK_SECONDS})`;
  const insert = sql`
    insert into conversions (appspace_id, order_id, aid, code, event, amount, currency, product_id, status, locked_until)
    values (${values})`;
  if (p.orderId === null) {
    const result = await db.execute(sql`${insert} returning id, locked_until::text as fence`);
    const [row] = rowsOf<{ id: string; fence: string }>(result);
    if (!row) throw new Error("conversion insert returned nothing");
    return { kind: "run", ...row };
  }
  const [claimed, current] = await db.batch([
    db.execute(sql`${insert}
      on conflict (appspace_id, order_id) do update set
        aid = excluded.aid, code = excluded.code, event = excluded.event, amount = excluded.amount,
        currency = excluded.currency, product_id = excluded.product_id, locked_until = excluded.locked_until
      where conversions.status = 'running' and conversions.locked_until < now()
      returning id, locked_until::text as fence`),
    db.execute(sql`select ${storedColumns} from conversions c
      where c.appspace_id = ${p.appspaceId}::uuid and c.order_id = ${p.orderId}::text`),
  ]);
  const [run] = rowsOf<{ id: string; fence: string }>(claimed);
  if (run) return { kind: "run", ...run };
  const [stored] = rowsOf<StoredConversion>(current);
  if (stored?.status === "done") return { kind: "replay", stored };
  return { kind: "in_progress" };
}

export async function findConversion(db: Db, appspaceId: string, id: string): Promise<StoredConversion | undefined> {
  const result = await db.execute(sql`
    select ${storedColumns} from conversions c where c.id = ${id}::uuid and c.appspace_id = ${appspaceId}::uuid`);
  return rowsOf<StoredConversion>(result)[0];
}

/** Records the first answer (a success's referral, or an error's status and body). */
export async function finishConversion(
  db: Db,
  p: { id: string; fence: string; referralId: string | null; status: number; error: Record<string, unknown> | null },
): Promise<void> {
  await db.execute(sql`
    update conversions set status = 'done', referral_id = ${p.referralId}::uuid, response_status = ${p.status}::int,
           response_error = ${p.error === null ? null : JSON.stringify(p.error)}::jsonb
    where id = ${p.id}::uuid and status = 'running' and locked_until = ${p.fence}::timestamptz`);
}

/** Our own failure (5xx): the claim goes, so a retry of the order runs again. */
export async function releaseConversion(db: Db, p: { id: string; fence: string }): Promise<void> {
  await db.execute(sql`
    delete from conversions where id = ${p.id}::uuid and status = 'running' and locked_until = ${p.fence}::timestamptz`);
}

export interface LinkTarget {
  kind: "link";
  code: string;
  user_id: string;
  user_name: string | null;
  email_canonical: string;
  external_user_id: string | null;
  reward_receiver: "referrer" | "referee" | "both";
  promotion_id: string;
  product_id: string | null;
  reward_type: string;
  reward_value: string | null;
  referee_reward_type: string;
  referee_reward_value: string | null;
  attribution_days: number;
  archived_at: string | null;
  starts_at: string | null;
  ends_at: string | null;
}

export type ConversionTarget = LinkTarget | { kind: "referral"; code: string };

/** What a code converts on, in this appspace: a Link API link (with its user and promotion) or a referral code. */
export async function findConversionTarget(
  db: Db,
  appspaceId: string,
  code: string,
): Promise<ConversionTarget | undefined> {
  const [links, referrals] = await db.batch([
    db.execute(sql`
      select 'link' as kind, l.code, l.user_id, u.name as user_name, u.email_canonical, u.external_user_id,
             coalesce(l.reward_receiver, p.reward_receiver) as reward_receiver, p.id as promotion_id,
             coalesce(l.product_id, p.product_id) as product_id,
             p.reward_type, p.reward_value, p.referee_reward_type, p.referee_reward_value, p.attribution_days,
             ${iso("p.archived_at")} as archived_at, ${iso("p.starts_at")} as starts_at, ${iso("p.ends_at")} as ends_at
      from links l join promotions p on p.id = l.promotion_id join users u on u.id = l.user_id
      -- A Link API referral's code converts on its link (and its promotion's rules).
      where l.appspace_id = ${appspaceId}::uuid and l.code = coalesce(
        (select r.link_code from referrals r where r.code = ${code}::text and r.appspace_id = ${appspaceId}::uuid),
        ${code}::text)`),
    db.execute(sql`
      select 'referral' as kind, r.code from referrals r
      where r.code = ${code}::text and r.appspace_id = ${appspaceId}::uuid and r.link_code is null`),
  ]);
  return rowsOf<LinkTarget>(links)[0] ?? rowsOf<{ kind: "referral"; code: string }>(referrals)[0];
}

export type LinkReferral =
  | { kind: "ok"; code: string }
  | { kind: "already_referred" }
  | { kind: "gone" }
  | { kind: "retry" };

/**
 * The referee's referral on a reusable link: the existing one, or a new pending one (with its
 * leaderboard counter and `referral.created` event) — unless the referee was already referred
 * elsewhere in this appspace. One statement; the (link_code, referred_user_id) index makes
 * concurrent first conversions of one referee create one referral (the loser sees `retry`).
 */
export async function ensureLinkReferral(
  db: Db,
  p: {
    appspaceId: string;
    linkCode: string;
    code: string;
    referee: string;
    promotionId: string;
    productId: string | null;
    expirationDays: number;
    referralUrlPrefix: string | null;
  },
): Promise<LinkReferral> {
  const result = await db.execute(sql`
    with owner as (
      -- Read here, not from the caller's earlier read: a user erased since has no link any more.
      select u.id::text as id, u.name from links l join users u on u.id = l.user_id
      where l.code = ${p.linkCode}::text and l.appspace_id = ${p.appspaceId}::uuid
    ), existing as (
      select code from referrals where link_code = ${p.linkCode}::text and referred_user_id = ${p.referee}::text
    ), done_elsewhere as (
      select 1 from referrals
      where appspace_id = ${p.appspaceId}::uuid and referred_user_id = ${p.referee}::text and status = 'completed'
        and link_code is distinct from ${p.linkCode}::text
    ), ins as (
      insert into referrals (appspace_id, code, referrer_id, referrer_name, referred_user_id, link_code, promotion_id,
                             product_id, milestone_history, expires_at)
      select ${p.appspaceId}::uuid, ${p.code}::text, owner.id, owner.name, ${p.referee}::text,
             ${p.linkCode}::text, ${p.promotionId}::uuid, ${p.productId}::text,
             jsonb_build_array(jsonb_build_object('milestone', 'pending', 'timestamp',
               to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))),
             now() + make_interval(days => ${p.expirationDays}::int)
      from owner
      where not exists (select 1 from existing) and not exists (select 1 from done_elsewhere)
      on conflict do nothing
      returning code, referrer_id, referrer_name
    ), stats as (
      insert into referrer_stats (appspace_id, referrer_id, referrer_name, total)
      select ${p.appspaceId}::uuid, referrer_id, referrer_name, 1 from ins
      on conflict (appspace_id, referrer_id) do update
        set total = referrer_stats.total + 1,
            referrer_name = coalesce(excluded.referrer_name, referrer_stats.referrer_name)
    ), ev as (
      insert into events (appspace_id, type, data)
      select ${p.appspaceId}::uuid, 'referral.created', jsonb_build_object(
        'referral_code', code, 'referrer_id', referrer_id, 'referral_url', ${p.referralUrlPrefix}::text || ${p.linkCode}::text,
        'link_code', ${p.linkCode}::text, 'promotion_id', ${p.promotionId}::text)
      from ins
    )
    select (select code from existing) as existing_code, (select code from ins) as created_code,
           exists (select 1 from done_elsewhere) as already_referred, not exists (select 1 from owner) as gone`);
  const [row] = rowsOf<{
    existing_code: string | null;
    created_code: string | null;
    already_referred: boolean;
    gone: boolean;
  }>(result);
  if (row?.gone) return { kind: "gone" };
  const code = row?.existing_code ?? row?.created_code;
  if (code) return { kind: "ok", code };
  if (row?.already_referred) return { kind: "already_referred" };
  return { kind: "retry" };
}

export interface ConversionReferral {
  id: string;
  code: string;
  link_code: string | null;
  promotion_id: string | null;
  referrer_id: string;
  referred_user_id: string | null;
  status: string;
  milestone: string;
  reward_type: string | null;
  reward_value: string | null;
  referee_reward_type: string | null;
  referee_reward_value: string | null;
  completed_at: string | null;
}

/** The referral a conversion answers with. */
export async function conversionReferral(
  db: Db,
  appspaceId: string,
  by: { id: string } | { code: string },
): Promise<ConversionReferral | undefined> {
  const where = "id" in by ? sql`r.id = ${by.id}::uuid` : sql`r.code = ${by.code}::text`;
  const result = await db.execute(sql`
    select r.id, r.code, r.link_code, r.promotion_id, r.referrer_id, r.referred_user_id,
           case when r.status = 'pending' and r.expires_at <= now() then 'expired' else r.status end as status,
           r.milestone, r.reward_type, r.reward_value, r.referee_reward_type, r.referee_reward_value,
           ${iso("r.completed_at")} as completed_at
    from referrals r where r.appspace_id = ${appspaceId}::uuid and ${where}`);
  return rowsOf<ConversionReferral>(result)[0];
}
