/**
 * Redirect throughput: GET /ref/:code of the real Worker against a bare Worker that only returns a
 * 302, side by side in one run.
 *
 * Requirement (issue 9): the product's throughput is at least 0.8x the bare Worker's for a desktop
 * click (302 to the web fallback with a signed aid, click queued) and 0.7x for a store-bound click
 * (Android: 302 to the Play Store, click and deferred record queued), and the hot path makes no
 * Postgres query once warm. Besides the ratio of mean throughputs (what passes or fails), the
 * median of the per-round ratios (each product round against the bare round just before it) is
 * shown: the host's noise comes in bursts, and pairs see the same burst.
 *
 * What runs: src/index.ts bundled with esbuild and a one-line bare Worker, each in its own
 * Miniflare (workerd) configured identically (compatibility settings and bindings; only the script
 * differs), on its own loopback port; autocannon drives both with the same headers, connections
 * and duration, in interleaved rounds (bare, product, bare, product, ...). The database is
 * scripts/gateway.ts over in-memory PGlite, behind a proxy that counts every query the Worker
 * sends. See bench/README.md.
 *
 *   npm run bench:redirect
 *   BENCH_ROUNDS=5 BENCH_SECONDS=8 BENCH_CONNECTIONS=50 npm run bench:redirect
 */
import { availableParallelism, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { createCleanup, runBench } from "./support/cleanup";
import { percentile } from "./support/load";
import {
  BARE_WORKER,
  CASES,
  CLICK_LIMIT,
  CLIENT_IPS,
  HOST,
  type Hosted,
  host,
  int,
  measure,
  ms,
  pct,
  probe,
  type Run,
  seed,
  startDatabase,
  table,
  WEB_FALLBACK,
} from "./support/redirect-setup";
import { bundleWorker } from "./support/worker-host";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
/** Pause after each run so the Worker's `waitUntil` work of one run does not land in the next. */
const SETTLE_MS = 1000;

type Side = "bare" | "product";
const SIDES: readonly Side[] = ["bare", "product"];

const log = (line: string) => console.log(line);
const cleanup = createCleanup();

interface Summary {
  rps: number;
  perRound: number[];
  p50: number;
  p99: number;
  workerdCores: number;
  nodeCores: number;
  statuses: Record<string, number>;
  errors: number;
}

/** req/s: the mean over rounds; p50/p99: over every response of every round. */
function summarize(runs: Run[]): Summary {
  const all = new Float64Array(runs.reduce((sum, r) => sum + r.samples.length, 0));
  let offset = 0;
  for (const r of runs) {
    all.set(r.samples, offset);
    offset += r.samples.length;
  }
  all.sort();
  const statuses: Record<string, number> = {};
  for (const r of runs) for (const [code, n] of Object.entries(r.statuses)) statuses[code] = (statuses[code] ?? 0) + n;
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    rps: mean(runs.map((r) => r.rps)),
    perRound: runs.map((r) => r.rps),
    p50: percentile(all, 0.5),
    p99: percentile(all, 0.99),
    workerdCores: mean(runs.map((r) => r.workerdCores)),
    nodeCores: mean(runs.map((r) => r.nodeCores)),
    statuses,
    errors: runs.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
  };
}

const statusText = (s: Record<string, number>) =>
  Object.entries(s)
    .map(([code, n]) => `${code} x${int(n)}`)
    .join(", ");

