import { and, eq, sql } from "drizzle-orm";
import type { Db } from "./client";
import { events, webhookEndpoints } from "./schema";

/** Webhook endpoints, the outbox's dispatch side and the delivery log. */

const iso = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;

export interface EndpointRow {
  id: string;
  appspaceId: string;
  url: string;
  events: string[];
  active: boolean;
  disabledReason: string | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const endpointColumns = {
  id: webhookEndpoints.id,
  appspaceId: webhookEndpoints.appspaceId,
  url: webhookEndpoints.url,
  events: webhookEndpoints.events,
  active: webhookEndpoints.active,
  disabledReason: webhookEndpoints.disabledReason,
  previousSecretExpiresAt: webhookEndpoints.previousSecretExpiresAt,
  createdAt: webhookEndpoints.createdAt,
  updatedAt: webhookEndpoints.updatedAt,
};

/** Creates an endpoint for an existing appspace; undefined when the appspace does not exist. */
export async function createEndpoint(
  db: Db,
  p: { appspaceId: string; url: string; events: string[]; secret: string },
): Promise<EndpointRow | undefined> {
  const result = await db.execute(sql`
    insert into webhook_endpoints (appspace_id, url, events, secret)
    select id, ${p.url}::text, ${JSON.stringify(p.events)}::jsonb, ${p.secret}::text
    from appspaces where id = ${p.appspaceId}::uuid
    returning id, appspace_id as "appspaceId", url, events, active, disabled_reason as "disabledReason",
              previous_secret_expires_at as "previousSecretExpiresAt", created_at as "createdAt",
              updated_at as "updatedAt"`);
  return rowsOf<EndpointRow>(result)[0];
}

export function listEndpoints(db: Db, appspaceId: string): Promise<EndpointRow[]> {
  return db
    .select(endpointColumns)
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.appspaceId, appspaceId))
    .orderBy(webhookEndpoints.createdAt);
}

export async function getEndpoint(db: Db, id: string): Promise<EndpointRow | undefined> {
  const [row] = await db.select(endpointColumns).from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  return row;
}

export async function updateEndpoint(
  db: Db,
  id: string,
  p: { url?: string; events?: string[]; active?: boolean },
): Promise<EndpointRow | undefined> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      ...(p.url !== undefined ? { url: p.url } : {}),
      ...(p.events !== undefined ? { events: p.events } : {}),
      // Re-activating clears why it was disabled.
      ...(p.active !== undefined ? { active: p.active, ...(p.active ? { disabledReason: null } : {}) } : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(webhookEndpoints.id, id))
    .returning(endpointColumns);
  return row;
}

export async function deleteEndpoint(db: Db, id: string): Promise<boolean> {
  const rows = await db
    .delete(webhookEndpoints)
    .where(eq(webhookEndpoints.id, id))
    .returning({ id: webhookEndpoints.id });
  return rows.length > 0;
}

/** The new secret signs from now on; the old one keeps signing alongside it for `overlapHours`. */
export async function rotateSecret(
  db: Db,
  id: string,
  secret: string,
  overlapHours: number,
): Promise<EndpointRow | undefined> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      previousSecret: sql`${webhookEndpoints.secret}`,
      previousSecretExpiresAt: sql`now() + make_interval(hours => ${overlapHours}::int)`,
      secret,
      updatedAt: sql`now()`,
    })
    .where(eq(webhookEndpoints.id, id))
    .returning(endpointColumns);
  return row;
}

export interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  series: string;
  attempt: number;
  status: "sending" | "succeeded" | "retrying" | "failed";
  status_code: number | null;
  duration_ms: number | null;
  error: string | null;
  response_excerpt: string | null;
  next_retry_at: string | null;
  created_at: string;
  finished_at: string | null;
}

