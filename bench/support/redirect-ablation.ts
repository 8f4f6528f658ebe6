/**
 * Diagnostic for bench/redirect.ts: where the product's /ref/:code throughput goes. Hosts the bare
 * 302 Worker, a minimal Hono app (the framework floor) and the real Worker with parts of its
 * per-click work replaced by no-ops (bench/support/workers/ablation.js), each in its own Miniflare
 * configured like bench/redirect.ts, and measures them in interleaved rounds for both click cases.
 * The gap between two neighbouring rows is what the removed part costs under load. Not a pass/fail
 * bench; ~2.5 minutes.
 *
 *   npx tsx bench/support/redirect-ablation.ts
 *   BENCH_ROUNDS=3 BENCH_SECONDS=5 npx tsx bench/support/redirect-ablation.ts
 */
import { availableParallelism, loadavg } from "node:os";
import { createCleanup } from "./cleanup";
import {
  BARE_WORKER,
  CASES,
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
} from "./redirect-setup";
import { bundleWorker, type WorkerSource } from "./worker-host";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);

const log = (line: string) => console.log(line);
const cleanup = createCleanup();

interface Variant {
  label: string;
  source: "bare" | "hono" | "product" | "ablation";
  ablate?: string;
  cases: readonly string[];
}

const DESKTOP = CASES[0]?.name ?? "";
const STORE = CASES[1]?.name ?? "";
const VARIANTS: Variant[] = [
  { label: "bare 302 Worker", source: "bare", cases: [DESKTOP, STORE] },
  { label: "Hono + secureHeaders, 302 only", source: "hono", cases: [DESKTOP] },
  { label: "product (src/index.ts as is)", source: "product", cases: [DESKTOP, STORE] },
  { label: "product, clicks batched (sendBatch)", source: "ablation", ablate: "queue-batch", cases: [DESKTOP] },
  { label: "product - device-key put (token key only)", source: "ablation", ablate: "kv-put-d", cases: [STORE] },
  { label: "product - kv-put", source: "ablation", ablate: "kv-put", cases: [STORE] },
  {
    label: "product - kv-put, clicks batched (sendBatch)",
    source: "ablation",
    ablate: "kv-put,queue-batch",
    cases: [STORE],
  },
  { label: "product - queue", source: "ablation", ablate: "queue", cases: [DESKTOP] },
  { label: "product - kv-put - queue", source: "ablation", ablate: "kv-put,queue", cases: [STORE] },
  { label: "product - queue - hmac", source: "ablation", ablate: "queue,hmac", cases: [DESKTOP] },
  { label: "product - queue - hmac - limiter", source: "ablation", ablate: "queue,hmac,limiter", cases: [DESKTOP] },
  {
    label: "product - kv-put - queue - hmac - limiter",
    source: "ablation",
    ablate: "kv-put,queue,hmac,limiter",
    cases: [STORE],
  },
];

async function main() {
  log(`machine: ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(2)} at start`);
  const { counter, endpoint } = await startDatabase(cleanup);
  const bundles = {
    product: await bundleWorker("src/index.ts"),
    ablation: await bundleWorker("bench/support/workers/ablation.js"),
    hono: await bundleWorker("bench/support/workers/hono-min.js"),
  };
  for (const b of Object.values(bundles)) cleanup.addSync(() => b.remove());
  const sourceOf = (v: Variant): WorkerSource =>
    v.source === "bare" ? { script: BARE_WORKER } : { scriptPath: bundles[v.source].path };

  const hosted = new Map<Variant, Hosted>();
  const errors = new Map<string, number>();
  for (const [i, v] of VARIANTS.entries()) {
    hosted.set(
      v,
      await host(cleanup, v.label, sourceOf(v), endpoint, {
        basePort: 20000 + (i % 3) * 4000,
        extraBindings: v.ablate ? { BENCH_ABLATE: v.ablate } : {},
        onError: (line) => {
          if ((errors.get(v.label) ?? 0) < 3) log(`  [${v.label}] ${line.trim()}`);
          errors.set(v.label, (errors.get(v.label) ?? 0) + 1);
        },
      }),
    );
  }
  const product = [...hosted.entries()].find(([v]) => v.source === "product")?.[1];
  if (!product) throw new Error("no product variant");
  const path = `/ref/${await seed(product.worker)}`;

  for (const c of CASES) {
    const variants = VARIANTS.filter((v) => v.cases.includes(c.name));
    for (const v of variants) {
      const target = hosted.get(v) as Hosted;
      const first = await probe(target.worker.port, path, c.userAgent);
      if (first.status !== 302) throw new Error(`${v.label}, ${c.name}: ${first.status}`);
      await measure(target, path, c.userAgent, { seconds: 1, connections: CONNECTIONS, settleMs: 500 });
    }
    const runs = new Map<Variant, Run[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of variants) {
        const r = await measure(hosted.get(v) as Hosted, path, c.userAgent, {
          seconds: SECONDS,
          connections: CONNECTIONS,
          settleMs: 1000,
        });
        runs.set(v, [...(runs.get(v) ?? []), r]);
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const bareRps = mean((runs.get(variants[0] as Variant) ?? []).map((r) => r.rps));
    log(`\n${c.name} — ${c.detail}; ${ROUNDS} rounds x ${SECONDS} s, ${CONNECTIONS} connections`);
    table(
      log,
      ["variant", "req/s", "x bare", "µs/request", "p50", "p99", "workerd CPU"],
      variants.map((v) => {
        const rs = runs.get(v) ?? [];
        const rps = mean(rs.map((r) => r.rps));
        const cores = mean(rs.map((r) => r.workerdCores));
        return [
          v.label,
          int(rps),
          (rps / bareRps).toFixed(2),
          // workerd CPU time per request: where the Worker's thread spends its time.
          int((cores * 1e6) / rps),
          ms(mean(rs.map((r) => r.p50))),
          ms(mean(rs.map((r) => r.p99))),
          pct(cores),
        ];
      }),
    );
  }
  for (const [label, n] of errors) log(`${label}: ${n} error/warn lines from the Worker`);
  const bySql = new Map<string, number>();
  for (const call of counter.calls) bySql.set(call.sql.slice(0, 70), (bySql.get(call.sql.slice(0, 70)) ?? 0) + 1);
  log(`\nPostgres queries during the whole run: ${counter.calls.length}`);
  for (const [sql, n] of [...bySql].sort((a, b) => b[1] - a[1])) log(`  ${String(n).padStart(5)}  ${sql}`);
}

let exitCode = 1;
try {
  await main();
  exitCode = 0;
} catch (error) {
  console.error(error);
} finally {
  await cleanup.run();
}
process.exit(exitCode);
