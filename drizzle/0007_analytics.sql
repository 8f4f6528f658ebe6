CREATE TABLE "click_rollups" (
	"appspace_id" uuid NOT NULL,
	"dim" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"value" text NOT NULL,
	"clicks" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "click_rollups_appspace_id_dim_bucket_value_pk" PRIMARY KEY("appspace_id","dim","bucket","value")
);
--> statement-breakpoint
CREATE TABLE "event_rollups" (
	"appspace_id" uuid NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"type" text NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "event_rollups_appspace_id_bucket_type_pk" PRIMARY KEY("appspace_id","bucket","type")
);
--> statement-breakpoint
CREATE TABLE "leaderboard_windows" (
	"appspace_id" uuid NOT NULL,
	"period" text NOT NULL,
	"starts_on" date NOT NULL,
	CONSTRAINT "leaderboard_windows_appspace_id_period_pk" PRIMARY KEY("appspace_id","period")
);
--> statement-breakpoint
CREATE TABLE "referral_rollups" (
	"appspace_id" uuid NOT NULL,
	"day" date NOT NULL,
	"promotion_key" uuid NOT NULL,
	"total" integer DEFAULT 0 NOT NULL,
	"pending" integer DEFAULT 0 NOT NULL,
	"completed" integer DEFAULT 0 NOT NULL,
	"expired" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "referral_rollups_appspace_id_day_promotion_key_pk" PRIMARY KEY("appspace_id","day","promotion_key")
);
--> statement-breakpoint
CREATE TABLE "referrer_daily" (
	"appspace_id" uuid NOT NULL,
	"day" date NOT NULL,
	"referrer_id" text NOT NULL,
	"created" integer DEFAULT 0 NOT NULL,
	"completed" integer DEFAULT 0 NOT NULL,
	"reward_value" numeric DEFAULT '0' NOT NULL,
	CONSTRAINT "referrer_daily_appspace_id_day_referrer_id_pk" PRIMARY KEY("appspace_id","day","referrer_id")
);
--> statement-breakpoint
CREATE TABLE "referrer_windows" (
	"appspace_id" uuid NOT NULL,
	"period" text NOT NULL,
	"referrer_id" text NOT NULL,
	"created" integer DEFAULT 0 NOT NULL,
	"completed" integer DEFAULT 0 NOT NULL,
	"reward_value" numeric DEFAULT '0' NOT NULL,
	CONSTRAINT "referrer_windows_appspace_id_period_referrer_id_pk" PRIMARY KEY("appspace_id","period","referrer_id")
);
--> statement-breakpoint
ALTER TABLE "click_rollups" ADD CONSTRAINT "click_rollups_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_rollups" ADD CONSTRAINT "event_rollups_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leaderboard_windows" ADD CONSTRAINT "leaderboard_windows_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referral_rollups" ADD CONSTRAINT "referral_rollups_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referrer_daily" ADD CONSTRAINT "referrer_daily_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referrer_windows" ADD CONSTRAINT "referrer_windows_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "referrer_windows_completed_idx" ON "referrer_windows" USING btree ("appspace_id","period","completed" DESC NULLS LAST,"referrer_id");--> statement-breakpoint
CREATE INDEX "referrer_windows_reward_idx" ON "referrer_windows" USING btree ("appspace_id","period","reward_value" DESC NULLS LAST,"referrer_id");--> statement-breakpoint
CREATE INDEX "referrals_pending_expiry_idx" ON "referrals" USING btree ("expires_at") WHERE "referrals"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "referrals_appspace_created_idx" ON "referrals" USING btree ("appspace_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "referrer_stats_reward_idx" ON "referrer_stats" USING btree ("appspace_id","total_reward_value" DESC NULLS LAST,"referrer_id");--> statement-breakpoint
-- ---------------------------------------------------------------------------------------------
-- Analytics rollups, maintained by statement-level triggers (hand-written: drizzle-kit does not
-- model triggers). Each trigger aggregates the statement's whole transition table once, so a batch
-- of clicks or a bulk import costs one upsert per bucket, not one per row; its upserts are ordered
-- by key so concurrent statements lock shared rollup rows in the same order. Rows of an appspace
-- being deleted (a cascade) are skipped by joining `appspaces`.

-- Referrals: signed contributions (+1 per new row image, -1 per old one) to referral_rollups (per
-- creation day, promotion and stored status), referrer_daily (created on the creation day,
-- completed and reward value on the completion day) and the rolling leaderboard windows.
CREATE FUNCTION edgeref_referrals_rollup() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  src text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    src := 'select 1 as sign, n.* from new_rows n';
  ELSIF TG_OP = 'UPDATE' THEN
    -- Most updates (milestones, reward claims, erasure) change nothing the rollups count.
    IF NOT EXISTS (
      SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE (n.appspace_id, n.referrer_id, n.status, n.promotion_id, n.created_at, n.completed_at, n.reward_value)
            IS DISTINCT FROM (o.appspace_id, o.referrer_id, o.status, o.promotion_id, o.created_at, o.completed_at,
                              o.reward_value)
    ) THEN
      RETURN NULL;
    END IF;
    src := 'select 1 as sign, n.* from new_rows n union all select -1, o.* from old_rows o';
  ELSE
    src := 'select -1 as sign, o.* from old_rows o';
  END IF;
  -- The leaderboard windows must exist before contributions are matched against them, and a
  -- window must not move (roll_leaderboard_windows takes this lock exclusively) between reading
  -- where it starts and adding to it.
  EXECUTE format($q$
    insert into leaderboard_windows (appspace_id, period, starts_on)
    select distinct d.appspace_id, p.period, (now() at time zone 'UTC')::date - p.days + 1
    from (%s) d join appspaces a on a.id = d.appspace_id
    cross join (values ('7d', 7), ('30d', 30)) as p(period, days)
    order by 1, 2
    on conflict do nothing$q$, src);
  EXECUTE format($q$
    select pg_advisory_xact_lock_shared(hashtextextended('edgeref:leaderboard:' || appspace_id::text, 0))
    from (select distinct d.appspace_id from (%s) d order by 1) s$q$, src);
  EXECUTE format($q$
    with d as (
      select x.sign, x.appspace_id, x.referrer_id, x.status, x.promotion_id, x.created_at, x.completed_at,
             case when x.reward_value ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' then trim(x.reward_value)::numeric
                  else 0 end as reward
      from (%s) x join appspaces a on a.id = x.appspace_id
    ), totals as (
      insert into referral_rollups as t (appspace_id, day, promotion_key, total, pending, completed, expired)
      select appspace_id, (created_at at time zone 'UTC')::date,
             coalesce(promotion_id, '00000000-0000-0000-0000-000000000000'::uuid),
             sum(sign), sum(sign * (status = 'pending')::int), sum(sign * (status = 'completed')::int),
             sum(sign * (status = 'expired')::int)
      from d group by 1, 2, 3
      having sum(sign) <> 0 or sum(sign * (status = 'pending')::int) <> 0
          or sum(sign * (status = 'completed')::int) <> 0 or sum(sign * (status = 'expired')::int) <> 0
      order by 1, 2, 3
      on conflict (appspace_id, day, promotion_key) do update
        set total = t.total + excluded.total, pending = t.pending + excluded.pending,
            completed = t.completed + excluded.completed, expired = t.expired + excluded.expired
    ), per_day as (
      select appspace_id, day, referrer_id, sum(created) as created, sum(completed) as completed,
             sum(reward) as reward
      from (
        select appspace_id, (created_at at time zone 'UTC')::date as day, referrer_id, sign as created,
               0 as completed, 0::numeric as reward
        from d
        union all
        select appspace_id, (completed_at at time zone 'UTC')::date, referrer_id, 0, sign, sign * reward
        from d where status = 'completed' and completed_at is not null
      ) c
      group by 1, 2, 3
      having sum(created) <> 0 or sum(completed) <> 0 or sum(reward) <> 0
    ), daily as (
      insert into referrer_daily as t (appspace_id, day, referrer_id, created, completed, reward_value)
      select * from per_day order by 1, 2, 3
      on conflict (appspace_id, day, referrer_id) do update
        set created = t.created + excluded.created, completed = t.completed + excluded.completed,
            reward_value = t.reward_value + excluded.reward_value
    )
    insert into referrer_windows as t (appspace_id, period, referrer_id, created, completed, reward_value)
    select p.appspace_id, w.period, p.referrer_id, sum(p.created), sum(p.completed), sum(p.reward)
    from per_day p join leaderboard_windows w on w.appspace_id = p.appspace_id and p.day >= w.starts_on
    group by 1, 2, 3
    order by 1, 2, 3
    on conflict (appspace_id, period, referrer_id) do update
      set created = t.created + excluded.created, completed = t.completed + excluded.completed,
          reward_value = t.reward_value + excluded.reward_value$q$, src);
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE TRIGGER referrals_rollup_insert AFTER INSERT ON referrals REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION edgeref_referrals_rollup();
--> statement-breakpoint
CREATE TRIGGER referrals_rollup_update AFTER UPDATE ON referrals REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION edgeref_referrals_rollup();
--> statement-breakpoint
CREATE TRIGGER referrals_rollup_delete AFTER DELETE ON referrals REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION edgeref_referrals_rollup();
--> statement-breakpoint
-- Moves an appspace's rolling windows to today (UTC): subtracts the days that left each window.
-- Cheap when nothing moved (one primary-key read); the cron calls it every run, and the 7/30-day
-- leaderboard read calls it first, so a window is right even where no cron runs.
CREATE FUNCTION roll_leaderboard_windows(p_appspace uuid) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  w record;
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM leaderboard_windows
    WHERE appspace_id = p_appspace
      AND starts_on < (now() at time zone 'UTC')::date - (CASE period WHEN '7d' THEN 7 ELSE 30 END) + 1
  ) THEN
    RETURN;
  END IF;
  -- Waits for statements adding to the windows (they hold it shared); from here they wait for us.
  PERFORM pg_advisory_xact_lock(hashtextextended('edgeref:leaderboard:' || p_appspace::text, 0));
  FOR w IN
    SELECT period, starts_on,
           (now() at time zone 'UTC')::date - (CASE period WHEN '7d' THEN 7 ELSE 30 END) + 1 AS new_start
    FROM leaderboard_windows WHERE appspace_id = p_appspace ORDER BY period
  LOOP
    CONTINUE WHEN w.starts_on >= w.new_start;
    WITH gone AS (
      SELECT referrer_id, sum(created) AS created, sum(completed) AS completed, sum(reward_value) AS reward
      FROM referrer_daily
      WHERE appspace_id = p_appspace AND day >= w.starts_on AND day < w.new_start
      GROUP BY referrer_id
    )
    UPDATE referrer_windows t
       SET created = t.created - g.created, completed = t.completed - g.completed,
           reward_value = t.reward_value - g.reward
      FROM gone g
     WHERE t.appspace_id = p_appspace AND t.period = w.period AND t.referrer_id = g.referrer_id;
    DELETE FROM referrer_windows t
     WHERE t.appspace_id = p_appspace AND t.period = w.period
       AND t.created = 0 AND t.completed = 0 AND t.reward_value = 0
       AND t.referrer_id IN (SELECT referrer_id FROM referrer_daily
                             WHERE appspace_id = p_appspace AND day >= w.starts_on AND day < w.new_start);
    UPDATE leaderboard_windows SET starts_on = w.new_start
     WHERE appspace_id = p_appspace AND period = w.period;
  END LOOP;