export async function listDeliveries(db: Db, endpointId: string, limit: number): Promise<DeliveryRow[]> {
  const result = await db.execute(sql`
    select d.id, d.event_id, e.type as event_type, d.series, d.attempt, d.status, d.status_code,
           d.duration_ms, d.error, d.response_excerpt,
           ${iso("d.next_retry_at")} as next_retry_at, ${iso("d.created_at")} as created_at,
           ${iso("d.finished_at")} as finished_at
    from webhook_deliveries d join events e on e.id = d.event_id
    where d.endpoint_id = ${endpointId}::uuid
    order by d.created_at desc nulls last, d.attempt desc
    limit ${limit}::int`);
  return rowsOf<DeliveryRow>(result);
}

/** An event of the endpoint's own appspace (replays never cross tenants). */
export async function findEventForEndpoint(
  db: Db,
  endpointId: string,
  eventId: string,
): Promise<{ id: string; type: string } | undefined> {
  const [row] = await db
    .select({ id: events.id, type: events.type })
    .from(events)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.appspaceId, events.appspaceId))
    .where(and(eq(webhookEndpoints.id, endpointId), eq(events.id, eventId)));
  return row;
}

/** A `webhook.test` event for one endpoint: written already dispatched, so the sweep skips it. */
export async function insertTestEvent(db: Db, endpointId: string): Promise<{ id: string } | undefined> {
  const result = await db.execute(sql`
    insert into events (appspace_id, type, data, dispatched_at)
    select appspace_id, 'webhook.test', jsonb_build_object('endpoint_id', id, 'message', 'This is a test event.'), now()
    from webhook_endpoints where id = ${endpointId}::uuid
    returning id`);
  return rowsOf<{ id: string }>(result)[0];
}

// ---------------------------------------------------------------------------------------------
// outbox dispatch

export interface PendingDispatch {
  event_id: string;
  /** null when no active endpoint subscribes: the event is only marked dispatched. */
  endpoint_id: string | null;
}

/** How long a dispatcher may hold events before another (the sweep) may send them again. */
const DISPATCH_LEASE_SECONDS = 30;

/**
 * Claims undispatched events, oldest first, and pairs each with every active endpoint subscribed
 * to it. The claim is a short lease taken with SKIP LOCKED, so concurrent dispatchers (one per
 * write, plus the cron sweep) each get different events instead of all sending the same ones; a
 * dispatcher that dies leaves a lease that expires, and the sweep sends those events then.
 */
export async function leasePendingDispatches(
  db: Db,
  p: { appspaceId?: string; limit: number; olderThanSeconds?: number },
): Promise<PendingDispatch[]> {
  const result = await db.execute(sql`
    with pending as (
      select id from events
      where dispatched_at is null
        and (dispatch_leased_until is null or dispatch_leased_until < now())
        ${p.appspaceId ? sql`and appspace_id = ${p.appspaceId}::uuid` : sql``}
        ${p.olderThanSeconds ? sql`and created_at <= now() - make_interval(secs => ${p.olderThanSeconds}::int)` : sql``}
      order by created_at
      limit ${p.limit}::int
      for update skip locked
    ), leased as (
      update events e set dispatch_leased_until = now() + make_interval(secs => ${DISPATCH_LEASE_SECONDS}::int)
      from pending where e.id = pending.id
      returning e.id, e.appspace_id, e.type, e.created_at
    )
    select l.id as event_id, w.id as endpoint_id
    from leased l
    left join webhook_endpoints w
      on w.appspace_id = l.appspace_id and w.active
     and (w.events @> '["*"]'::jsonb or w.events @> jsonb_build_array(l.type))
    order by l.created_at, w.created_at`);
  return rowsOf<PendingDispatch>(result);
}

export async function markDispatched(db: Db, eventIds: string[]): Promise<void> {
  if (!eventIds.length) return;
  await db.execute(sql`
    update events set dispatched_at = now()
    where dispatched_at is null and id in (${sql.join(
      eventIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    )})`);
}

// ---------------------------------------------------------------------------------------------
// delivery attempts

export interface AttemptClaim {
  event_id: string;
  event_type: string;
  event_data: Record<string, unknown>;
  event_created_at: string;
  endpoint_id: string;
  url: string;
  secret: string;
  previous_secret: string | null;
  active: boolean;
  /** The log row this attempt owns, or null when another delivery of this attempt got it. */
  delivery_id: string | null;
}

