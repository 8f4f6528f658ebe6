/**
 * Seeding for the benchmarks that need a live-looking appspace at 10k and 1M referrals
 * (bench/referrals.ts, bench/analytics.ts): plain SQL over \`pg\`, one INSERT … SELECT per appspace.
 * The rollup triggers (drizzle/0007_analytics.sql) see each INSERT as one statement.
 */

export const REFERRALS_PER_REFERRER = 10;

/** Deterministic uniform [0, 1) per row and salt: reproducible data without random(). */
export const uniform = (salt: number) =>
  `((hashint8extended(g.i, ${salt}) & 9007199254740991)::float8 / 9007199254740992)`;

/**
 * A unique, valid-looking 10-character code: the appspace tag, then 9 symbols of the code
 * alphabet spelling i * (odd constant) mod 2^45, a bijection, so codes never collide.
 */
export function codeExpression(tag: string): string {
  const x = "((g.i * 11400714819) & 35184372088831)";
  const symbols = Array.from(
    { length: 9 },
    (_, k) => `substr('ABCDEFGHJKLMNPQRSTUVWXYZ23456789', ((${x} >> ${5 * k}) & 31)::int + 1, 1)`,
  );
  return [`'${tag}'`, ...symbols].join(" || ");
}

const isoText = (expr: string) => `to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * N referrals from N/10 referrers, shaped like a live appspace:
 * - rows N-R+1..N (R = referrers) are each referrer's latest referral, created in the last 40
 *   days: 70% still `pending` (so a quarter of those read as lazily expired), 30% completed. At
 *   most one pending row per referrer, as the partial unique index demands.
 * - rows 1..N-R, created over the year before, belong to referrer floor(R * u^2): a power law
 *   (referrer 0 is the heaviest, the median referrer has ~7 referrals); 40% completed, 60% expired.
 * - physical order follows created_at, as it would in production.
 * - completed rows have a unique referred_user_id (one completion per referee) and a numeric reward.
 */
/** The two sizes bench:referrals and bench:analytics seed and compare (1M must stay near 10k). */
export const SEED_SIZES = [
  { label: "10k", n: 10_000, tag: "S" },
  { label: "1M", n: 1_000_000, tag: "L" },
] as const;

export function referralsSeedSql(tag: string): string {
  return `
    with p as (select $2::int as n, ($2::int / ${REFERRALS_PER_REFERRER}) as nr)
    insert into referrals (appspace_id, code, referrer_id, referrer_name, referred_user_id, referred_user_name,
                           status, milestone, milestone_history, metadata,
                           referrer_ip_hash, referrer_device_id, referred_ip_hash, referred_device_id,
                           reward_type, reward_value, referee_reward_type, referee_reward_value,
                           reward_claimed, reward_claimed_at, created_at, completed_at, expires_at)
    select $1::uuid, code, 'ref-' || r, 'Referrer ' || r,
           case when st = 'completed' then 'usr-' || i end,
           case when st = 'completed' then 'Friend ' || i end,
           st, case when st = 'completed' then 'completed' else 'pending' end,
           case when st = 'completed'
             then jsonb_build_array(jsonb_build_object('milestone', 'pending', 'timestamp', ${isoText("created")}),
                                    jsonb_build_object('milestone', 'completed', 'timestamp', ${isoText("done")}))
             else jsonb_build_array(jsonb_build_object('milestone', 'pending', 'timestamp', ${isoText("created")}))
           end,
           case when u_meta < 0.5 then jsonb_build_object('campaign', 'c' || (i % 7), 'source', 'share-sheet') end,
           md5('ip' || r) || md5('ip2' || r), md5('dev' || r),
           case when st = 'completed' then md5('rip' || i) || md5('rip2' || i) end,
           case when st = 'completed' then md5('rdev' || i) end,
           case when st = 'completed' then 'credit' end,
           case when st = 'completed' then ((1 + i % 4) * 5)::text end,
           case when st = 'completed' then 'discount' end,
           case when st = 'completed' then '10' end,
           st = 'completed' and u_meta < 0.3,
           case when st = 'completed' and u_meta < 0.3 then done end,
           created,
           case when st = 'completed' then done end,
           created + interval '30 days'
    from (
      select g.i, g.tail, g.r, g.created, g.u_meta,
             case when g.tail then (case when g.u_status < 0.7 then 'pending' else 'completed' end)
                  else (case when g.u_status < 0.4 then 'completed' else 'expired' end) end as st,
             g.created + least(interval '7 days', (now() - g.created) / 2) * g.u_done as done,
             ${codeExpression(tag)} as code
      from (
        select g.i, g.i > p.n - p.nr as tail,
               case when g.i > p.n - p.nr then g.i - (p.n - p.nr) - 1
                    else least(p.nr - 1, floor(p.nr * power(${uniform(1)}, 2))::int) end as r,
               case when g.i > p.n - p.nr
                    then now() - interval '40 days' * (1 - (g.i - (p.n - p.nr))::float8 / p.nr)
                    else now() - interval '400 days' + interval '360 days' * (g.i::float8 / (p.n - p.nr)) end
                 as created,
               ${uniform(2)} as u_status, ${uniform(3)} as u_done, ${uniform(4)} as u_meta
        from p, generate_series(1::bigint, p.n::bigint) as g(i)
      ) g
    ) g`;
}

export const referralStatsSql = `
  insert into referrer_stats (appspace_id, referrer_id, referrer_name, total, completed, total_reward_value)
  select appspace_id, referrer_id, max(referrer_name), count(*)::int,
         (count(*) filter (where status = 'completed'))::int,
         coalesce(sum(reward_value::numeric) filter (where status = 'completed'), 0)
  from referrals where appspace_id = $1::uuid
  group by appspace_id, referrer_id`;

/**
 * A bench appspace, removed at the end when the bench ran against a DATABASE_URL of the caller's
 * (BENCH_KEEP=1 keeps it); a throwaway database goes away whole.
 */
export async function benchAppspace(
  client: { query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }> },
  name: string,
  register: (step: () => Promise<void> | void) => void,
  log: (line: string) => void,
): Promise<string> {
  const {
    rows: [space],
  } = await client.query<{ id: string }>(
    "insert into appspaces (name, settings) values ($1, '{}'::jsonb) returning id",
    [`${name}-${Date.now()}`],
  );
  if (!space) throw new Error("appspace insert returned nothing");
  register(async () => {
    if (!process.env.DATABASE_URL || process.env.BENCH_KEEP === "1") return;
    log(`removing bench appspace ${name} from DATABASE_URL`);
    await client.query("delete from appspaces where id = $1", [space.id]);
  });
  return space.id;
}
