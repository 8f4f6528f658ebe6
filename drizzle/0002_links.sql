CREATE TABLE "clicks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"appspace_id" uuid NOT NULL,
	"code" text NOT NULL,
	"clicked_at" timestamp with time zone NOT NULL,
	"route" text NOT NULL,
	"token" text,
	"os" text,
	"os_version" text,
	"device_type" text,
	"browser" text,
	"browser_version" text,
	"in_app" text,
	"country" text,
	"city" text,
	"utm_source" text,
	"utm_medium" text,
	"utm_campaign" text,
	"utm_term" text,
	"utm_content" text,
	"referer_host" text,
	"ip_hash" text
);
--> statement-breakpoint
CREATE TABLE "deferred_claims" (
	"token" text PRIMARY KEY NOT NULL,
	"appspace_id" uuid NOT NULL,
	"code" text NOT NULL,
	"method" text NOT NULL,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "clicks" ADD CONSTRAINT "clicks_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deferred_claims" ADD CONSTRAINT "deferred_claims_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "clicks_appspace_time_idx" ON "clicks" USING btree ("appspace_id","clicked_at");--> statement-breakpoint
CREATE INDEX "clicks_code_idx" ON "clicks" USING btree ("code");--> statement-breakpoint
CREATE INDEX "deferred_claims_appspace_idx" ON "deferred_claims" USING btree ("appspace_id","claimed_at");