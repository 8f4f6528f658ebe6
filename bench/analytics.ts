/**
 * bench:analytics — do the analytics reads stay flat as data grows?
 *
 * Seeds two appspaces, one with 10k referrals and 10k clicks and one with 1M of each (referrals
 * shaped like a live appspace over the last year, bench/support/seed-referrals.ts; clicks over the
 * last 90 days with a realistic platform, country, UTM and route mix; one event per referral), lets
 * the cron's expiry step catch up as it does every minute in production, then times the real
 * query functions through the Neon HTTP driver → gateway → PostgreSQL, sizes interleaved:
 *
 * - stats: all time, and the last 30 days;
 * - a 30-day daily click breakdown by platform, and 7 days by the hour;
 * - the 7-day leaderboard (by completed, and by reward value);
 * - referral events per type over 30 days.
 *
 * Pass: every p50 at 1M / p50 at 10k ≤ 2. Reproduce: `npm run bench:analytics` (starts its own
 * throwaway PostgreSQL; with DATABASE_URL set it uses that database and removes what it seeded).
 */
import { performance } from "node:perf_hooks";
import pg from "pg";
import { resolveDays, resolveRange } from "../src/analytics/range";
import { clickBuckets, eventBuckets, persistExpiry, referralStats } from "../src/db/analytics";
import { type Db, getDb } from "../src/db/client";
import { leaderboard } from "../src/db/referrals";
import { createCleanup, runBench } from "./support/cleanup";
import { percentile } from "./support/load";
import { startGatewayOnFreePort, startThrowawayPostgres } from "./support/postgres";
import { ms, table } from "./support/redirect-setup";
import { benchAppspace, referralsSeedSql, SEED_SIZES, uniform } from "./support/seed-referrals";

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 20);
const MAX_RATIO = 2;

const log = (line: string) => console.log(line);
const teardown = createCleanup();

/**
 * N clicks over the last 90 days (physical order follows time), on the appspace's codes, with a
 * phone-heavy platform mix, 12 countries with a long tail, 8 UTM sources and no source for half.
 */
const clicksSeedSql = `
  insert into clicks (appspace_id, code, clicked_at, route, os, device_type, browser, country, utm_source, ip_hash)
  select $1::uuid, 'CODE' || lpad((g.i % 5000)::text, 6, '0'),
         now() - interval '90 days' * (1 - g.i::float8 / $2::int),
         (array['ios_page', 'play_store', 'interstitial', 'fallback'])[1 + floor(4 * ${uniform(11)})::int],
         (array['iOS', 'iOS', 'iOS', 'Android', 'Android', 'Mac OS', 'Windows', 'Linux'])[1 + floor(8 * ${uniform(12)})::int],
         (array['phone', 'phone', 'phone', 'tablet', 'desktop'])[1 + floor(5 * ${uniform(13)})::int],
         (array['safari', 'chrome', 'chrome', 'instagram', 'facebook', 'firefox', 'edge', 'samsung'])[1 + floor(8 * ${uniform(14)})::int],
         (array['US', 'US', 'US', 'DE', 'DE', 'GB', 'FR', 'BR', 'IN', 'JP', 'CA', 'ES'])[1 + floor(12 * power(${uniform(15)}, 1.5))::int],
         case when ${uniform(16)} < 0.5 then null
              else (array['newsletter', 'instagram', 'tiktok', 'facebook', 'google', 'twitter', 'reddit', 'sms'])[1 + floor(8 * ${uniform(17)})::int] end,
         md5('ip' || g.i)
  from generate_series(1::bigint, $2::bigint) as g(i)`;

/** One event per referral: created, then the completion's events for the completed ones. */
const eventsSeedSql = `
  insert into events (appspace_id, type, data, created_at, dispatched_at)
  select appspace_id, t.type, jsonb_build_object('referral_code', code), t.at, t.at
  from referrals r
  cross join lateral (values ('referral.created', r.created_at), ('referral.completed', r.completed_at)) as t(type, at)
  where r.appspace_id = $1::uuid and t.at is not null`;

interface Tenant {
  label: string;
  appspaceId: string;
}

interface Case {
  name: string;
  run(db: Db, t: Tenant): Promise<unknown>;
}

const range30 = () => resolveRange({ interval: "day" }, new Date());
const CASES: Case[] = [
  {
    name: "stats, all time",
    run: (db, t) => referralStats(db, { appspaceId: t.appspaceId, from: null, to: null, promotionId: null }),
  },
  {
    name: "stats, last 30 days",
    run: (db, t) => {
      const from = new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
      return referralStats(db, { appspaceId: t.appspaceId, ...resolveDays({ from }), promotionId: null });
    },
  },
  {
    name: "clicks 30 d daily by platform",
    run: (db, t) => clickBuckets(db, { appspaceId: t.appspaceId, range: range30(), groupBy: "platform", filters: {} }),
  },
  {
    name: "clicks 7 d hourly, all",
    run: (db, t) => {
      const range = resolveRange(
        { interval: "hour", from: new Date(Date.now() - 7 * 86_400_000).toISOString() },
        new Date(),
      );
      return clickBuckets(db, { appspaceId: t.appspaceId, range, groupBy: null, filters: {} });
    },
  },
  {
    name: "leaderboard 7 d, top 25",
    run: (db, t) => leaderboard(db, { appspaceId: t.appspaceId, limit: 25, period: "7d" }),
  },
  {
    name: "leaderboard 7 d by reward",
    run: (db, t) => leaderboard(db, { appspaceId: t.appspaceId, limit: 25, period: "7d", sort: "reward_value" }),
  },
  {
    name: "events 30 d by type",
    run: (db, t) => eventBuckets(db, { appspaceId: t.appspaceId, range: range30(), types: null }),
  },
];

