import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src";
import type { ClickMessage } from "../../src/services/clicks";
import {
  ADMIN_TOKEN,
  ageReferral,
  call,
  createAppspace,
  createReferral,
  sql,
  type TestAppspace,
  uniqueUser,
} from "../support/api";
import { createLink, linkApiSpace, uniqueEmail } from "../support/link-api";
import { UA } from "../support/links";

/**
 * The analytics API through its HTTP surface, inside workerd, against the real rollups: referrals
 * written by the API, clicks written by the click consumer (the real queue handler, fed a batch),
 * events by the statements that change referrals.
 */

interface Stats {
  total: number;
  pending: number;
  completed: number;
  expired: number;
  conversion_rate: number;
  from: string | null;
  to: string | null;
}
interface SeriesBody {
  from: string;
  to: string;
  interval: "hour" | "day";
  total: number;
  series: { key: string; total: number; points: { t: string; count: number }[] }[];
  error?: string;
  field?: string;
}

const get = <T>(space: TestAppspace, path: string) => call<T>("GET", path, { key: space.sk });
const complete = (space: TestAppspace, code: string) =>
  call("POST", "/v1/api/referral/complete", {
    key: space.sk,
    body: { referral_code: code, referred_user_id: uniqueUser("friend") },
  });

/** Hands clicks to the click consumer as one queue batch (as the CLICKS queue would). */
async function consume(clicks: ClickMessage[]) {
  const messages = clicks.map((body) => ({
    id: crypto.randomUUID(),
    timestamp: new Date(),
    body,
    attempts: 1,
    ack: vi.fn(),
    retry: vi.fn(),
  }));
  const webhooks = { send: vi.fn(async () => {}), sendBatch: vi.fn(async () => {}) };
  await worker.queue(
    { queue: "edgeref-clicks", messages, ackAll: vi.fn(), retryAll: vi.fn() } as unknown as MessageBatch<unknown>,
    { ...env, WEBHOOKS: webhooks } as unknown as typeof env,
  );
  for (const m of messages) expect(m.ack).toHaveBeenCalled();
}

function click(space: TestAppspace, at: string, extra: Partial<ClickMessage> = {}): ClickMessage {
  return {
    id: crypto.randomUUID(),
    appspaceId: space.id,
    code: "CODEAAAAAA",
    clickedAt: at,
    route: "fallback",
    token: null,
    userAgent: UA.iphone,
    ipHash: "h".repeat(64),
    country: "DE",
    city: null,
    utm: {},
    refererHost: null,
    ...extra,
  };
}

async function runCron() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

const today = () => new Date().toISOString().slice(0, 10);

/**
 * Fixed days a little in the past (never older than 30 days: test/trust/retention.test.ts prunes
 * clicks older than that with small batches and counts on finding only its own).
 */
const dayOffset = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
const D0 = dayOffset(11);
const D1 = dayOffset(10);
const D2 = dayOffset(9);
const D3 = dayOffset(8);
const D4 = dayOffset(7);

