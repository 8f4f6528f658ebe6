import { sql } from "drizzle-orm";
import type { Db } from "../src/db/client";

/**
 * Demo data for a dashboard that looks alive (`npm run seed`, and the browser tests' fixture):
 * referrals over the last 90 days across every status and milestone of the appspace's pipeline,
 * clicks with plausible platform, country and UTM mixes, the events those produce, and webhook
 * deliveries including failures. Written straight to the database (history can't be created
 * through an API that stamps `now()`), as one INSERT … SELECT per table: the analytics rollups are
 * kept by their triggers as for any other write, `referrer_stats` is rebuilt from the rows, and
 * every event is marked dispatched so the outbox doesn't send 90 days of history to webhooks.
 * Deterministic (hashes of the row number), so two runs look alike.
 */

export interface DemoSize {
  referrals: number;
  clicks: number;
  /** How far back the history goes (default 90 days). */
  days?: number;
}

/** Uniform [0, 1) per row and salt. */
const u = (salt: number) => sql.raw(`((hashint8extended(g.i, ${salt}) & 9007199254740991)::float8 / 9007199254740992)`);

const FIRST = [
  "Ava",
  "Ben",
  "Chloé",
  "Dev",
  "Emma",
  "Finn",
  "Gia",
  "Hugo",
  "Isla",
  "Jon",
  "Kai",
  "Lena",
  "Mia",
  "Noah",
  "Omar",
  "Pia",
  "Quinn",
  "Ravi",
  "Sara",
  "Tom",
];
const LAST = ["A.", "B.", "C.", "D.", "E.", "F.", "G.", "H.", "K.", "L.", "M.", "N.", "P.", "R.", "S.", "T."];
const arr = (values: readonly string[]) =>
  sql.raw(`array[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(",")}]`);