END
$fn$;
--> statement-breakpoint
-- Clicks: one row per bucket and dimension value (see click_rollups in src/db/schema.ts).
CREATE FUNCTION edgeref_clicks_rollup() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO click_rollups AS t (appspace_id, dim, bucket, value, clicks)
  SELECT c.appspace_id, v.dim,
         date_trunc(CASE v.dim WHEN 'referral_code' THEN 'day' ELSE 'hour' END, c.clicked_at, 'UTC'),
         coalesce(nullif(v.value, ''), '(none)'), count(*)
  FROM new_rows c
  JOIN appspaces a ON a.id = c.appspace_id
  CROSS JOIN LATERAL (VALUES ('all', 'all'), ('platform', c.os), ('device_type', c.device_type),
                             ('browser', c.browser), ('country', c.country), ('utm_source', c.utm_source),
                             ('route', c.route), ('referral_code', c.code)) AS v(dim, value)
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (appspace_id, dim, bucket, value) DO UPDATE SET clicks = t.clicks + excluded.clicks;
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE TRIGGER clicks_rollup_insert AFTER INSERT ON clicks REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION edgeref_clicks_rollup();
--> statement-breakpoint
CREATE FUNCTION edgeref_events_rollup() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO event_rollups AS t (appspace_id, bucket, type, count)
  SELECT e.appspace_id, date_trunc('hour', e.created_at, 'UTC'), e.type, count(*)
  FROM new_rows e JOIN appspaces a ON a.id = e.appspace_id
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  ON CONFLICT (appspace_id, bucket, type) DO UPDATE SET count = t.count + excluded.count;
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE TRIGGER events_rollup_insert AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION edgeref_events_rollup();
--> statement-breakpoint
-- Backfill from what is already stored (the triggers only see what is written from now on).
INSERT INTO referral_rollups (appspace_id, day, promotion_key, total, pending, completed, expired)
SELECT appspace_id, (created_at at time zone 'UTC')::date,
       coalesce(promotion_id, '00000000-0000-0000-0000-000000000000'::uuid),
       count(*), count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'completed'),
       count(*) FILTER (WHERE status = 'expired')
