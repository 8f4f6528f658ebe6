CREATE TABLE "consents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"appspace_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"granted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"text_version" text,
	"source" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"appspace_id" uuid NOT NULL,
	"order_id" text,
	"aid" text,
	"code" text NOT NULL,
	"referral_id" uuid,
	"event" text NOT NULL,
	"amount" numeric,
	"currency" text,
	"product_id" text,
	"status" text NOT NULL,
	"locked_until" timestamp with time zone NOT NULL,
	"response_status" integer,
	"response_error" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "emails" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"appspace_id" uuid NOT NULL,
	"user_id" uuid,
	"link_code" text,
	"kind" text NOT NULL,
	"to_address" text NOT NULL,
	"subject" text,
	"text" text,
	"html" text,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"provider_message_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "links" (
	"code" text PRIMARY KEY NOT NULL,
	"appspace_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"promotion_id" uuid NOT NULL,
	"reward_receiver" text,
	"target_url" text,
	"product_id" text,
	"metadata" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "links_code_length_check" CHECK (char_length("links"."code") = 8)
);
--> statement-breakpoint
CREATE TABLE "promotions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"appspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"reward_receiver" text NOT NULL,
	"reward_type" text NOT NULL,
	"reward_value" text,
	"referee_reward_type" text NOT NULL,
	"referee_reward_value" text,
	"target_url" text NOT NULL,
	"allowed_hosts" jsonb NOT NULL,
	"product_id" text,
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"attribution_days" integer NOT NULL,
	"app_routing" boolean DEFAULT false NOT NULL,
	"email" jsonb NOT NULL,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "promotions_reward_receiver_check" CHECK ("promotions"."reward_receiver" in ('referrer', 'referee', 'both'))
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"appspace_id" uuid NOT NULL,
	"email" text NOT NULL,
	"email_canonical" text NOT NULL,
	"name" text,
	"external_user_id" text,
	"metadata" jsonb,
	"locale" text,
	"unsubscribed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "referrals_one_pending_per_user_idx";--> statement-breakpoint
ALTER TABLE "clicks" ADD COLUMN "aid" text;--> statement-breakpoint
ALTER TABLE "referrals" ADD COLUMN "link_code" text;--> statement-breakpoint
ALTER TABLE "referrals" ADD COLUMN "promotion_id" uuid;--> statement-breakpoint
ALTER TABLE "referrals" ADD COLUMN "product_id" text;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_referral_id_referrals_id_fk" FOREIGN KEY ("referral_id") REFERENCES "public"."referrals"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "emails" ADD CONSTRAINT "emails_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "emails" ADD CONSTRAINT "emails_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "links" ADD CONSTRAINT "links_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "links" ADD CONSTRAINT "links_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "links" ADD CONSTRAINT "links_promotion_id_promotions_id_fk" FOREIGN KEY ("promotion_id") REFERENCES "public"."promotions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "promotions" ADD CONSTRAINT "promotions_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "consents_user_idx" ON "consents" USING btree ("user_id","granted_at");--> statement-breakpoint
CREATE UNIQUE INDEX "conversions_order_idx" ON "conversions" USING btree ("appspace_id","order_id");--> statement-breakpoint
CREATE INDEX "conversions_code_idx" ON "conversions" USING btree ("code");--> statement-breakpoint
CREATE UNIQUE INDEX "emails_link_kind_idx" ON "emails" USING btree ("link_code","kind");--> statement-breakpoint
CREATE INDEX "emails_appspace_idx" ON "emails" USING btree ("appspace_id","created_at" DESC NULLS LAST,"id");--> statement-breakpoint
CREATE INDEX "emails_unsent_idx" ON "emails" USING btree ("updated_at") WHERE status in ('queued', 'sending');--> statement-breakpoint
CREATE UNIQUE INDEX "links_user_promotion_idx" ON "links" USING btree ("user_id","promotion_id");--> statement-breakpoint
CREATE INDEX "links_appspace_idx" ON "links" USING btree ("appspace_id","created_at");--> statement-breakpoint
CREATE INDEX "promotions_appspace_idx" ON "promotions" USING btree ("appspace_id","created_at" DESC NULLS LAST,"id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_idx" ON "users" USING btree ("appspace_id","email");--> statement-breakpoint
CREATE INDEX "users_external_id_idx" ON "users" USING btree ("appspace_id","external_user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "referrals_one_pending_code_per_user_idx" ON "referrals" USING btree ("appspace_id","referrer_id") WHERE "referrals"."status" = 'pending' and "referrals"."link_code" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "referrals_link_referee_idx" ON "referrals" USING btree ("link_code","referred_user_id") WHERE "referrals"."link_code" is not null;