export async function seedDemoData(
  db: Db,
  p: { appspaceId: string; codePrefix: string; pipeline: readonly string[]; endpointId: string | null } & DemoSize,
): Promise<void> {
  const referrers = Math.max(1, Math.floor(p.referrals / 5));
  const days = sql.raw(`interval '${Math.max(1, Math.floor(p.days ?? 90))} days'`);
  const pipeline = p.pipeline;
  const last = pipeline.length;
  // Referrals: created over 90 days (more recently, more of them); completed ones a few days after
  // creation; a pending one past 30 days is expired (stored so, as the cron would have).
  await db.execute(sql`
    insert into referrals (appspace_id, code, referrer_id, referrer_name, referred_user_id, referred_user_name,
                           status, milestone, milestone_history, reward_type, reward_value, referee_reward_type,
                           referee_reward_value, reward_claimed, reward_claimed_at, referee_reward_claimed,
                           created_at, completed_at, expires_at)
    select ${p.appspaceId}::uuid, code, 'user_' || r, name, case when st = 'completed' then 'friend_' || g.i end,
           case when st = 'completed' then 'Friend ' || g.i end,
           st, case when st = 'completed' then ${pipeline[last - 1]}::text else (${arr(pipeline)})[step] end,
           (select jsonb_agg(jsonb_build_object('milestone', (${arr(pipeline)})[k],
                    'timestamp', to_char((created + (done - created) * ((k - 1)::float8 / greatest(1, case when st = 'completed' then ${last}::int else step end - 1))) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
              from generate_series(1, case when st = 'completed' then ${last}::int else step end) k),
           case when st = 'completed' then 'credit' end, case when st = 'completed' then ((1 + g.i % 3) * 5)::text end,
           case when st = 'completed' then 'discount' end, case when st = 'completed' then '10' end,
           st = 'completed' and ${u(7)} < 0.6, case when st = 'completed' and ${u(7)} < 0.6 then done end,
           st = 'completed' and ${u(8)} < 0.4,
           created, case when st = 'completed' then done end, created + interval '30 days'
    from (
      select g.i, r, created, created + least(interval '7 days', now() - created) * (0.1 + 0.9 * ${u(3)}) as done,
             ${p.codePrefix}::text || lpad(g.i::text, 10 - length(${p.codePrefix}::text), '0') as code,
             (${arr(FIRST)})[1 + (r % ${FIRST.length})] || ' ' || (${arr(LAST)})[1 + ((r / ${FIRST.length}) % ${LAST.length})] as name,
             case when ${u(2)} < 0.38 and created < now() - interval '1 day' then 'completed'
                  when created < now() - interval '30 days' then 'expired' else 'pending' end as st,
             1 + floor(${u(4)} * ${Math.max(1, last - 1)})::int as step
      from (
        select g.i, floor(${referrers} * power(${u(1)}, 2.2))::int as r,
               now() - ${days} * power(${u(5)}, 1.4) as created
        from generate_series(1, ${p.referrals}::int) as g(i)
      ) g
    ) g
    order by created
    -- At most one pending referral per referrer (as the API keeps it): later ones are dropped.
    on conflict do nothing`);
  await db.execute(sql`
    insert into referrer_stats (appspace_id, referrer_id, referrer_name, total, completed, total_reward_value)
    select appspace_id, referrer_id, max(referrer_name), count(*)::int, (count(*) filter (where status = 'completed'))::int,
           coalesce(sum(reward_value::numeric) filter (where status = 'completed'), 0)
    from referrals where appspace_id = ${p.appspaceId}::uuid group by appspace_id, referrer_id
    on conflict (appspace_id, referrer_id) do update
      set total = excluded.total, completed = excluded.completed, total_reward_value = excluded.total_reward_value,
          referrer_name = excluded.referrer_name`);
  // Clicks on those codes: phones mostly, a long tail of countries, half without a UTM source.
  await db.execute(sql`
    with codes as (
      select code, created_at, (row_number() over (order by code) - 1)::int as k
      from referrals where appspace_id = ${p.appspaceId}::uuid
    ), n as (select count(*)::int as n from codes)
    insert into clicks (appspace_id, code, clicked_at, route, os, device_type, browser, in_app, country, utm_source, ip_hash)
    select ${p.appspaceId}::uuid, r.code, greatest(r.created_at, now() - ${days} * power(${u(11)}, 1.3)),
           case when os = 'iOS' then 'ios_page' when os = 'Android' then 'play_store' else 'fallback' end,
           os, case when os in ('iOS', 'Android') then 'phone' else 'desktop' end,
           case when os = 'iOS' then 'safari' else 'chrome' end,
           case when ${u(16)} < 0.2 then (array['instagram', 'facebook', 'tiktok'])[1 + floor(3 * ${u(17)})::int] end,
           (array['US', 'US', 'US', 'DE', 'DE', 'GB', 'FR', 'BR', 'IN', 'JP', 'CA', 'ES'])[1 + floor(12 * power(${u(13)}, 1.5))::int],
           case when ${u(14)} < 0.5 then null
                else (array['newsletter', 'instagram', 'tiktok', 'facebook', 'google', 'sms'])[1 + floor(6 * ${u(15)})::int] end,
           md5('demo-ip' || g.i)
    from generate_series(1, ${p.clicks}::int) as g(i)
    cross join n
    cross join lateral (select (array['iOS', 'iOS', 'iOS', 'Android', 'Android', 'Mac OS', 'Windows'])[1 + floor(7 * ${u(12)})::int] as os) o
    join codes r on r.k = floor(${u(10)} * n.n)::int`);
  // The events those produced (dispatched long ago: the outbox leaves them alone).
  await db.execute(sql`
    insert into events (appspace_id, type, data, created_at, dispatched_at)
    select ${p.appspaceId}::uuid, t.type, jsonb_build_object('referral_code', r.code, 'referrer_id', r.referrer_id), t.at, t.at
    from referrals r
    cross join lateral (values ('referral.created', r.created_at),
                               ('referral.completed', r.completed_at),
                               ('referral.reward_claimed', r.reward_claimed_at)) as t(type, at)
    where r.appspace_id = ${p.appspaceId}::uuid and t.at is not null`);
  await db.execute(sql`
    insert into events (appspace_id, type, data, created_at, dispatched_at)
    select appspace_id, 'link.clicked', jsonb_build_object('referral_code', code, 'platform', os), clicked_at, clicked_at
    from clicks where appspace_id = ${p.appspaceId}::uuid`);
  if (p.endpointId) {
    // The last 40 completions' deliveries: most succeeded at once, some retried, a few failed.
    await db.execute(sql`
      insert into webhook_deliveries (endpoint_id, event_id, series, attempt, status, status_code, duration_ms, error,
                                      created_at, finished_at)
      select ${p.endpointId}::uuid, e.id, 'event:' || e.id, a.n,
             case when a.n < a.attempts then 'retrying' when a.failed then 'failed' else 'succeeded' end,
             case when a.n < a.attempts or a.failed then (array[500, 503, 502, 404])[1 + (a.n % 4)] else 200 end,
             40 + (abs(hashtext(e.id::text || a.n)) % 400),
             case when a.n < a.attempts or a.failed then 'receiver answered an error' end,
             e.created_at + (a.n - 1) * interval '5 minutes', e.created_at + (a.n - 1) * interval '5 minutes' + interval '1 second'
      from (select id, created_at, row_number() over (order by created_at desc) as k from events
            where appspace_id = ${p.appspaceId}::uuid and type = 'referral.completed'
            order by created_at desc limit 40) e
      cross join lateral (
        select n, case when e.k % 9 = 0 then 3 when e.k % 5 = 0 then 2 else 1 end as attempts, e.k % 9 = 0 as failed
        from generate_series(1, case when e.k % 9 = 0 then 3 when e.k % 5 = 0 then 2 else 1 end) n
      ) a`);
  }
}
