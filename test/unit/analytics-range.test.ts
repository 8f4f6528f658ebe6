import { describe, expect, it } from "vitest";
import { buildSeries, conversionRate, resolveDays, resolveRange } from "../../src/analytics/range";

const now = new Date("2026-03-10T15:42:00Z");

describe("resolveRange", () => {
  it("defaults to the last 30 days up to the end of the current bucket", () => {
    expect(resolveRange({ interval: "day" }, now)).toEqual({
      from: new Date("2026-02-09T00:00:00Z"),
      to: new Date("2026-03-11T00:00:00Z"),
      interval: "day",
    });
    const hours = resolveRange({ interval: "hour" }, now);
    expect(hours.to).toEqual(new Date("2026-03-10T16:00:00Z"));
    expect((hours.to.getTime() - hours.from.getTime()) / 3_600_000).toBe(720);
  });

  it("rounds from down and to up to buckets; a date alone as `to` is the whole day", () => {
    expect(
      resolveRange({ from: "2026-03-01T10:30:00+02:00", to: "2026-03-01T12:00:01Z", interval: "hour" }, now),
    ).toEqual({
      from: new Date("2026-03-01T08:00:00Z"),
      to: new Date("2026-03-01T13:00:00Z"),
      interval: "hour",
    });
    expect(resolveRange({ from: "2026-03-01", to: "2026-03-01", interval: "day" }, now).to).toEqual(
      new Date("2026-03-02T00:00:00Z"),
    );
  });

  it("refuses what isn't a range, naming the field", () => {
    const field = (q: Parameters<typeof resolveRange>[0]) => {
      try {
        resolveRange(q, now);
        return null;
      } catch (e) {
        return (e as { extra: { field: string } }).extra.field;
      }
    };
    expect(field({ from: "2026-3-1", interval: "day" })).toBe("from");
    expect(field({ to: "2026-02-29", interval: "day" })).toBe("to"); // 2026 is not a leap year
    expect(field({ from: "2026-03-02", to: "2026-03-01", interval: "day" })).toBe("to");
    expect(field({ from: "2026-01-01", to: "2026-03-01", interval: "hour" })).toBe("from");
    expect(field({ from: "2026-02-01", to: "2026-03-01", interval: "hour" })).toBe(null);
  });

  it("resolveDays names UTC days, inclusive", () => {
    expect(resolveDays({ from: "2026-03-01T23:30:00-02:00" })).toEqual({ from: "2026-03-02", to: null });
    expect(() => resolveDays({ from: "2026-03-02", to: "2026-03-01" })).toThrow(/to/);
  });
});

describe("buildSeries", () => {
  const range = resolveRange({ from: "2026-03-01", to: "2026-03-03", interval: "day" }, now);

  it("fills every bucket, adds repeated rows, orders by total, puts the summed rest last", () => {
    const series = buildSeries(
      [
        { key: "b", t: "2026-03-01T00:00:00Z", count: 1 },
        { key: "a", t: "2026-03-02T00:00:00.000Z", count: 2 },
        { key: "a", t: "2026-03-02T00:00:00Z", count: 1 },
        { key: null, t: "2026-03-03T00:00:00Z", count: 4 },
        { key: "c", t: "2026-04-01T00:00:00Z", count: 9 }, // outside: ignored
      ],
      range,
    );
    expect(series).toEqual([
      {
        key: "a",
        total: 3,
        points: [
          { t: "2026-03-01T00:00:00.000Z", count: 0 },
          { t: "2026-03-02T00:00:00.000Z", count: 3 },
          { t: "2026-03-03T00:00:00.000Z", count: 0 },
        ],
      },
      expect.objectContaining({ key: "b", total: 1 }),
      expect.objectContaining({ key: "other", total: 4 }),
    ]);
  });

  it("keeps 20 keys and sums the rest", () => {
    const rows = Array.from({ length: 23 }, (_, i) => ({ key: `k${i}`, t: "2026-03-01T00:00:00Z", count: 100 - i }));
    const series = buildSeries(rows, range);
    expect(series.map((s) => s.key)).toEqual([...rows.slice(0, 20).map((r) => r.key), "other"]);
    expect(series.at(-1)?.total).toBe(80 + 79 + 78);
  });

  it("conversionRate is 0 without referrals", () => {
    expect(conversionRate({ total: 0, completed: 0 })).toBe(0);
    expect(conversionRate({ total: 3, completed: 2 })).toBe(0.6667);
  });
});
