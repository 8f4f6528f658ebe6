/**
 * User-Agent cost: the hot-path classification (`classifyForRouting`, /ref/:code) against the full
 * analytics parse (`parseUserAgent`, click consumer), per call over the UA corpus.
 *
 * Requirement: the classification stays cheap (target < 5 µs/call in Node) next to a bare
 * redirect's ~50 µs budget; the full parse (10–80 µs) stays off the hot path.
 *
 * What runs: the real functions of src/links/device.ts and src/links/parse.ts in Node (V8, the
 * engine workerd uses), over every UA of test/links/ua-corpus.ts in turn, plus their parts and
 * the alternatives that were not chosen (inapp-spy for in-app detection, bowser for the full
 * parse) for comparison. Each function: warm-up, then ROUNDS rounds of ITERATIONS calls; the
 * median and the fastest round are reported (on a busy machine the fastest is the least disturbed).
 * Exits 1 if the classification's median misses the target.
 *
 *   npx tsx bench/ua.ts
 *   BENCH_ITERATIONS=200000 BENCH_ROUNDS=9 npx tsx bench/ua.ts
 */
import { performance } from "node:perf_hooks";
import Bowser from "bowser";
import InAppSpy from "inapp-spy";
import { isbot } from "isbot";
import UAParser from "ua-parser-js";
import { classifyForRouting, detectInApp } from "../src/links/device";
import { parseUserAgent } from "../src/links/parse";
import { UA_CORPUS } from "../test/links/ua-corpus";

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 20_000);
const TARGET_NS = 5_000;

const uas = UA_CORPUS.map((c) => c.ua);
let sink = 0;

interface Timing {
  /** Median round, ns per call. */
  median: number;
  /** Fastest round, ns per call: the least disturbed by other processes on a busy machine. */
  best: number;
}

/** ns per call of `fn` cycling through `inputs`: median and fastest of `rounds` rounds. */
function measure(
  fn: (ua: string) => unknown,
  inputs: readonly string[],
  { iterations = ITERATIONS, rounds = ROUNDS, warmup = WARMUP } = {},
): Timing {
  const n = inputs.length;
  for (let i = 0; i < warmup; i++) if (fn(inputs[i % n] ?? "")) sink++;
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) if (fn(inputs[i % n] ?? "")) sink++;
    times.push(((performance.now() - start) * 1e6) / iterations);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)] ?? Number.NaN, best: times[0] ?? Number.NaN };
}

const fmt = (ns: number) => (ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);

function table(rows: string[][]): void {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  for (const row of rows) {
    console.log(
      row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  "),
    );
  }
}

console.log(`UA corpus: ${uas.length} strings; ${ITERATIONS} calls x ${ROUNDS} rounds, node ${process.version}\n`);

const slow = { iterations: Math.ceil(ITERATIONS / 4) };
measure(classifyForRouting, uas); // a first pass lets V8 tier up isbot's regex (its first rounds read high)
const classify = measure(classifyForRouting, uas);
const rows: [string, Timing][] = [
  ["classifyForRouting (hot path)", classify],
  ["parseUserAgent (click consumer)", measure(parseUserAgent, uas, slow)],
  ["  of which ua-parser-js", measure((ua) => new UAParser(ua).getResult(), uas, slow)],
  ["  isbot()", measure(isbot, uas)],
  ["  in-app table (detectInApp)", measure(detectInApp, uas)],
  ["  not chosen: inapp-spy", measure((ua) => InAppSpy({ ua }).isInApp, uas)],
  ["  not chosen: bowser full parse", measure((ua) => Bowser.parse(ua), uas, slow)],
];
table([
  ["function", "median", "best", "median vs classify"],
  ...rows.map(([name, t]) => [name, fmt(t.median), fmt(t.best), `${(t.median / classify.median).toFixed(1)}x`]),
]);

// By kind of visitor: in-app UAs are the longest, crawlers the shortest.
const groups: [string, string[]][] = [
  ["browsers", UA_CORPUS.filter((c) => !c.expected.crawler && c.expected.inApp === null).map((c) => c.ua)],
  ["in-app browsers", UA_CORPUS.filter((c) => c.expected.inApp !== null).map((c) => c.ua)],
  ["crawlers", UA_CORPUS.filter((c) => c.expected.crawler).map((c) => c.ua)],
];
console.log("\nclassifyForRouting by kind of UA:");
table([
  ["  kind", "UAs", "median", "best"],
  ...groups.map(([name, list]) => {
    const t = measure(classifyForRouting, list, { iterations: ITERATIONS / 2, rounds: 5 });
    return [`  ${name}`, String(list.length), fmt(t.median), fmt(t.best)];
  }),
]);

const pass = classify.median < TARGET_NS;
console.log(
  `\nclassifyForRouting ${fmt(classify.median)}/call (median), target < ${fmt(TARGET_NS)}: ${pass ? "PASS" : "FAIL"}  (sink ${sink % 10})`,
);
if (!pass) process.exitCode = 1;