async function main(): Promise<number> {
  const started = performance.now();
  const machine = `${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(2)} at start`;
  log(`machine: ${machine}`);
  const { gatewayPort, counter, endpoint } = await startDatabase(cleanup);
  log(`database: in-memory PGlite via scripts/gateway.ts on :${gatewayPort}, counted by a proxy on :${counter.port}`);

  const bundle = await bundleWorker("src/index.ts");
  cleanup.addSync(() => bundle.remove());
  const errors: Record<Side, number> = { bare: 0, product: 0 };
  const onError = (side: Side) => (line: string) => {
    if (errors[side]++ < 5) log(`  [${side} worker] ${line.trim()}`);
  };
  const workers: Record<Side, Hosted> = {
    bare: await host(cleanup, "bare", { script: BARE_WORKER }, endpoint, {
      basePort: 24000,
      onError: onError("bare"),
    }),
    product: await host(cleanup, "product", { scriptPath: bundle.path }, endpoint, {
      basePort: 28000,
      onError: onError("product"),
    }),
  };
  log(
    `Miniflare (workerd) x2, configured identically (compatibility_date 2026-04-20, nodejs_compat, cf off, ` +
      `wrangler.toml's bindings): bare 302 Worker on ${workers.bare.worker.origin}, src/index.ts on ${workers.product.worker.origin}`,
  );
  log(
    `CLICK_LIMITER raised to ${int(CLICK_LIMIT)} per 60 s (wrangler.toml: 300) — the bench measures routing, ` +
      `not limiting; the binding is still called on every click. cf-connecting-ip cycles through ` +
      `${CLIENT_IPS.length} addresses per connection. No queue consumers: clicks reach the CLICKS queue broker and stop there.`,
  );

  counter.phase = "seed";
  const code = await seed(workers.product.worker);
  const path = `/ref/${code}`;
  log(`seeded through the HTTP API: appspace on ${HOST}, referral ${code}`);

  counter.phase = "warm-up";
  for (const c of CASES) {
    for (const side of SIDES) {
      const first = await probe(workers[side].worker.port, path, c.userAgent);
      const ok =
        first.status === 302 && (side === "bare" ? first.location === WEB_FALLBACK : c.location(first.location));
      if (!ok) throw new Error(`${c.name} on ${side}: ${first.status} ${first.location}`);
    }
  }
  log(`\nwarm-up: ${WARMUP_SECONDS} s of load per Worker and case, ${CONNECTIONS} connections`);
  const warm = { seconds: WARMUP_SECONDS, connections: CONNECTIONS, settleMs: SETTLE_MS };
  for (const c of CASES) {
    for (const side of SIDES) {
      const r = await measure(workers[side], path, c.userAgent, warm);
      log(`  ${c.name.padEnd(18)} ${side.padEnd(8)} ${int(r.rps).padStart(7)} req/s`);
    }
  }
  const warmupQueries = counter.count("warm-up");

  counter.phase = "measure";
  const measureStarted = performance.now();
  const measureStartedAt = counter.elapsed();
  log(
    `\nmeasuring: ${ROUNDS} rounds x ${SECONDS} s per Worker and case, ${CONNECTIONS} connections, ` +
      `interleaved (bare, product, bare, product, ...)`,
  );
  const runs = new Map<string, Run[]>();
  const timed = { seconds: SECONDS, connections: CONNECTIONS, settleMs: SETTLE_MS };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of CASES) {
      for (const side of SIDES) {
        const r = await measure(workers[side], path, c.userAgent, timed);
        const key = `${c.name}|${side}`;
        runs.set(key, [...(runs.get(key) ?? []), r]);
        log(
          `  round ${round}  ${c.name.padEnd(18)} ${side.padEnd(8)} ${int(r.rps).padStart(7)} req/s  ` +
            `p50 ${ms(r.p50)}  p99 ${ms(r.p99)}  workerd CPU ${pct(r.workerdCores)}  node CPU ${pct(r.nodeCores)}`,
        );
      }
    }
  }
  const measureSeconds = (performance.now() - measureStarted) / 1000;
  counter.phase = "after";
  const measuredCalls = counter.calls.filter((x) => x.phase === "measure");
  // Refreshes of a stale cache entry run in waitUntil, after the response; they say so in SQL.
  const refreshes = measuredCalls.filter((x) => x.sql.startsWith("/* edge-cache refresh */")).length;
  const measuredQueries = { requests: measuredCalls.length - refreshes };

  const problems: string[] = [];
  // After the load the Worker still answers as it should.
  for (const c of CASES) {
    const last = await probe(workers.product.worker.port, path, c.userAgent);
    if (last.status !== 302 || !c.location(last.location))
      problems.push(`after the load, ${c.name}: ${last.status} ${last.location}`);
  }

  const ratios: number[] = [];
  for (const c of CASES) {
    const bare = summarize(runs.get(`${c.name}|bare`) ?? []);
    const product = summarize(runs.get(`${c.name}|product`) ?? []);
    const ratio = product.rps / bare.rps;
    ratios.push(ratio);
    const paired = product.perRound.map((rps, i) => rps / (bare.perRound[i] ?? Number.NaN)).sort((a, b) => a - b);
    const pairedMedian = paired[Math.floor(paired.length / 2)] ?? Number.NaN;
    log(`\n${c.name}: GET /ref/:code — ${c.detail}`);
    table(
      log,
      ["Worker", "req/s (mean)", "per round", "p50", "p99", "workerd CPU", "workerd µs/req", "node CPU"],
      (
        [
          ["bare 302", bare],
          ["product", product],
        ] as const
      ).map(([label, s]) => [
        label,
        int(s.rps),
        s.perRound.map(int).join(" / "),
        ms(s.p50),
        ms(s.p99),
        pct(s.workerdCores),
        int((s.workerdCores * 1e6) / s.rps),
        pct(s.nodeCores),
      ]),
    );
    const pass = ratio >= c.minRatio;
    log(
      `throughput ratio product / bare: ${ratio.toFixed(2)}  ${pass ? "PASS" : "FAIL"} (>= ${c.minRatio})   ` +
        `per-round ratios ${paired.map((r) => r.toFixed(2)).join(" / ")} (median ${pairedMedian.toFixed(2)})   ` +
        `latency product / bare: p50 ${(product.p50 / bare.p50).toFixed(2)}x, p99 ${(product.p99 / bare.p99).toFixed(2)}x`,
    );
    log(`responses: bare ${statusText(bare.statuses)}; product ${statusText(product.statuses)}`);
    if (!pass) problems.push(`${c.name}: ratio ${ratio.toFixed(2)} < ${c.minRatio}`);
    for (const [side, s] of [
      ["bare", bare],
      ["product", product],
    ] as const) {
      if (Object.keys(s.statuses).some((status) => status !== "302") || s.errors > 0)
        problems.push(`${c.name} ${side}: not only 302s (${statusText(s.statuses)}; ${s.errors} errors/timeouts)`);
    }
  }

  log(
    `\nworkerd CPU: share of one core used by that Worker's workerd process during its rounds (its JS runs on ` +
      `one thread, so ~100% means the Worker is the bottleneck); workerd µs/req: that CPU time per request, the ` +
      `figure least moved by other load on the machine; node CPU: this process (autocannon, gateway, proxy).`,
  );
  log(
    `\nPostgres queries (counted at the gateway): seed ${counter.count("seed").requests}, ` +
      `warm-up ${warmupQueries.requests} (the first click loads the snapshot), ` +
      `measured rounds ${measuredQueries.requests} on the response path in ${measureSeconds.toFixed(0)} s — must be 0 ` +
      `(plus ${refreshes} background refreshes of stale cache entries, after the response)`,
  );
  // Grouped into bursts (same statement within 1 s): concurrent misses of one cache entry show as one burst.
  const bursts: { at: number; n: number; sql: string }[] = [];
  for (const call of counter.calls.filter((x) => x.phase === "measure")) {
    const last = bursts.at(-1);
    if (last && last.sql === call.sql && call.at - last.at < 1000) last.n++;
    else bursts.push({ at: call.at, n: 1, sql: call.sql });
  }
  for (const b of bursts.slice(0, 10)) {
    log(
      `  at +${((b.at - measureStartedAt) / 1000).toFixed(1)} s: ${String(b.n).padStart(3)} x ${b.sql.slice(0, 90)}…`,
    );
  }
  if (bursts.length > 10) log(`  … ${bursts.length - 10} more bursts`);
  if (measuredQueries.requests > 0)
    problems.push(`${measuredQueries.requests} Postgres queries during the measured rounds`);
  log(`Worker error/warn log lines: bare ${errors.bare}, product ${errors.product}`);
  if (errors.product > 0) problems.push(`${errors.product} error lines from the product Worker`);

  log(
    `\n${problems.length ? `FAIL: ${problems.join("; ")}` : "PASS"} — throughput ratio product / bare must be ` +
      `${CASES.map((c, i) => `>= ${c.minRatio} for a ${c.name} (${ratios[i]?.toFixed(2)})`).join(" and ")}, ` +
      `and no Postgres query after warm-up.`,
  );
  if (CASES.some((c, i) => !((ratios[i] ?? 0) >= c.minRatio)))
    log(`where the product's time goes, part by part: npx tsx bench/support/redirect-ablation.ts (bench/README.md)`);
  log(
    `reproduce: npm run bench:redirect   (total ${((performance.now() - started) / 1000).toFixed(0)} s; ` +
      `${machine}, ${loadavg()[0]?.toFixed(2)} at the end)`,
  );
  return problems.length ? 1 : 0;
}

await runBench(main, cleanup);
