/**
 * One closed-loop load run with autocannon's programmatic API: `connections` keep-alive
 * connections, each sending its next request as soon as the previous response arrived, for
 * `seconds`. Latency is taken from autocannon's per-response event at full resolution (its own
 * histogram keeps whole milliseconds, too coarse for sub-millisecond responses).
 */
import autocannon, { type AutocannonRequest } from "autocannon";

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  /** Headers of every request. */
  headers: Record<string, string>;
  /** When given, each connection cycles through these per-request header sets (merged over `headers`). */
  variants?: Record<string, string>[];
}

export interface LoadResult {
  requests: number;
  /** Completed responses per second over the run. */
  rps: number;
  /** Milliseconds, full resolution. */
  p50: number;
  p99: number;
  mean: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Every response time (ms), sorted ascending. */
  samples: Float64Array;
}

export const percentile = (sorted: ArrayLike<number>, p: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN);

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  let times = new Float64Array(1 << 16);
  let n = 0;
  const requests: AutocannonRequest[] | undefined = options.variants?.map((headers) => ({ headers }));
  return new Promise((ok, fail) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.seconds,
        pipelining: 1,
        timeout: 10,
        headers: options.headers,
        requests,
      },
      (error, result) => {
        if (error) return fail(error);
        const sorted = times.subarray(0, n).sort();
        let sum = 0;
        for (const t of sorted) sum += t;
        ok({
          requests: n,
          rps: n / result.duration,
          p50: percentile(sorted, 0.5),
          p99: percentile(sorted, 0.99),
          mean: sum / n,
          statuses: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
          errors: result.errors,
          timeouts: result.timeouts,
          samples: sorted,
        });
      },
    );
    instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      if (n === times.length) {
        const grown = new Float64Array(times.length * 2);
        grown.set(times);
        times = grown;
      }
      times[n++] = responseTime;
    });
  });
}