/** A 'sending' row older than this belongs to a consumer that died mid-attempt (sends time out at 10 s). */
const ABANDONED_AFTER_SECONDS = 60;

/**
 * Loads what an attempt needs and claims its log row, in one statement. The (series, attempt)
 * unique index makes the claim exactly-once: a duplicate queue message finds the row taken and
 * sends nothing — unless that row was abandoned by a consumer that died mid-send.
 */
export async function claimAttempt(
  db: Db,
  p: { series: string; attempt: number; eventId: string; endpointId: string },
): Promise<AttemptClaim | undefined> {
  const result = await db.execute(sql`
    with target as (
      select e.id as event_id, e.type as event_type, e.data as event_data,
             ${iso("e.created_at")} as event_created_at,
             w.id as endpoint_id, w.url, w.secret, w.active,
             case when w.previous_secret_expires_at > now() then w.previous_secret end as previous_secret
      from events e
      join webhook_endpoints w on w.id = ${p.endpointId}::uuid and w.appspace_id = e.appspace_id
      where e.id = ${p.eventId}::uuid
    ), ins as (
      insert into webhook_deliveries (endpoint_id, event_id, series, attempt, status)
      select endpoint_id, event_id, ${p.series}::text, ${p.attempt}::int, 'sending' from target where active
      on conflict (series, attempt) do nothing
      returning id
    ), takeover as (
      update webhook_deliveries d set created_at = now()
      where d.series = ${p.series}::text and d.attempt = ${p.attempt}::int and d.status = 'sending'
        and d.created_at < now() - make_interval(secs => ${ABANDONED_AFTER_SECONDS}::int)
        and exists (select 1 from target where active) and not exists (select 1 from ins)
      returning d.id
    )
    select t.*, coalesce((select id from ins), (select id from takeover)) as delivery_id from target t`);
  return rowsOf<AttemptClaim>(result)[0];
}

export async function finishAttempt(
  db: Db,
  p: {
    deliveryId: string;
    status: "succeeded" | "retrying" | "failed";
    statusCode: number | null;
    durationMs: number;
    error: string | null;
    responseExcerpt: string | null;
    nextRetrySeconds: number | null;
    disableEndpointReason: string | null;
  },
): Promise<void> {
  await db.execute(sql`
    with upd as (
      update webhook_deliveries
         set status = ${p.status}::text, status_code = ${p.statusCode}::int, duration_ms = ${p.durationMs}::int,
             error = ${p.error}::text, response_excerpt = ${p.responseExcerpt}::text, finished_at = now(),
             next_retry_at = case when ${p.nextRetrySeconds}::int is null then null
                                  else now() + make_interval(secs => ${p.nextRetrySeconds}::int) end
       where id = ${p.deliveryId}::uuid
      returning endpoint_id
    )
    update webhook_endpoints
       set active = false, disabled_reason = ${p.disableEndpointReason}::text, updated_at = now()
     where ${p.disableEndpointReason}::text is not null and id = (select endpoint_id from upd)`);
}

/** Dead-lettered: the series' last attempt is final. */
export async function markSeriesFailed(db: Db, series: string): Promise<void> {
  await db.execute(sql`
    update webhook_deliveries set status = 'failed', next_retry_at = null, finished_at = coalesce(finished_at, now())
    where id = (select id from webhook_deliveries where series = ${series}::text order by attempt desc limit 1)
      and status in ('sending', 'retrying')`);
}

/** Retention: drops log rows older than `days`, in bounded chunks. Returns how many went. */
export async function pruneDeliveries(db: Db, days: number, chunk = 5000): Promise<number> {
  const result = await db.execute(sql`
    delete from webhook_deliveries
    where id in (select id from webhook_deliveries
                 where created_at < now() - make_interval(days => ${days}::int) limit ${chunk}::int)`);
  return (result as unknown as { rowCount: number | null }).rowCount ?? 0;
}