describe("GET /v1/api/referral/stats", () => {
  it("counts by status with lazy expiry, the conversion rate, day ranges and promotions", async () => {
    const space = await createAppspace();
    const zero = await get<Stats>(space, "/v1/api/referral/stats");
    expect(zero.status).toBe(200);
    expect(zero.body).toEqual({
      total: 0,
      pending: 0,
      completed: 0,
      expired: 0,
      conversion_rate: 0,
      from: null,
      to: null,
    });

    const a = await createReferral(space);
    const b = await createReferral(space);
    await createReferral(space);
    expect((await complete(space, a.referral_code)).status).toBe(200);
    // Past its expiry (30 days by default) and still stored `pending`: it reads as expired.
    await ageReferral(b.referral_code, 40);

    const all = await get<Stats>(space, "/v1/api/referral/stats");
    expect(all.body).toEqual({
      total: 3,
      pending: 1,
      completed: 1,
      expired: 1,
      conversion_rate: 0.3333,
      from: null,
      to: null,
    });
    // Same answer whether or not the cron has persisted the expiry yet.
    await runCron();
    const [stored] = await sql<{ status: string }>("select status from referrals where code = $1", [b.referral_code]);
    expect(stored?.status).toBe("expired");
    expect((await get<Stats>(space, "/v1/api/referral/stats")).body).toEqual(all.body);

    // By UTC creation day: the aged one was created 40 days ago.
    const recent = await get<Stats>(space, `/v1/api/referral/stats?from=${today()}`);
    expect(recent.body).toMatchObject({ total: 2, pending: 1, completed: 1, expired: 0, conversion_rate: 0.5 });
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10);
    const then = await get<Stats>(space, `/v1/api/referral/stats?from=${old}&to=${old}`);
    expect(then.body).toMatchObject({ total: 1, expired: 1, from: old, to: old });
    // A date-time counts its UTC day.
    const dt = await get<Stats>(space, `/v1/api/referral/stats?from=${today()}T23:59:59Z`);
    expect(dt.body).toMatchObject({ total: 2, from: today() });
  });

  it("filters by promotion", async () => {
    const { space, promotionId } = await linkApiSpace();
    const link = await createLink(space, { email: uniqueEmail(), promotion_id: promotionId, name: "Ann" });
    expect(link.status).toBe(201);
    const converted = await call("POST", "/v1/api/conversions", {
      key: space.sk,
      body: { referral_code: link.body.link.code, referee_email: uniqueEmail("bob") },
    });
    expect(converted.status).toBe(200);
    await createReferral(space);

    expect((await get<Stats>(space, "/v1/api/referral/stats")).body).toMatchObject({ total: 2, completed: 1 });
    const promo = await get<Stats>(space, `/v1/api/referral/stats?promotion_id=${promotionId}`);
    expect(promo.body).toMatchObject({ total: 1, completed: 1, pending: 0, conversion_rate: 1 });
    const other = await get<Stats>(space, `/v1/api/referral/stats?promotion_id=${crypto.randomUUID()}`);
    expect(other.body).toMatchObject({ total: 0, conversion_rate: 0 });
  });

  it("bad ranges are 400s naming the field; other tenants' referrals never count", async () => {
    const space = await createAppspace();
    const other = await createAppspace();
    await createReferral(other);
    expect((await get<Stats>(space, "/v1/api/referral/stats")).body.total).toBe(0);
    for (const [query, field] of [
      ["from=yesterday", "from"],
      ["to=2026-02-30", "to"],
      ["from=2026-03-02&to=2026-03-01", "to"],
      ["promotion_id=nope", "promotion_id"],
    ] as const) {
      const res = await get<{ error: string; field: string }>(space, `/v1/api/referral/stats?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.field, query).toBe(field);
      expect(res.body.error, query).toContain(field);
    }
    expect((await call("GET", "/v1/api/referral/stats", { key: space.pk })).status).toBe(403);
    expect((await call("GET", "/v1/api/referral/stats")).status).toBe(401);
  });
});

describe("GET /v1/api/analytics/clicks", () => {
  it("buckets by UTC day and hour, with every empty bucket present", async () => {
    const space = await createAppspace();
    await consume([
      click(space, `${D1}T10:15:00Z`),
      click(space, `${D1}T10:59:59.999Z`),
      click(space, `${D1}T23:30:00Z`, { userAgent: UA.android, route: "play_store" }),
      click(space, `${D3}T00:00:00Z`, { userAgent: UA.desktop, country: "US", utm: { source: "newsletter" } }),
      // Outside the range on both sides.
      click(space, `${D0}T23:59:59Z`),
      click(space, `${D4}T00:00:00Z`),
    ]);
    const days = await get<SeriesBody>(space, `/v1/api/analytics/clicks?from=${D1}&to=${D3}`);
    expect(days.status).toBe(200);
    expect(days.body).toEqual({
      from: `${D1}T00:00:00.000Z`,
      to: `${D4}T00:00:00.000Z`,
      interval: "day",
      total: 4,
      series: [
        {
          key: "all",
          total: 4,
          points: [
            { t: `${D1}T00:00:00.000Z`, count: 3 },
            { t: `${D2}T00:00:00.000Z`, count: 0 },
            { t: `${D3}T00:00:00.000Z`, count: 1 },
          ],
        },
      ],
    });

    const hours = await get<SeriesBody>(
      space,
      `/v1/api/analytics/clicks?interval=hour&from=${D1}T09:30:00Z&to=${D1}T12:00:00Z`,
    );
    expect(hours.body.from).toBe(`${D1}T09:00:00.000Z`);
    expect(hours.body.series[0]?.points).toEqual([
      { t: `${D1}T09:00:00.000Z`, count: 0 },
      { t: `${D1}T10:00:00.000Z`, count: 2 },
      { t: `${D1}T11:00:00.000Z`, count: 0 },
    ]);
    // A whole day by the hour: 24 buckets.
    const day = await get<SeriesBody>(space, `/v1/api/analytics/clicks?interval=hour&from=${D1}&to=${D1}`);
    expect(day.body.series[0]?.points).toHaveLength(24);
    expect(day.body.total).toBe(3);

    // Default range: the last 30 days, up to the end of today.
    const recent = await get<SeriesBody>(space, "/v1/api/analytics/clicks");
    expect(recent.body.series[0]?.points).toHaveLength(30);
    expect(recent.body.series[0]?.points.at(-1)?.t).toBe(`${today()}T00:00:00.000Z`);
  });

  it("groups by a dimension and filters by any; both answers agree", async () => {
    const space = await createAppspace();
    await consume([
      click(space, `${D1}T10:00:00Z`, { code: "CODEBBBBBB" }),
      click(space, `${D1}T11:00:00Z`),
      click(space, `${D1}T12:00:00Z`, { userAgent: UA.android, route: "play_store", country: "FR" }),
      click(space, `${D2}T12:00:00Z`, { userAgent: UA.desktop, country: null, utm: { source: "newsletter" } }),
    ]);
    const q = `/v1/api/analytics/clicks?from=${D1}&to=${D2}`;
    const byPlatform = await get<SeriesBody>(space, `${q}&group_by=platform`);
    expect(byPlatform.body.series.map((s) => [s.key, s.total, s.points.map((p) => p.count)])).toEqual([
      ["iOS", 2, [2, 0]],
      ["Android", 1, [1, 0]],
      ["Mac OS", 1, [0, 1]],
    ]);
    const byCountry = await get<SeriesBody>(space, `${q}&group_by=country`);
    expect(byCountry.body.series.map((s) => [s.key, s.total])).toEqual([
      ["DE", 2],
      ["(none)", 1],
      ["FR", 1],
    ]);
    const byUtm = await get<SeriesBody>(space, `${q}&group_by=utm_source&utm_source=(none)`);
    expect(byUtm.body.series.map((s) => [s.key, s.total])).toEqual([["(none)", 3]]);

    // One filter, no grouping (rollups) and combined filters (raw clicks); values match whatever
    // their case.
    expect((await get<SeriesBody>(space, `${q}&platform=ios`)).body.total).toBe(2);
    expect((await get<SeriesBody>(space, `${q}&platform=Mac%20OS`)).body.total).toBe(1);
    expect((await get<SeriesBody>(space, `${q}&country=de`)).body.total).toBe(2);
    const combined = await get<SeriesBody>(space, `${q}&group_by=route&platform=ios&country=DE`);
    expect(combined.body.series.map((s) => [s.key, s.total])).toEqual([["fallback", 2]]);
    expect((await get<SeriesBody>(space, `${q}&group_by=platform&route=play_store`)).body.series).toEqual([
      expect.objectContaining({ key: "Android", total: 1 }),
    ]);

    // Referral codes: daily rollups; by the hour they are counted from raw clicks. Same totals.
    const codesDaily = await get<SeriesBody>(space, `${q}&group_by=referral_code`);
    const codesHourly = await get<SeriesBody>(space, `${q}&group_by=referral_code&interval=hour`);
    const totals = (b: SeriesBody) => Object.fromEntries(b.series.map((s) => [s.key, s.total]));
    expect(totals(codesDaily.body)).toEqual({ CODEAAAAAA: 3, CODEBBBBBB: 1 });
    expect(totals(codesHourly.body)).toEqual(totals(codesDaily.body));
    expect((await get<SeriesBody>(space, `${q}&referral_code=codebbbbbb`)).body.total).toBe(1);

    // A filter nothing matches: one `all` series of zeros.
    const none = await get<SeriesBody>(space, `${q}&country=JP`);
    expect(none.body).toMatchObject({ total: 0, series: [{ key: "all", total: 0 }] });
    expect(none.body.series[0]?.points).toHaveLength(2);
  });

  it("shows the top 20 keys and sums the rest into `other`", async () => {
    const space = await createAppspace();
    const clicks: ClickMessage[] = [];
    for (let i = 0; i < 25; i++) {
      // source_00 has 25 clicks, source_01 24, …: a strict order.
      for (let n = 0; n < 25 - i; n++) {
        clicks.push(click(space, `${D1}T10:00:00Z`, { utm: { source: `source_${String(i).padStart(2, "0")}` } }));
      }
    }
    await consume(clicks);
    const res = await get<SeriesBody>(space, `/v1/api/analytics/clicks?from=${D1}&to=${D1}&group_by=utm_source`);
    expect(res.body.series).toHaveLength(21);
    expect(res.body.series[0]).toMatchObject({ key: "source_00", total: 25 });
    expect(res.body.series[19]).toMatchObject({ key: "source_19", total: 6 });
    expect(res.body.series[20]).toMatchObject({ key: "other", total: 5 + 4 + 3 + 2 + 1 });
    expect(res.body.total).toBe(clicks.length);
  });

  it("another tenant's clicks never show; bad queries are 400s naming the field", async () => {
    const space = await createAppspace();
    const other = await createAppspace();
    await consume([click(other, `${D1}T10:00:00Z`)]);
    const mine = await get<SeriesBody>(space, `/v1/api/analytics/clicks?from=${D1}&to=${D1}&group_by=platform`);
    expect(mine.body).toMatchObject({ total: 0, series: [] });

    for (const [query, field] of [
      ["interval=week", "interval"],
      ["group_by=ip", "group_by"],
      ["from=03/01/2026", "from"],
      ["from=2026-03-02&to=2026-03-01", "to"],
      ["interval=hour&from=2026-01-01&to=2026-03-01", "from"],
      ["from=2020-01-01&to=2026-03-01", "from"],
      ["from=0000-01-01", "from"],
      ["from=2026-01-01&to=0000-01-02", "to"],
      ["to=9999-12-31", "to"],
      ["to=2026-02-30T00:00:00Z", "to"],
      ["platform=a%00b", "platform"],
      [`country=${"x".repeat(201)}`, "country"],
    ] as const) {
      const res = await get<SeriesBody>(space, `/v1/api/analytics/clicks?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.field, query).toBe(field);
    }
    expect((await call("GET", "/v1/api/analytics/clicks", { key: space.pk })).status).toBe(403);
  });
});