async function seed(client: pg.Client, db: Db): Promise<Tenant[]> {
  await client.query("set synchronous_commit = off");
  const tenants: Tenant[] = [];
  for (const size of SEED_SIZES) {
    const started = performance.now();
    const space = { id: await benchAppspace(client, `bench-analytics-${size.label}`, teardown.add, log) };
    await client.query(referralsSeedSql(size.tag), [space.id, size.n]);
    await client.query(clicksSeedSql, [space.id, size.n]);
    await client.query(eventsSeedSql, [space.id]);
    tenants.push({ label: size.label, appspaceId: space.id });
    log(`seeded ${size.label}: referrals, clicks and events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  // What the cron does every minute: persist lazy expiry (the seed leaves pending referrals past
  // their expiry, as a database the cron hasn't seen for a while would have).
  let expired = 0;
  for (let n = -1; n !== 0; ) {
    n = await persistExpiry(db, 5_000);
    expired += n;
  }
  log(`cron expiry step: ${expired.toLocaleString("en-US")} referrals persisted as expired`);
  await client.query("vacuum (analyze)");
  return tenants;
}

async function measure(db: Db, tenants: Tenant[]) {
  const samples = new Map<string, number[]>();
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    for (const c of CASES) {
      const order = i % 2 === 0 ? tenants : [...tenants].reverse();
      for (const t of order) {
        const started = performance.now();
        await c.run(db, t);
        if (i < WARMUP) continue;
        const key = `${c.name}|${t.label}`;
        samples.set(key, [...(samples.get(key) ?? []), performance.now() - started]);
      }
    }
  }
  return CASES.map((c) => {
    const p50 = (label: string) =>
      percentile(
        [...(samples.get(`${c.name}|${label}`) ?? [])].sort((a, b) => a - b),
        0.5,
      );
    const small = p50("10k");
    const large = p50("1M");
    return { name: c.name, small, large, ratio: large / small };
  });
}

/** The answers must be real work at both sizes, and the same shape. */
async function sanity(db: Db, tenants: Tenant[]) {
  for (const t of tenants) {
    const stats = await referralStats(db, { appspaceId: t.appspaceId, from: null, to: null, promotionId: null });
    const board = await leaderboard(db, { appspaceId: t.appspaceId, limit: 25, period: "7d" });
    const clicks = await clickBuckets(db, {
      appspaceId: t.appspaceId,
      range: range30(),
      groupBy: "platform",
      filters: {},
    });
    const clickTotal = clicks.reduce((sum, r) => sum + r.count, 0);
    log(
      `  ${t.label}: stats ${JSON.stringify(stats)}; 7-day leaderboard ${board.length} rows (top: ${board[0]?.completed ?? 0} completed); ` +
        `clicks in 30 days ${clickTotal.toLocaleString("en-US")}`,
    );
    if (stats.total === 0 || board.length === 0 || clickTotal === 0) throw new Error(`${t.label}: empty answers`);
  }
}

async function main(): Promise<number> {
  const started = performance.now();
  const databaseUrl = process.env.DATABASE_URL || startThrowawayPostgres(teardown.add, log);
  const gateway = await startGatewayOnFreePort(databaseUrl, teardown.add, log); // applies the migrations
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  teardown.add(() => client.end());
  const db = getDb({ databaseUrl: gateway.connectionString, neonLocalEndpoint: gateway.url });

  const tenants = await seed(client, db);
  log("\nanswers:");
  await sanity(db, tenants);

  log(`\nmeasuring: ${WARMUP} warm-up + ${ITERATIONS} timed calls per query and size, sizes interleaved\n`);
  const results = await measure(db, tenants);
  table(
    log,
    ["query", "p50 10k", "p50 1M", "ratio", "result"],
    results.map((r) => [r.name, ms(r.small), ms(r.large), r.ratio.toFixed(2), r.ratio <= MAX_RATIO ? "PASS" : "FAIL"]),
  );
  const failed = results.filter((r) => !(r.ratio <= MAX_RATIO));
  log(
    `\n${failed.length === 0 ? "PASS" : `FAIL (${failed.length} of ${results.length})`}: ratio = p50 at 1M / p50 at 10k, ` +
      `must be <= ${MAX_RATIO}. End to end: Neon HTTP driver -> gateway -> PostgreSQL.`,
  );
  log(`reproduce: npm run bench:analytics   (total ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  return failed.length === 0 ? 0 : 1;
}

await runBench(main, teardown);