FROM referrals GROUP BY 1, 2, 3;
--> statement-breakpoint
INSERT INTO referrer_daily (appspace_id, day, referrer_id, created, completed, reward_value)
SELECT appspace_id, day, referrer_id, sum(created), sum(completed), sum(reward)
FROM (
  SELECT appspace_id, (created_at at time zone 'UTC')::date AS day, referrer_id, 1 AS created, 0 AS completed,
         0::numeric AS reward
  FROM referrals
  UNION ALL
  SELECT appspace_id, (completed_at at time zone 'UTC')::date, referrer_id, 0, 1,
         CASE WHEN reward_value ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' THEN trim(reward_value)::numeric ELSE 0 END
  FROM referrals WHERE status = 'completed' AND completed_at IS NOT NULL
) c
GROUP BY 1, 2, 3;
--> statement-breakpoint
INSERT INTO leaderboard_windows (appspace_id, period, starts_on)
SELECT a.id, p.period, (now() at time zone 'UTC')::date - p.days + 1
FROM appspaces a CROSS JOIN (VALUES ('7d', 7), ('30d', 30)) AS p(period, days);
--> statement-breakpoint
INSERT INTO referrer_windows (appspace_id, period, referrer_id, created, completed, reward_value)
SELECT d.appspace_id, w.period, d.referrer_id, sum(d.created), sum(d.completed), sum(d.reward_value)
FROM referrer_daily d JOIN leaderboard_windows w ON w.appspace_id = d.appspace_id AND d.day >= w.starts_on
GROUP BY 1, 2, 3;
--> statement-breakpoint
INSERT INTO click_rollups (appspace_id, dim, bucket, value, clicks)
SELECT c.appspace_id, v.dim,
       date_trunc(CASE v.dim WHEN 'referral_code' THEN 'day' ELSE 'hour' END, c.clicked_at, 'UTC'),
       coalesce(nullif(v.value, ''), '(none)'), count(*)
FROM clicks c
CROSS JOIN LATERAL (VALUES ('all', 'all'), ('platform', c.os), ('device_type', c.device_type),
                           ('browser', c.browser), ('country', c.country), ('utm_source', c.utm_source),
                           ('route', c.route), ('referral_code', c.code)) AS v(dim, value)
GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
INSERT INTO event_rollups (appspace_id, bucket, type, count)
SELECT appspace_id, date_trunc('hour', created_at, 'UTC'), type, count(*) FROM events GROUP BY 1, 2, 3;
