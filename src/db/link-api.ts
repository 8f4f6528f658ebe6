import { sql } from "drizzle-orm";
import type { Db } from "./client";

/**
 * Link API data access: sign-up + link + consent + email outbox + event in one statement, and the
 * reads around them. As elsewhere, what must happen once is decided by unique indexes
 * (users per appspace by email, links per user and promotion, one email per link), never by
 * read-then-write.
 */

const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;
const iso = (expr: string) => sql.raw(`to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

export interface CreateLinkInput {
  appspaceId: string;
  promotionId: string;
  /** Normalized (the identity) and canonical (self-referral) forms. */
  email: string;
  emailCanonical: string;
  name: string | null;
  externalUserId: string | null;
  userMetadata: Record<string, unknown> | null;
  locale: string | null;
  /** A fresh 8-character code, used if this call creates the link. */
  code: string;
  rewardReceiver: string | null;
  targetUrl: string | null;
  /** The host of targetUrl: it must be one of the promotion's allowed_hosts. */
  targetHost: string | null;
  productId: string | null;
  linkMetadata: Record<string, unknown> | null;
  consentTextVersion: string | null;
  consentSource: string;
  sendEmail: boolean;
  urlPrefix: string | null;
}

export interface LinkWithUser {
  user: { id: string; email: string; created: boolean };
  link: {
    code: string;
    created: boolean;
    promotion_id: string;
    reward_receiver: string;
    target_url: string;
    product_id: string | null;
    created_at: string;
  };
  emailId: string | null;
}

export type CreateLinkResult =
  | { kind: "promotion_inactive" }
  | { kind: "target_not_allowed" }
  | ({ kind: "ok" } & LinkWithUser);

/**
 * One round trip. The promotion must be active and allow the target's host, or nothing is
 * written. A repeat (same email, any case; same promotion) returns the existing user and link
 * (`created: false`) and queues no email; the user's profile fields given again are updated.
 */
export async function createLink(db: Db, p: CreateLinkInput): Promise<CreateLinkResult> {
  const json = (v: Record<string, unknown> | null) => (v === null ? null : JSON.stringify(v));
  const result = await db.execute(sql`
    with p as (
      select id, reward_receiver, target_url, product_id, allowed_hosts from promotions
      where id = ${p.promotionId}::uuid and appspace_id = ${p.appspaceId}::uuid and archived_at is null
        and (starts_at is null or starts_at <= now()) and (ends_at is null or ends_at > now())
    ), ok as (
      select p.* from p where ${p.targetHost}::text is null or p.allowed_hosts @> to_jsonb(${p.targetHost}::text)
    ), u as (
      insert into users (appspace_id, email, email_canonical, name, external_user_id, metadata, locale)
      select ${p.appspaceId}::uuid, ${p.email}::text, ${p.emailCanonical}::text, ${p.name}::text,
             ${p.externalUserId}::text, ${json(p.userMetadata)}::jsonb, ${p.locale}::text
      where exists (select 1 from ok)
      on conflict (appspace_id, email) do update set
        name = coalesce(excluded.name, users.name),
        external_user_id = coalesce(excluded.external_user_id, users.external_user_id),
        metadata = coalesce(excluded.metadata, users.metadata),
        locale = coalesce(excluded.locale, users.locale),
        updated_at = now()
      returning id, email, unsubscribed_at, (xmax = 0) as created
    ), l as (
      insert into links (code, appspace_id, user_id, promotion_id, reward_receiver, target_url, product_id, metadata)
      select ${p.code}::text, ${p.appspaceId}::uuid, u.id, ok.id, ${p.rewardReceiver}::text, ${p.targetUrl}::text,
             ${p.productId}::text, ${json(p.linkMetadata)}::jsonb
      from u, ok
      -- A repeat keeps the link as it was first shared; the no-op update makes it return the row.
      on conflict (user_id, promotion_id) do update set promotion_id = links.promotion_id
      returning code, reward_receiver, target_url, product_id, created_at, (xmax = 0) as created
    ), consent as (
      insert into consents (appspace_id, user_id, text_version, source)
      select ${p.appspaceId}::uuid, u.id, ${p.consentTextVersion}::text, ${p.consentSource}::text from u
    ), e as (
      insert into emails (appspace_id, user_id, link_code, kind, to_address, status)
      select ${p.appspaceId}::uuid, u.id, l.code, 'link', u.email, 'queued'
      from u, l
      where l.created and ${p.sendEmail}::boolean and u.unsubscribed_at is null
      on conflict (link_code, kind) do nothing
      returning id
    ), ev as (
      insert into events (appspace_id, type, data)
      select ${p.appspaceId}::uuid, 'link.created', jsonb_build_object(
        'link_code', l.code, 'user_id', u.id, 'promotion_id', ok.id,
        'link_url', ${p.urlPrefix}::text || l.code)
      from u, l, ok where l.created
    )
    select exists (select 1 from p) as promotion_active, exists (select 1 from ok) as target_ok,
           (select row_to_json(x) from (select id, email, created from u) x) as "user",
           (select row_to_json(x) from (
              select l.code, l.created, ok.id as promotion_id,
                     coalesce(l.reward_receiver, ok.reward_receiver) as reward_receiver,
                     coalesce(l.target_url, ok.target_url) as target_url,
                     coalesce(l.product_id, ok.product_id) as product_id,
                     ${iso("l.created_at")} as created_at
              from l, ok) x) as link,
           (select id from e) as email_id`);
  const [row] = rowsOf<{
    promotion_active: boolean;
    target_ok: boolean;
    user: LinkWithUser["user"] | null;
    link: LinkWithUser["link"] | null;
    email_id: string | null;
  }>(result);
  if (!row?.promotion_active) return { kind: "promotion_inactive" };
  if (!row.target_ok) return { kind: "target_not_allowed" };
  if (!row.user || !row.link) throw new Error("link statement returned no user or link");
  return { kind: "ok", user: row.user, link: row.link, emailId: row.email_id };
}

export interface LinkDetail {
  code: string;
  user_id: string;
  promotion_id: string;
  reward_receiver: string;
  target_url: string;
  product_id: string | null;
  metadata: Record<string, unknown> | null;
  created_at: string;
  clicks: number;
  referrals: number;
  conversions: number;
}

/** A link of this appspace with its counts: clicks, referees who converted at all, and completions. */
export async function findLinkDetail(db: Db, appspaceId: string, code: string): Promise<LinkDetail | undefined> {
  const result = await db.execute(sql`
    select l.code, l.user_id, l.promotion_id,
           coalesce(l.reward_receiver, p.reward_receiver) as reward_receiver,
           coalesce(l.target_url, p.target_url) as target_url,
           coalesce(l.product_id, p.product_id) as product_id,
           l.metadata, ${iso("l.created_at")} as created_at,
           (select count(*)::int from clicks k where k.code = l.code) as clicks,
           (select count(*)::int from referrals r where r.link_code = l.code) as referrals,
           (select count(*)::int from referrals r where r.link_code = l.code and r.status = 'completed') as conversions
    from links l join promotions p on p.id = l.promotion_id
    where l.code = ${code}::text and l.appspace_id = ${appspaceId}::uuid`);
  return rowsOf<LinkDetail>(result)[0];
}

export interface UserRow {
  id: string;
  email: string;
  name: string | null;
  external_user_id: string | null;
  metadata: Record<string, unknown> | null;
  locale: string | null;
  unsubscribed_at: string | null;
  created_at: string;
  updated_at: string;
}

const userColumns = sql.join(
  [
    sql.raw("u.id, u.email, u.name, u.external_user_id, u.metadata, u.locale"),
    sql`${iso("u.unsubscribed_at")} as unsubscribed_at`,
    sql`${iso("u.created_at")} as created_at`,
    sql`${iso("u.updated_at")} as updated_at`,
  ],
  sql`, `,
);

export async function findUser(
  db: Db,
  appspaceId: string,
  by: { id: string } | { email: string },
): Promise<UserRow | undefined> {
  const where = "id" in by ? sql`u.id = ${by.id}::uuid` : sql`u.email = ${by.email}::text`;
  const result = await db.execute(sql`
    select ${userColumns} from users u where u.appspace_id = ${appspaceId}::uuid and ${where}`);
  return rowsOf<UserRow>(result)[0];
}
