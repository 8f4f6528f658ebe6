/**
 * Per-process CPU time from /proc (Linux; NaN elsewhere), to tell which process bounds a run:
 * a workerd near 100% of one core is the Worker's thread saturated; the bench's own Node process
 * near 100% means the load generator is the limit.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of `pid` (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Direct children of `pid` (e.g. the workerd processes Miniflare spawned). */
export function childPids(pid = process.pid): number[] {
  try {
    const out = new Set<number>();
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      for (const child of list ? list.split(/\s+/) : []) out.add(Number(child));
    }
    return [...out];
  } catch {
    return [];
  }
}

/** The command name of `pid` (e.g. "workerd"). */
export function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/** Starts a stopwatch on the CPU time of `pids`; the returned function gives cores used since (1.0 = one core busy). */
export function cpuMeter(pids: number[]): () => number[] {
  const from = pids.map(cpuSeconds);
  const started = process.hrtime.bigint();
  return () => {
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    return pids.map((pid, i) => (cpuSeconds(pid) - (from[i] ?? Number.NaN)) / wall);
  };
}
