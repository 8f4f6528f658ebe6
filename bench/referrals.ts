import { performance } from "node:perf_hooks";
import { neonConfig } from "@neondatabase/serverless";
import pg from "pg";
import { type Db, getDb } from "../src/db/client";
import { leaderboard, listReferralsByUser, type StatusFilter } from "../src/db/referrals";
import { createCleanup, runBench } from "./support/cleanup";
import { startGatewayOnFreePort, startThrowawayPostgres } from "./support/postgres";
import {
  benchAppspace,
  REFERRALS_PER_REFERRER,
  referralStatsSql,
  referralsSeedSql,
  SEED_SIZES,
} from "./support/seed-referrals";

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 20);
const MAX_RATIO = 2;
type SizeLabel = (typeof SEED_SIZES)[number]["label"];

const log = (line: string) => console.log(line);
const ms = (t: number) => `${t.toFixed(2)} ms`;

// ---------------------------------------------------------------------------------------------
// cleanup: everything started here is stopped on exit, error or signal

const teardown = createCleanup();

// ---------------------------------------------------------------------------------------------
// database + gateway

const register = teardown.add;

interface Tenant {
  label: SizeLabel;
  n: number;
  appspaceId: string;
  heaviest: { id: string; total: number; completed: number };
  typical: { id: string; total: number };
}

async function seed(client: pg.Client): Promise<Tenant[]> {
  await client.query("set synchronous_commit = off");
  const tenants: Tenant[] = [];
  for (const size of SEED_SIZES) {
    const started = performance.now();
    const space = { id: await benchAppspace(client, `bench-referrals-${size.label}`, register, log) };
    await client.query(referralsSeedSql(size.tag), [space.id, size.n]);
    await client.query(referralStatsSql, [space.id]);
    const {
      rows: [heaviest],
    } = await client.query<{ id: string; total: number; completed: number }>(
      `select referrer_id as id, total, completed from referrer_stats
       where appspace_id = $1 order by total desc, referrer_id limit 1`,
      [space.id],
    );
    // The typical referrer: one with the median number of referrals.
    const {
      rows: [typical],
    } = await client.query<{ id: string; total: number }>(
      `with m as (select percentile_disc(0.5) within group (order by total) as total
                  from referrer_stats where appspace_id = $1)
       select s.referrer_id as id, s.total from referrer_stats s, m
       where s.appspace_id = $1 and s.total = m.total order by s.referrer_id limit 1`,
      [space.id],
    );
    if (!heaviest || !typical) throw new Error("seeded appspace has no referrers");
    tenants.push({ label: size.label, n: size.n, appspaceId: space.id, heaviest, typical });
    log(
      `seeded ${size.label}: ${size.n.toLocaleString("en-US")} referrals, ` +
        `${(size.n / REFERRALS_PER_REFERRER).toLocaleString("en-US")} referrers ` +
        `(heaviest ${heaviest.id}: ${heaviest.total} referrals, ${heaviest.completed} completed; ` +
        `typical ${typical.id}: ${typical.total}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  const started = performance.now();
  await client.query("vacuum (analyze) referrals, referrer_stats");
  log(`vacuum analyze in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return tenants;
}

// ---------------------------------------------------------------------------------------------
// measurement

interface Case {
  name: string;
  /** Runs the real query function; returns the number of rows it answered. */
  run(db: Db, tenant: Tenant): Promise<number>;
  /** Rows the answer must have (sanity: the bench measures real work, not empty answers). */
  expect(tenant: Tenant): number;
}

const byUser =
  (who: "typical" | "heaviest", status?: StatusFilter) =>
  async (db: Db, t: Tenant): Promise<number> => {
    const result = await listReferralsByUser(db, {
      appspaceId: t.appspaceId,
      referrerId: t[who].id,
      status,
      limit: 50,
    });
    const expectedTotal = status === "completed" ? t.heaviest.completed : t[who].total;
    if (result.total !== expectedTotal) {
      throw new Error(`by-user ${who} ${status ?? ""} at ${t.label}: total ${result.total} != ${expectedTotal}`);
    }
    return result.referrals.length;
  };

const CASES: Case[] = [
  {
    name: "leaderboard limit 25",
    run: async (db, t) => (await leaderboard(db, { appspaceId: t.appspaceId, limit: 25 })).length,
    expect: () => 25,
  },
  {
    name: "leaderboard limit 100",
    run: async (db, t) => (await leaderboard(db, { appspaceId: t.appspaceId, limit: 100 })).length,
    expect: () => 100,
  },
  { name: "by-user typical, limit 50", run: byUser("typical"), expect: (t) => Math.min(50, t.typical.total) },
  { name: "by-user heaviest, limit 50", run: byUser("heaviest"), expect: (t) => Math.min(50, t.heaviest.total) },
  {
    name: "by-user heaviest, completed, limit 50",
    run: byUser("heaviest", "completed"),
    expect: (t) => Math.min(50, t.heaviest.completed),
  },
];

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;

async function measure(db: Db, tenants: Tenant[]) {
  const samples = new Map<string, number[]>();
  const key = (c: Case, t: Tenant) => `${c.name}|${t.label}`;
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    for (const c of CASES) {
      // Alternate which size goes first so neither always follows the other.
      const order = i % 2 === 0 ? tenants : [...tenants].reverse();
      for (const t of order) {
        const started = performance.now();
        const rows = await c.run(db, t);
        const elapsed = performance.now() - started;
        if (rows !== c.expect(t)) throw new Error(`${c.name} at ${t.label}: ${rows} rows, expected ${c.expect(t)}`);
        if (i < WARMUP) continue;
        const list = samples.get(key(c, t)) ?? [];
        list.push(elapsed);
        samples.set(key(c, t), list);
      }
    }
  }
  return CASES.map((c) => {
    const stats = (label: SizeLabel) => {
      const t = tenants.find((x) => x.label === label);
      const sorted = [...(samples.get(t ? key(c, t) : "") ?? [])].sort((a, b) => a - b);
      return { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) };
    };
    const small = stats("10k");
    const large = stats("1M");
    return { name: c.name, small, large, ratio: large.p50 / small.p50 };
  });
}

