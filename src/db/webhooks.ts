import { and, eq, sql } from "drizzle-orm";
import { storable } from "../lib/validation";
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
  status: "pending" | "sending" | "succeeded" | "retrying" | "failed";
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
// outbox dispatch and the delivery schedule

/** One attempt to send: what a queue message names. */
export interface ScheduledAttempt {
  series: string;
  event_id: string;
  endpoint_id: string;
  attempt: number;
}

/**
 * Takes undispatched events, oldest first, marks them dispatched and writes attempt 1 of each
 * (event, active subscribed endpoint) as a `pending` row of the delivery log — one statement, so
 * an event is never marked dispatched without its attempts being written. The caller then sends
 * one queue message per attempt; if that send is lost, the rows are still pending and the sweep
 * (`takeOverdueAttempts`) sends them. SKIP LOCKED: concurrent dispatchers (one per write, plus the
 * cron) take different events.
 */
export async function dispatchPendingEvents(
  db: Db,
  p: { appspaceId?: string; limit: number; olderThanSeconds?: number },
): Promise<{ events: number; attempts: ScheduledAttempt[] }> {
  const result = await db.execute(sql`
    with pending as (
      select id, appspace_id, type, created_at from events
      where dispatched_at is null
        ${p.appspaceId ? sql`and appspace_id = ${p.appspaceId}::uuid` : sql``}
        ${p.olderThanSeconds ? sql`and created_at <= now() - make_interval(secs => ${p.olderThanSeconds}::int)` : sql``}
      order by created_at
      limit ${p.limit}::int
      for update skip locked
    ), marked as (
      update events e set dispatched_at = now() from pending where e.id = pending.id returning e.id
    ), scheduled as (
      insert into webhook_deliveries (endpoint_id, event_id, series, attempt, status, due_at)
      select w.id, p.id, p.id::text || ':' || w.id::text, 1, 'pending', now()
      from pending p
      join webhook_endpoints w
        on w.appspace_id = p.appspace_id and w.active
       and (w.events @> '["*"]'::jsonb or w.events @> jsonb_build_array(p.type))
      order by p.created_at, w.created_at
      on conflict (series, attempt) do nothing
      returning series, event_id, endpoint_id, attempt
    )
    select (select count(*) from marked)::int as events, s.series, s.event_id, s.endpoint_id, s.attempt
    from (select 1) one left join scheduled s on true`);
  const rows = rowsOf<{ events: number } & { [K in keyof ScheduledAttempt]: ScheduledAttempt[K] | null }>(result);
  const attempts = rows.filter((r): r is typeof r & ScheduledAttempt => r.series !== null);
  return {
    events: rows[0]?.events ?? 0,
    attempts: attempts.map(({ series, event_id, endpoint_id, attempt }) => ({
      series,
      event_id,
      endpoint_id,
      attempt,
    })),
  };
}

/** Writes attempt 1 of a replay or a test delivery, before its queue message is sent. */
export async function schedulePendingAttempt(
  db: Db,
  p: { series: string; eventId: string; endpointId: string },
): Promise<ScheduledAttempt> {
  await db.execute(sql`
    insert into webhook_deliveries (endpoint_id, event_id, series, attempt, status, due_at)
    values (${p.endpointId}::uuid, ${p.eventId}::uuid, ${p.series}::text, 1, 'pending', now())
    on conflict (series, attempt) do nothing`);
  return { series: p.series, event_id: p.eventId, endpoint_id: p.endpointId, attempt: 1 };
}

/** A pending attempt is re-sent once it is this overdue (its message was lost or dead-lettered). */
const OVERDUE_AFTER_SECONDS = 60;
/** A 'sending' row older than this belongs to a consumer that died mid-attempt (sends time out at 10 s). */
const ABANDONED_AFTER_SECONDS = 60;

/**
 * The sweep: attempts whose queue message never led to a send — lost, dead-lettered after our
 * own infrastructure failed (the database was away), or taken by a consumer that died — are
 * re-sent. Each is marked due now, so it is re-sent again only if this message is lost too.
 * Pending attempts of a disabled endpoint end as failed instead.
 */
