/**
 * Diagnostic for bench/redirect.ts: where the product's /ref/:code throughput goes. Hosts the bare
 * 302 Worker, floors (the bare Worker with the product's security headers, a minimal Hono app) and
 * the real Worker with one part of its per-click work removed at a time, each in its own Miniflare
 * configured like bench/redirect.ts, and measures them in interleaved rounds for both click cases.
 * The gap between the product's row and a "- part" row is what that part costs under load. Parts
 * are removed two ways: bindings replaced by no-ops (bench/support/workers/ablation.js:
 * `BENCH_ABLATE`), and source patches applied while bundling (`PATCHES`: a patch that no longer
 * finds its text fails the run, so it never silently measures nothing). Not a pass/fail bench;
 * ~5 minutes.
 *
 *   npx tsx bench/support/redirect-ablation.ts
 *   BENCH_ROUNDS=3 BENCH_SECONDS=5 npx tsx bench/support/redirect-ablation.ts
 *
 * BENCH_BASELINE=<dir> adds the product as built from another checkout (e.g. a `git worktree` of
 * an earlier commit, with node_modules linked) for a before/after in the same run; BENCH_ONLY
 * keeps only the variants whose labels contain one of its comma-separated words (fewer Workers,
 * less noise): `BENCH_ONLY=bare,as is,baseline`.
 */
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { resolve } from "node:path";
import type { Plugin } from "esbuild";
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
import { type Bundle, bundleWorker, type WorkerSource } from "./worker-host";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);

const log = (line: string) => console.log(line);
const cleanup = createCleanup();

interface Patch {
  file: string;
  find: string;
  replace: string;
}

/** Source patches that take one part out of the click (text of src/ as it is now). */
const PATCHES = {
  /** The 302 without its security headers (src/lib/security-headers.ts). */
  headers: {
    file: "src/routes/links/ref.ts",
    find: "headers: { ...REDIRECT_HEADERS, location: location(url) }",
    replace: "headers: { location: location(url) }",
  },
  /** No read of `request.cf` (country, city, timezone). */
  cf: {
    file: "src/routes/links/ref.ts",
    find: "const cf = (request as Request & { cf?: IncomingRequestCfProperties }).cf;",
    replace: "const cf = undefined as IncomingRequestCfProperties | undefined;",
  },
  /** Every HMAC (aid, continue token, IP and fingerprint hashes) returns a constant. */
  hmac: {
    file: "src/lib/crypto.ts",
    find: "export async function hmacHex(secret: string, value: string): Promise<string> {",
    replace:
      'export async function hmacHex(secret: string, value: string): Promise<string> {\n  if (secret || value) return "0".repeat(64);',
  },
  /** No isbot call (the crawler check of the UA classification). */
  isbot: {
    file: "src/links/device.ts",
    find: "const crawler = named === null && isbot(ua);",
    replace: "const crawler = false;",
  },
} satisfies Record<string, Patch>;

function patching(patches: readonly Patch[]): Plugin {
  const byFile = new Map<string, Patch[]>();
  for (const p of patches) byFile.set(resolve(p.file), [...(byFile.get(resolve(p.file)) ?? []), p]);
  return {
    name: "ablation-patches",
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const mine = byFile.get(args.path);
        if (!mine) return undefined;
        let contents = readFileSync(args.path, "utf8");
        for (const p of mine) {
          if (!contents.includes(p.find)) throw new Error(`ablation patch no longer applies: ${p.file}: ${p.find}`);
          contents = contents.replaceAll(p.find, p.replace);
        }
        return { contents, loader: "ts" };
      });
    },
  };
}

interface Variant {
  label: string;
  source: { script: string } | { entry: string; patches?: (keyof typeof PATCHES)[] };
  /** BENCH_ABLATE for bench/support/workers/ablation.js. */
  ablate?: string;
  cases: readonly string[];
}

const DESKTOP = CASES[0]?.name ?? "";
const STORE = CASES[1]?.name ?? "";
const BOTH = [DESKTOP, STORE];
const PRODUCT = "src/index.ts";
const ABLATION = "bench/support/workers/ablation.js";
const VARIANTS: Variant[] = [
  { label: "bare 302 Worker", source: { script: BARE_WORKER }, cases: BOTH },
  {
    label: "bare 302 + the 12 security headers",
    source: { entry: "bench/support/workers/bare-headers.js" },
    cases: BOTH,
  },
  {
    label: "bare 302 + 2 HMACs (@noble/hashes)",
    source: { entry: "bench/support/workers/bare-hmacs.js" },
    cases: BOTH,
  },
  { label: "bare 302 + request.cf read", source: { entry: "bench/support/workers/bare-cf.js" }, cases: BOTH },
  { label: "Hono + secureHeaders, 302 only", source: { entry: "bench/support/workers/hono-min.js" }, cases: BOTH },
  {
    label: "click floor: the necessary work, flat",
    source: { entry: "bench/support/workers/click-floor.js" },
    cases: BOTH,
  },
  {
    label: "click floor - limiter call and queue (Miniflare-hosted)",
    source: { entry: "bench/support/workers/click-floor.js" },
    ablate: "limiter,queue",
    cases: BOTH,
  },
  { label: "product (src/index.ts as is)", source: { entry: PRODUCT }, cases: BOTH },
  { label: "product - security headers on the 302", source: { entry: PRODUCT, patches: ["headers"] }, cases: BOTH },
  { label: "product - request.cf read", source: { entry: PRODUCT, patches: ["cf"] }, cases: BOTH },
  { label: "product - HMACs", source: { entry: PRODUCT, patches: ["hmac"] }, cases: BOTH },
  { label: "product - isbot", source: { entry: PRODUCT, patches: ["isbot"] }, cases: BOTH },
  { label: "product - limiter call", source: { entry: ABLATION }, ablate: "limiter", cases: BOTH },
  { label: "product - queue", source: { entry: ABLATION }, ablate: "queue", cases: BOTH },
  {
    label: "product - all of the above",
    source: { entry: ABLATION, patches: ["headers", "cf", "hmac", "isbot"] },
    ablate: "limiter,queue",
    cases: BOTH,
  },
];

