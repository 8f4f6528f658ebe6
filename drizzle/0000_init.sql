CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"appspace_id" uuid NOT NULL,
	"type" text NOT NULL,
	"key_hash" text NOT NULL,
	"start" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_type_check" CHECK ("api_keys"."type" in ('publishable', 'secret'))
);
--> statement-breakpoint
CREATE TABLE "appspaces" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"domains" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"settings" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"appspace_id" uuid NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"dispatched_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "referrals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"appspace_id" uuid NOT NULL,
	"code" text NOT NULL,
	"referrer_id" text NOT NULL,
	"referrer_name" text,
	"referred_user_id" text,
	"referred_user_name" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"milestone" text DEFAULT 'pending' NOT NULL,
	"milestone_history" jsonb NOT NULL,
	"metadata" jsonb,
	"referrer_ip_hash" text,
	"referrer_device_id" text,
	"referred_ip_hash" text,
	"referred_device_id" text,
	"reward_type" text,
	"reward_value" text,
	"referee_reward_type" text,
	"referee_reward_value" text,
	"reward_claimed" boolean DEFAULT false NOT NULL,
	"reward_claimed_at" timestamp with time zone,
	"referee_reward_claimed" boolean DEFAULT false NOT NULL,
	"referee_reward_claimed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "referrals_status_check" CHECK ("referrals"."status" in ('pending', 'completed', 'expired'))
);
--> statement-breakpoint
CREATE TABLE "referrer_stats" (
	"appspace_id" uuid NOT NULL,
	"referrer_id" text NOT NULL,
	"referrer_name" text,
	"total" integer DEFAULT 0 NOT NULL,
	"completed" integer DEFAULT 0 NOT NULL,
	"total_reward_value" numeric DEFAULT '0' NOT NULL,
	CONSTRAINT "referrer_stats_appspace_id_referrer_id_pk" PRIMARY KEY("appspace_id","referrer_id")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referrals" ADD CONSTRAINT "referrals_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referrer_stats" ADD CONSTRAINT "referrer_stats_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_key_hash_idx" ON "api_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE INDEX "api_keys_appspace_idx" ON "api_keys" USING btree ("appspace_id");--> statement-breakpoint
CREATE INDEX "events_undispatched_idx" ON "events" USING btree ("created_at") WHERE "events"."dispatched_at" is null;--> statement-breakpoint
CREATE INDEX "events_appspace_idx" ON "events" USING btree ("appspace_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "referrals_code_idx" ON "referrals" USING btree ("code");--> statement-breakpoint
CREATE UNIQUE INDEX "referrals_one_pending_per_user_idx" ON "referrals" USING btree ("appspace_id","referrer_id") WHERE "referrals"."status" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "referrals_one_completion_per_referee_idx" ON "referrals" USING btree ("appspace_id","referred_user_id") WHERE "referrals"."status" = 'completed';--> statement-breakpoint
CREATE INDEX "referrals_by_user_idx" ON "referrals" USING btree ("appspace_id","referrer_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "referrer_stats_rank_idx" ON "referrer_stats" USING btree ("appspace_id","completed" DESC NULLS LAST,"referrer_id");