// ---------------------------------------------------------------------------------------------
// EXPLAIN of the exact SQL the driver sends (captured from its fetch), at 1M

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Relation Name"?: string;
  "Parent Relationship"?: string;
  "Subplan Name"?: string;
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  Plans?: PlanNode[];
}

function flatten(node: PlanNode, out: string[] = []): string[] {
  const where = node["Index Name"] ?? node["Relation Name"];
  const sub = node["Subplan Name"] ? `[${node["Subplan Name"]}] ` : "";
  const loops = (node["Actual Loops"] ?? 1) > 1 ? ` x${node["Actual Loops"]}` : "";
  out.push(`${sub}${node["Node Type"]}${where ? ` (${where})` : ""} rows=${node["Actual Rows"] ?? "?"}${loops}`);
  for (const child of node.Plans ?? []) flatten(child, out);
  return out;
}

async function explainAt1M(db: Db, client: pg.Client, tenant: Tenant) {
  log(`\nEXPLAIN (ANALYZE, BUFFERS) at 1M — the exact SQL + params each function sent (captured from the driver):`);
  for (const c of CASES) {
    let captured: { query: string; params?: unknown[] } | undefined;
    // Wraps getDb's fetch (which adds the content type the gateway requires) rather than replacing it.
    const previous = neonConfig.fetchFunction as typeof fetch | undefined;
    neonConfig.fetchFunction = (url: string, init: RequestInit) => {
      captured = JSON.parse(String(init.body)) as typeof captured;
      return (previous ?? fetch)(url, init);
    };
    try {
      await c.run(db, tenant);
    } finally {
      neonConfig.fetchFunction = previous;
    }
    if (!captured) throw new Error(`no query captured for ${c.name}`);
    const { rows } = await client.query<{ "QUERY PLAN": [{ Plan: PlanNode; "Execution Time": number }] }>(
      `explain (analyze, buffers, format json) ${captured.query}`,
      captured.params ?? [],
    );
    const [result] = rows[0]?.["QUERY PLAN"] ?? [];
    if (!result) throw new Error(`no plan for ${c.name}`);
    const top = result.Plan;
    const buffers = (top["Shared Hit Blocks"] ?? 0) + (top["Shared Read Blocks"] ?? 0);
    log(`  ${c.name}: ${top["Node Type"]}, execution ${ms(result["Execution Time"])}, ${buffers} buffers`);
    log(`    ${flatten(top).join(" > ")}`);
  }
}

// ---------------------------------------------------------------------------------------------

function printTable(results: Awaited<ReturnType<typeof measure>>) {
  const header = ["query", "p50 10k", "p50 1M", "ratio", "result", "p95 10k", "p95 1M"];
  const rows = results.map((r) => [
    r.name,
    ms(r.small.p50),
    ms(r.large.p50),
    r.ratio.toFixed(2),
    r.ratio <= MAX_RATIO ? "PASS" : "FAIL",
    ms(r.small.p95),
    ms(r.large.p95),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
  log(`\n${line(header)}`);
  log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) log(line(row));
}

async function main(): Promise<number> {
  const started = performance.now();
  const databaseUrl = process.env.DATABASE_URL || startThrowawayPostgres(register, log);
  const gateway = await startGatewayOnFreePort(databaseUrl, register, log); // applies the migrations
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  register(() => client.end());

  const tenants = await seed(client);
  const db = getDb({ databaseUrl: gateway.connectionString, neonLocalEndpoint: gateway.url });

  log(`\nmeasuring: ${WARMUP} warm-up + ${ITERATIONS} timed calls per query and size, sizes interleaved`);
  const results = await measure(db, tenants);
  printTable(results);

  const large = tenants.find((t) => t.label === "1M");
  if (large) await explainAt1M(db, client, large);

  const failed = results.filter((r) => !(r.ratio <= MAX_RATIO));
  log(
    `\n${failed.length === 0 ? "PASS" : `FAIL (${failed.length} of ${results.length})`}: ratio = p50 at 1M / p50 at 10k, ` +
      `must be <= ${MAX_RATIO}. Timings are end to end: Neon HTTP driver -> gateway -> PostgreSQL.`,
  );
  log(`reproduce: npm run bench:referrals   (total ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  return failed.length === 0 ? 0 : 1;
}

await runBench(main, teardown);