const BASELINE = process.env.BENCH_BASELINE;
if (BASELINE) {
  VARIANTS.splice(3, 0, {
    label: `product at baseline (${BASELINE})`,
    source: { entry: resolve(BASELINE, "src/index.ts") },
    cases: BOTH,
  });
}
const ONLY = process.env.BENCH_ONLY?.split(",").filter(Boolean);
if (ONLY) {
  const kept = VARIANTS.filter((v) => v.label.startsWith("bare 302 Worker") || ONLY.some((w) => v.label.includes(w)));
  VARIANTS.splice(0, VARIANTS.length, ...kept);
}

async function main() {
  log(`machine: ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(2)} at start`);
  const { counter, endpoint } = await startDatabase(cleanup);
  const bundles = new Map<string, Bundle>();
  const sourceOf = async (v: Variant): Promise<WorkerSource> => {
    if ("script" in v.source) return { script: v.source.script };
    const patches = v.source.patches ?? [];
    const key = `${v.source.entry}|${patches.join(",")}`;
    let bundle = bundles.get(key);
    if (!bundle) {
      bundle = await bundleWorker(v.source.entry, { plugins: [patching(patches.map((name) => PATCHES[name]))] });
      const made = bundle;
      cleanup.addSync(() => made.remove());
      bundles.set(key, bundle);
    }
    return { scriptPath: bundle.path };
  };

  const hosted = new Map<Variant, Hosted>();
  const errors = new Map<string, number>();
  for (const [i, v] of VARIANTS.entries()) {
    hosted.set(
      v,
      await host(cleanup, v.label, await sourceOf(v), endpoint, {
        basePort: 20000 + (i % 3) * 4000,
        extraBindings: v.ablate ? { BENCH_ABLATE: v.ablate } : {},
        onError: (line) => {
          if ((errors.get(v.label) ?? 0) < 3) log(`  [${v.label}] ${line.trim()}`);
          errors.set(v.label, (errors.get(v.label) ?? 0) + 1);
        },
      }),
    );
  }
  const product = [...hosted.entries()].find(([v]) => "entry" in v.source && v.source.entry === PRODUCT)?.[1];
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
      // Each round starts one variant later, so no variant always follows the same neighbour.
      const order = variants.map((_, i) => variants[(i + round) % variants.length] as Variant);
      for (const v of order) {
        const r = await measure(hosted.get(v) as Hosted, path, c.userAgent, {
          seconds: SECONDS,
          connections: CONNECTIONS,
          settleMs: 1000,
        });
        runs.set(v, [...(runs.get(v) ?? []), r]);
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const median = (xs: number[]) => {
      const sorted = [...xs].sort((a, b) => a - b);
      const mid = Math.floor(sorted.length / 2);
      return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
    };
    const bareRuns = runs.get(variants[0] as Variant) ?? [];
    log(`\n${c.name} — ${c.detail}; ${ROUNDS} rounds x ${SECONDS} s, ${CONNECTIONS} connections`);
    table(
      log,
      ["variant", "req/s", "x bare", "µs/request", "p50", "p99", "workerd CPU"],
      variants.map((v) => {
        const rs = runs.get(v) ?? [];
        return [
          v.label,
          int(mean(rs.map((r) => r.rps))),
          // Medians over rounds: the host's noise comes in bursts that hit some rounds, not all.
          median(rs.map((r, i) => r.rps / (bareRuns[i]?.rps ?? Number.NaN))).toFixed(2),
          // workerd CPU time per request: where the Worker's thread spends its time.
          int(median(rs.map((r) => (r.workerdCores * 1e6) / r.rps))),
          ms(mean(rs.map((r) => r.p50))),
          ms(mean(rs.map((r) => r.p99))),
          pct(mean(rs.map((r) => r.workerdCores))),
        ];
      }),
    );
    log(
      "req/s, p50, p99, workerd CPU: means over rounds; x bare (against the same round's bare run), µs/request: medians",
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