export async function takeOverdueAttempts(db: Db, limit: number): Promise<ScheduledAttempt[]> {
  const result = await db.execute(sql`
    with overdue as (
      select d.id, w.active from webhook_deliveries d
      join webhook_endpoints w on w.id = d.endpoint_id
      where d.status in ('pending', 'sending')
        and d.due_at < now() - make_interval(secs => ${OVERDUE_AFTER_SECONDS}::int)
        and (d.status = 'pending'
             or coalesce(d.started_at, d.created_at) < now() - make_interval(secs => ${ABANDONED_AFTER_SECONDS}::int))
      order by d.due_at
      limit ${limit}::int
      for update of d skip locked
    ), cancelled as (
      update webhook_deliveries d
         set status = 'failed', error = 'the endpoint was disabled', due_at = null, finished_at = now()
      from overdue o where d.id = o.id and not o.active
    )
    update webhook_deliveries d set status = 'pending', due_at = now()
    from overdue o where d.id = o.id and o.active
    returning d.series, d.event_id, d.endpoint_id, d.attempt`);
  return rowsOf<ScheduledAttempt>(result);
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

/**
 * Loads what an attempt needs and takes its log row, in one statement: a `pending` row becomes
 * `sending`; a message for an attempt with no row yet (one sent before this schedule existed)
 * inserts it. The row's state makes the take exactly-once: a duplicate queue message finds it
 * taken and sends nothing — unless that row was abandoned by a consumer that died mid-send. A
 * pending attempt of a disabled endpoint ends as failed.
 */
export async function claimAttempt(db: Db, p: ScheduledAttempt): Promise<AttemptClaim | undefined> {
  const result = await db.execute(sql`
    with target as (
      select e.id as event_id, e.type as event_type, e.data as event_data,
             ${iso("e.created_at")} as event_created_at,
             w.id as endpoint_id, w.url, w.secret, w.active,
             case when w.previous_secret_expires_at > now() then w.previous_secret end as previous_secret
      from events e
      join webhook_endpoints w on w.id = ${p.endpoint_id}::uuid and w.appspace_id = e.appspace_id
      where e.id = ${p.event_id}::uuid
    ), ins as (
      insert into webhook_deliveries (endpoint_id, event_id, series, attempt, status, due_at, started_at)
      select endpoint_id, event_id, ${p.series}::text, ${p.attempt}::int, 'sending', now(), now() from target
      where active
        and not exists (select 1 from webhook_deliveries
                        where series = ${p.series}::text and attempt = ${p.attempt}::int)
      on conflict (series, attempt) do nothing
      returning id
    ), taken as (
      update webhook_deliveries d set status = 'sending', started_at = now()
      where d.series = ${p.series}::text and d.attempt = ${p.attempt}::int
        and exists (select 1 from target where active)
        and (d.status = 'pending'
             or (d.status = 'sending'
                 and coalesce(d.started_at, d.created_at) < now() - make_interval(secs => ${ABANDONED_AFTER_SECONDS}::int)))
      returning d.id
    ), cancelled as (
      update webhook_deliveries d
         set status = 'failed', error = 'the endpoint was disabled', due_at = null, finished_at = now()
      where d.series = ${p.series}::text and d.attempt = ${p.attempt}::int and d.status = 'pending'
        and not exists (select 1 from target where active)
    )
    select t.*, coalesce((select id from ins), (select id from taken)) as delivery_id from target t`);
  return rowsOf<AttemptClaim>(result)[0];
}

/**
 * Logs an attempt's outcome. A failure with attempts left writes the next attempt as `pending`,
 * due after `next.delaySeconds`, in the same statement: the schedule lives here, not in the
 * queue's retry counter, so our own failures (which the queue retries) never use up an attempt.
 */
export async function finishAttempt(
  db: Db,
  p: {
    deliveryId: string;
    status: "succeeded" | "retrying" | "failed";
    statusCode: number | null;
    durationMs: number;
    error: string | null;
    responseExcerpt: string | null;
    next: { attempt: number; delaySeconds: number } | null;
    disableEndpointReason: string | null;
  },
): Promise<void> {
  const delay = p.next?.delaySeconds ?? null;
  await db.execute(sql`
    with upd as (
      update webhook_deliveries
         set status = ${p.status}::text, status_code = ${p.statusCode}::int, duration_ms = ${p.durationMs}::int,
             error = ${p.error}::text, response_excerpt = ${p.responseExcerpt}::text, finished_at = now(),
             due_at = null,
             next_retry_at = case when ${delay}::int is null then null
                                  else now() + make_interval(secs => ${delay}::int) end
       where id = ${p.deliveryId}::uuid and status = 'sending'
      returning endpoint_id, event_id, series
    ), next_attempt as (
      insert into webhook_deliveries (endpoint_id, event_id, series, attempt, status, due_at)
      select endpoint_id, event_id, series, ${p.next?.attempt ?? null}::int, 'pending',
             now() + make_interval(secs => ${delay}::int)
      from upd where ${delay}::int is not null
      on conflict (series, attempt) do nothing
    )
    update webhook_endpoints
       set active = false, disabled_reason = ${p.disableEndpointReason}::text, updated_at = now()
     where ${p.disableEndpointReason}::text is not null and id = (select endpoint_id from upd)`);
}

/** What a dead-letter consumer got, once per message (a redelivered dead letter is recorded once). */
export async function recordDeadLetters(
  db: Db,
  queue: string,
  letters: readonly { messageId: string; body: unknown; attempts: number; outcome: string }[],
): Promise<void> {
  if (!letters.length) return;
  await db.execute(sql`
    insert into dead_letters (queue, message_id, body, attempts, outcome)
    select ${queue}::text, x.message_id, x.body, x.attempts, x.outcome
    from jsonb_to_recordset(${JSON.stringify(
      letters.map((l) => ({ message_id: l.messageId, body: l.body, attempts: l.attempts, outcome: l.outcome })),
      // A dead letter may be one *because* it holds what Postgres can't store (NUL, a lone surrogate).
      (_key, value) => (typeof value === "string" ? storable(value) : value),
    )}::jsonb) as x(message_id text, body jsonb, attempts int, outcome text)
    on conflict (queue, message_id) do nothing`);
}

/** Retention: drops log rows older than `days`, in bounded chunks. Returns how many went. */
export async function pruneDeliveries(db: Db, days: number, chunk = 5000): Promise<number> {
  const result = await db.execute(sql`
    delete from webhook_deliveries
    where id in (select id from webhook_deliveries
                 where created_at < now() - make_interval(days => ${days}::int)
                   and status not in ('pending', 'sending') -- unfinished work is never pruned
                 limit ${chunk}::int)`);
  return (result as unknown as { rowCount: number | null }).rowCount ?? 0;
}
