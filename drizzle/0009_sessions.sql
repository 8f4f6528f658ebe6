CREATE TABLE "dashboard_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"key_id" uuid,
	"expires_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "dashboard_sessions" ADD CONSTRAINT "dashboard_sessions_key_id_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dashboard_sessions_expires_idx" ON "dashboard_sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "referrals_pending_expiry_appspace_idx" ON "referrals" USING btree ("appspace_id","expires_at") WHERE "referrals"."status" = 'pending';--> statement-breakpoint
-- Persist the lazy expiry that accumulated before the cron started doing it (0007): the stats
-- read corrects only for referrals that expired since the cron's last run, and counts them per
-- appspace through referrals_pending_expiry_appspace_idx. The rollup triggers move the counts.
UPDATE referrals SET status = 'expired' WHERE status = 'pending' AND expires_at <= now();
