import { sql } from "drizzle-orm";
import type { Db } from "./client";

/** Reads behind the edge caches, claims of deferred links, and click batches. */

const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;

export interface LinkRow {
  code: string;
  appspace_id: string;
  status: "pending" | "completed" | "expired";
  expires_at_ms: string;
  referrer_name: string | null;
  /** Link API links: the promotion and the link's own target URL (null: the promotion's). */
  promotion_id: string | null;
  target_url: string | null;
}

/**
 * Edge-cache refreshes that run in `waitUntil` say so in a leading SQL comment, so they can be
 * told apart from reads on a response path (pg_stat_statements, the redirect benchmark).
 */
const origin = (background: boolean) => sql.raw(background ? "/* edge-cache refresh */ " : "");

/**
 * One round trip, two primary-key/unique probes: the referral code, or the Link API link, behind
 * /ref/:code (a snapshot cache miss). A link never expires; its name is its user's.
 */
export async function findLink(db: Db, code: string, p = { background: false }): Promise<LinkRow | undefined> {
  const result = await db.execute(sql`${origin(p.background)}
    select r.code, r.appspace_id,
           case when r.status = 'pending' and r.expires_at <= now() then 'expired' else r.status end as status,
           (extract(epoch from r.expires_at) * 1000)::bigint::text as expires_at_ms,
           r.referrer_name, null::uuid as promotion_id, null::text as target_url
    from referrals r
    -- A Link API referral's own code is internal: its link is what visitors follow.
    where r.code = ${code}::text and r.link_code is null
    union all
    select l.code, l.appspace_id, 'pending', ${String(Number.MAX_SAFE_INTEGER)}::text, u.name, l.promotion_id, l.target_url
    from links l join users u on u.id = l.user_id
    where l.code = ${code}::text`);
  return rowsOf<LinkRow>(result)[0];
}

/** What the edge needs of an appspace: its link domains and its settings. */
export async function findAppspaceEdge(
  db: Db,
  appspaceId: string,
  p = { background: false },
): Promise<{ id: string; domains: string[]; settings: Record<string, unknown> } | undefined> {
  const result = await db.execute(sql`${origin(p.background)}
    select a.id, a.domains, a.settings from appspaces a where a.id = ${appspaceId}::uuid`);
  return rowsOf<{ id: string; domains: string[]; settings: Record<string, unknown> }>(result)[0];
}

/** What the edge needs of a promotion: where its links land and whether phones go to the stores. */
export async function findPromotionEdge(
  db: Db,
  promotionId: string,
  p = { background: false },
): Promise<{ target_url: string; app_routing: boolean } | undefined> {
  const result = await db.execute(sql`${origin(p.background)}
    select target_url, app_routing from promotions where id = ${promotionId}::uuid`);
  return rowsOf<{ target_url: string; app_routing: boolean }>(result)[0];
}

/** The appspace that owns a link domain (one primary-key probe of appspace_domains). */
export async function findAppspaceByHost(
  db: Db,
  host: string,
  p = { background: false },
): Promise<{ id: string } | undefined> {
  const result = await db.execute(sql`${origin(p.background)}
    select d.appspace_id as id from appspace_domains d where d.domain = ${host}::text`);
  return rowsOf<{ id: string }>(result)[0];
}

/**
 * Claims a deferred link, at most once: the token is the primary key, so of any number of
 * concurrent claims one inserts. The `deferred_link.claimed` event is written in the same
 * statement.
 */
export async function claimDeferred(
  db: Db,
  p: { token: string; appspaceId: string; code: string; method: "token" | "match" | "code"; path: string },
): Promise<boolean> {
  const result = await db.execute(sql`
    with claimed as (
      insert into deferred_claims (token, appspace_id, code, method)
      values (${p.token}::text, ${p.appspaceId}::uuid, ${p.code}::text, ${p.method}::text)
      on conflict (token) do nothing
      returning token, appspace_id, code, method
    ), ev as (
      insert into events (appspace_id, type, data)
      select appspace_id, 'deferred_link.claimed',
             jsonb_build_object('token', token, 'referral_code', code, 'path', ${p.path}::text, 'method', method)
      from claimed
    )
    select count(*)::int as n from claimed`);
  return (rowsOf<{ n: number }>(result)[0]?.n ?? 0) > 0;
}

/** Which of these tokens were already claimed. */
export async function claimedTokens(db: Db, tokens: readonly string[]): Promise<Set<string>> {
  if (!tokens.length) return new Set();
  const result = await db.execute(sql`
    select token from deferred_claims where token in (${sql.join(
      tokens.map((t) => sql`${t}::text`),
      sql`, `,
    )})`);
  return new Set(rowsOf<{ token: string }>(result).map((r) => r.token));
}

export interface ClickRow {
  id: string;
  appspace_id: string;
  code: string;
  clicked_at: string;
  route: string;
  token: string | null;
  os: string | null;
  os_version: string | null;
  device_type: string | null;
  browser: string | null;
  browser_version: string | null;
  in_app: string | null;
  country: string | null;
  city: string | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
  referer_host: string | null;
  ip_hash: string | null;
  aid: string | null;
}

/**
 * A whole batch of clicks and their `link.clicked` events in one statement (payload fields from
 * the seed's webhook table: prefix, token, platform, device_type — plus the referral code).
 * Idempotent: a click whose id is stored already (a redelivered message) inserts nothing and
 * emits no second event. Clicks of an appspace deleted since are skipped, not a batch failure.
 * Returns the appspaces that got new events.
 */
export async function insertClicks(db: Db, rows: readonly ClickRow[]): Promise<string[]> {
  if (!rows.length) return [];
  const result = await db.execute(sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(
        id uuid, appspace_id uuid, code text, clicked_at timestamptz, route text, token text, os text,
        os_version text, device_type text, browser text, browser_version text, in_app text, country text,
        city text, utm_source text, utm_medium text, utm_campaign text, utm_term text, utm_content text,
        referer_host text, ip_hash text, aid text)
    ), ins as (
      insert into clicks (id, appspace_id, code, clicked_at, route, token, os, os_version, device_type, browser,
                          browser_version, in_app, country, city, utm_source, utm_medium, utm_campaign, utm_term,
                          utm_content, referer_host, ip_hash, aid)
      select i.id, i.appspace_id, code, clicked_at, route, token, os, os_version, device_type, browser,
             browser_version, in_app, country, city, utm_source, utm_medium, utm_campaign, utm_term, utm_content,
             referer_host, ip_hash, aid
      from input i join appspaces a on a.id = i.appspace_id
      on conflict (id) do nothing
      returning appspace_id, code, token, os, device_type, clicked_at
    ), ev as (
      insert into events (appspace_id, type, data)
      select appspace_id, 'link.clicked', jsonb_build_object(
        'prefix', 'ref', 'referral_code', code, 'token', token, 'platform', os, 'device_type', device_type)
      from ins
    )
    select distinct appspace_id from ins`);
  return rowsOf<{ appspace_id: string }>(result).map((r) => r.appspace_id);
}
