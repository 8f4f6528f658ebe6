import { badRequest } from "../lib/errors";

/**
 * Time ranges and series for the analytics API: pure decisions, no I/O. Everything is UTC: a day
 * bucket is a UTC calendar day, an hour bucket a UTC hour.
 */

export const INTERVALS = ["hour", "day"] as const;
export type Interval = (typeof INTERVALS)[number];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const BUCKET_MS: Record<Interval, number> = { hour: HOUR_MS, day: DAY_MS };

/** The longest range per interval: a chart of at most 744 hours (31 days) or 732 days. */
export const MAX_RANGE_DAYS: Record<Interval, number> = { hour: 31, day: 732 };
export const DEFAULT_RANGE_DAYS = 30;

/** How many keys a series list shows before the rest are summed into `other`. */
export const TOP_KEYS = 20;
export const OTHER_KEY = "other";

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** A query's `from`/`to`: a date (`2026-03-01`, UTC) or a date-time with its offset. */
export function parseInstant(value: string, field: string): { at: Date; dateOnly: boolean } {
  const dateOnly = DATE_ONLY.test(value);
  if (!dateOnly && !DATE_TIME.test(value)) {
    throw badRequest(`${field}: must be an ISO 8601 date (2026-03-01) or date-time (2026-03-01T12:00:00Z)`, {
      field,
    });
  }
  const at = new Date(dateOnly ? `${value}T00:00:00Z` : value);
  // `Date` rolls 2026-02-30 over into March instead of refusing it: the calendar date written must
  // exist (whatever the offset), and stay within what Postgres and ISO strings both represent.
  const [y = 0, m = 0, d = 0] = value.slice(0, 10).split("-").map(Number);
  const written = new Date(Date.UTC(y, m - 1, d));
  if (Number.isNaN(at.getTime()) || written.getUTCMonth() !== m - 1 || written.getUTCDate() !== d) {
    throw badRequest(`${field}: not a valid date`, { field });
  }
  if (y < 1970 || y > 9998) throw badRequest(`${field}: must be between 1970 and 9998`, { field });
  return { at, dateOnly };
}

const floorTo = (ms: number, interval: Interval) => Math.floor(ms / BUCKET_MS[interval]) * BUCKET_MS[interval];
const ceilTo = (ms: number, interval: Interval) => Math.ceil(ms / BUCKET_MS[interval]) * BUCKET_MS[interval];

export interface Range {
  /** The first bucket's start (inclusive). */
  from: Date;
  /** The end of the last bucket (exclusive). */
  to: Date;
  interval: Interval;
}

/**
 * The buckets a query covers. `from` is rounded down to its bucket; `to` is exclusive and rounded
 * up (a date alone means the whole day: `to=2026-03-31` includes the 31st). Without them: the last
 * 30 days up to the end of the current bucket.
 */
export function resolveRange(q: { from?: string; to?: string; interval: Interval }, now: Date): Range {
  const interval = q.interval;
  let toMs: number;
  if (q.to === undefined) toMs = ceilTo(now.getTime() + 1, interval);
  else {
    const to = parseInstant(q.to, "to");
    toMs = ceilTo(to.at.getTime() + (to.dateOnly ? DAY_MS : 0), interval);
  }
  const fromMs =
    q.from === undefined
      ? toMs - DEFAULT_RANGE_DAYS * DAY_MS
      : floorTo(parseInstant(q.from, "from").at.getTime(), interval);
  if (fromMs >= toMs) throw badRequest("to: must be after from", { field: "to" });
  if (toMs - fromMs > MAX_RANGE_DAYS[interval] * DAY_MS) {
    throw badRequest(
      `from: the range is too long for interval=${interval} (at most ${MAX_RANGE_DAYS[interval]} days)`,
      { field: "from" },
    );
  }
  return { from: new Date(fromMs), to: new Date(toMs), interval };
}

/** Every bucket start in the range, as ISO 8601 UTC. */
export function bucketStarts(range: Range): string[] {
  const step = BUCKET_MS[range.interval];
  const starts: string[] = [];
  for (let t = range.from.getTime(); t < range.to.getTime(); t += step) starts.push(new Date(t).toISOString());
  return starts;
}

/** A stats query's days: `from`/`to` name UTC days, both inclusive; each defaults to unbounded. */
export function resolveDays(q: { from?: string; to?: string }): { from: string | null; to: string | null } {
  const day = (value: string | undefined, field: string) =>
    value === undefined ? null : parseInstant(value, field).at.toISOString().slice(0, 10);
  const from = day(q.from, "from");
  const to = day(q.to, "to");
  if (from !== null && to !== null && from > to) throw badRequest("to: must not be before from", { field: "to" });
  return { from, to };
}

export interface SeriesPoint {
  t: string;
  count: number;
}
export interface Series {
  key: string;
  total: number;
  points: SeriesPoint[];
}

/**
 * Series from counted buckets: one per key, every bucket present (0 where nothing happened, so a
 * chart never draws a gap as a line), largest total first; past the top {@link TOP_KEYS} keys the
 * rest are summed into one `other` series, last. `rows` may repeat a (key, bucket): they add up; a
 * row with a null key was summed into "the rest" already (by the query).
 */
export function buildSeries(rows: readonly { key: string | null; t: string; count: number }[], range: Range): Series[] {
  const starts = bucketStarts(range);
  const index = new Map(starts.map((t, i) => [t, i]));
  const byKey = new Map<string, number[]>();
  const restCounts = new Array<number>(starts.length).fill(0);
  let restSeen = false;
  for (const row of rows) {
    const i = index.get(new Date(row.t).toISOString());
    if (i === undefined) continue;
    if (row.key === null) {
      restCounts[i] = (restCounts[i] ?? 0) + row.count;
      restSeen = true;
      continue;
    }
    let counts = byKey.get(row.key);
    if (!counts) {
      counts = new Array<number>(starts.length).fill(0);
      byKey.set(row.key, counts);
    }
    counts[i] = (counts[i] ?? 0) + row.count;
  }
  const sum = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
  const ranked = [...byKey.entries()]
    .map(([key, counts]) => ({ key, counts, total: sum(counts) }))
    .sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const top = ranked.slice(0, TOP_KEYS);
  const rest = ranked.slice(TOP_KEYS);
  if (rest.length || restSeen) {
    // A real value named "other" keeps its name; the rest is then "other (rest)".
    const otherKey = top.some((t) => t.key === OTHER_KEY) ? `${OTHER_KEY} (rest)` : OTHER_KEY;
    for (const r of rest) {
      r.counts.forEach((n, i) => {
        restCounts[i] = (restCounts[i] ?? 0) + n;
      });
    }
    top.push({ key: otherKey, counts: restCounts, total: sum(restCounts) });
  }
  return top.map(({ key, counts, total }) => ({
    key,
    total,
    points: counts.map((count, i) => ({ t: starts[i] as string, count })),
  }));
}

/** completed / total, 0 when there is nothing yet (never NaN), to 4 decimal places. */
export function conversionRate(s: { total: number; completed: number }): number {
  return s.total > 0 ? Math.round((s.completed / s.total) * 10_000) / 10_000 : 0;
}