describe("GET /v1/api/analytics/events", () => {
  it("counts referral events per type over time, filterable by type", async () => {
    const space = await createAppspace();
    const a = await createReferral(space);
    await createReferral(space);
    await complete(space, a.referral_code);
    await call("POST", "/v1/api/referral/claim-reward", { key: space.sk, body: { referral_code: a.referral_code } });

    const all = await get<SeriesBody>(space, "/v1/api/analytics/events");
    expect(all.status).toBe(200);
    expect(Object.fromEntries(all.body.series.map((s) => [s.key, s.total]))).toEqual({
      "referral.created": 2,
      "referral.completed": 1,
      "referral.reward_claimed": 1,
    });
    expect(all.body.series[0]?.points.at(-1)).toEqual({ t: `${today()}T00:00:00.000Z`, count: 2 });

    const some = await get<SeriesBody>(space, "/v1/api/analytics/events?type=referral.completed, referral.created");
    expect(some.body.series.map((s) => s.key)).toEqual(["referral.created", "referral.completed"]);
    expect(some.body.total).toBe(3);

    // Events outlive the outbox's retention: the rollups only count inserts.
    await sql("delete from events where appspace_id = $1", [space.id]);
    expect((await get<SeriesBody>(space, "/v1/api/analytics/events")).body.total).toBe(4);

    for (const query of ["type=", "type=Referral.Created", "type=referral.created,,bad!"]) {
      const res = await get<SeriesBody>(space, `/v1/api/analytics/events?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.field, query).toBe("type");
    }
  });
});

describe("GET /v1/api/referral/leaderboard: period and sort", () => {
  it("ranks by completed or by reward value, all time or in the last 7 / 30 days", async () => {
    const space = await createAppspace({ settings: { reward_type: "credit", reward_value: "10" } });
    const board = (query: string) =>
      get<{ leaderboard: { referrer_id: string; completed: number; total: number; total_reward_value: string }[] }>(
        space,
        `/v1/api/referral/leaderboard?${query}`,
      ).then((r) => r.body.leaderboard.map((e) => [e.referrer_id, e.completed, e.total, e.total_reward_value]));

    // ann: two completions now (10 each); cid: three, moved 10 days back below; bob: one now,
    // after the reward went up to 25.
    const completeFor = async (user: string, n: number) => {
      for (let i = 0; i < n; i++) {
        const ref = await createReferral(space, { user_id: user });
        expect((await complete(space, ref.referral_code)).status).toBe(200);
      }
    };
    await completeFor("ann", 2);
    await completeFor("cid", 3);
    await sql(
      `update referrals set created_at = created_at - interval '10 days', completed_at = completed_at - interval '10 days',
                            expires_at = expires_at - interval '10 days'
        where appspace_id = $1 and referrer_id = 'cid'`,
      [space.id],
    );
    const patched = await call("PATCH", `/v1/admin/appspaces/${space.id}`, {
      key: ADMIN_TOKEN,
      body: { settings: { reward_value: "25" } },
    });
    expect(patched.status).toBe(200);
    await completeFor("bob", 1);

    expect(await board("period=7d")).toEqual([
      ["ann", 2, 2, "20"],
      ["bob", 1, 1, "25"],
    ]);
    expect(await board("period=7d&sort=reward_value")).toEqual([
      ["bob", 1, 1, "25"],
      ["ann", 2, 2, "20"],
    ]);
    expect(await board("period=30d")).toEqual([
      ["cid", 3, 3, "30"],
      ["ann", 2, 2, "20"],
      ["bob", 1, 1, "25"],
    ]);
    expect(await board("")).toEqual([
      ["cid", 3, 3, "30"],
      ["ann", 2, 2, "20"],
      ["bob", 1, 1, "25"],
    ]);
    expect((await board("sort=reward_value")).map((r) => r[0])).toEqual(["cid", "bob", "ann"]);

    const bad = await get<{ field: string }>(space, "/v1/api/referral/leaderboard?period=1y");
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe("period");
  });

  it("a day leaving the window leaves the 7-day board; the 30-day board keeps it", async () => {
    const space = await createAppspace({ settings: { reward_type: "credit", reward_value: "5" } });
    const ref = await createReferral(space, { user_id: "dee" });
    await complete(space, ref.referral_code);
    // Pretend the windows were last moved 10 days ago (so they cover 10 more days), then move the
    // completion 8 days back: it is still inside both windows until they are rolled to today.
    await sql("update leaderboard_windows set starts_on = starts_on - 10 where appspace_id = $1", [space.id]);
    await sql(
      `update referrals set created_at = created_at - interval '8 days', completed_at = completed_at - interval '8 days'
        where appspace_id = $1`,
      [space.id],
    );
    const [before] = await sql<{ n: string }>(
      "select count(*)::text as n from referrer_windows where appspace_id = $1 and period = '7d'",
      [space.id],
    );
    expect(before?.n).toBe("1");

    const seven = await get<{ leaderboard: unknown[] }>(space, "/v1/api/referral/leaderboard?period=7d");
    expect(seven.body.leaderboard).toEqual([]);
    const thirty = await get<{ leaderboard: { referrer_id: string; completed: number }[] }>(
      space,
      "/v1/api/referral/leaderboard?period=30d",
    );
    expect(thirty.body.leaderboard).toEqual([expect.objectContaining({ referrer_id: "dee", completed: 1 })]);
    const starts = await sql<{ period: string; days: string }>(
      `select period, ((now() at time zone 'UTC')::date - starts_on)::int as days from leaderboard_windows
        where appspace_id = $1 order by period`,
      [space.id],
    );
    expect(starts).toEqual([
      { period: "30d", days: "29" },
      { period: "7d", days: "6" },
    ]);
  });
});

describe("rollups under concurrency", () => {
  it("40 concurrent creates and completions leave every rollup equal to a count of the raw rows", async () => {
    const space = await createAppspace({ settings: { reward_type: "credit", reward_value: "3" } });
    const users = Array.from({ length: 20 }, (_, i) => `u${i % 7}_${i}`);
    await Promise.all(
      users.map(async (user, i) => {
        const ref = await createReferral(space, { user_id: user });
        if (i % 2 === 0) expect((await complete(space, ref.referral_code)).status).toBe(200);
        await createReferral(space, { user_id: `${user}_b` });
      }),
    );
    const stats = await get<Stats>(space, "/v1/api/referral/stats");
    const [raw] = await sql<Record<string, string>>(
      `select count(*)::text as total, count(*) filter (where status = 'completed')::text as completed,
              count(*) filter (where status = 'pending')::text as pending
         from referrals where appspace_id = $1`,
      [space.id],
    );
    expect(stats.body).toMatchObject({
      total: Number(raw?.total),
      completed: Number(raw?.completed),
      pending: Number(raw?.pending),
      expired: 0,
    });
    expect(stats.body).toMatchObject({ total: 40, completed: 10 });
    const mismatches = await sql(
      `select w.referrer_id from referrer_windows w
         full join (select referrer_id, count(*) as created, count(*) filter (where status = 'completed') as completed,
                           3 * count(*) filter (where status = 'completed') as reward
                      from referrals where appspace_id = $1 group by referrer_id) r
           on r.referrer_id = w.referrer_id
        where (w.appspace_id = $1 or w.appspace_id is null) and (w.period = '7d' or w.period is null)
          and (w.created is distinct from r.created::int or w.completed is distinct from r.completed::int
               or w.reward_value is distinct from r.reward::numeric)`,
      [space.id],
    );
    expect(mismatches).toEqual([]);
  });
});
