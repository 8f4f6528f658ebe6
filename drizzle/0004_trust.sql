CREATE TABLE "appspace_domains" (
	"domain" text PRIMARY KEY NOT NULL,
	"appspace_id" uuid NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" text NOT NULL,
	"locked_until" timestamp with time zone NOT NULL,
	"response_status" integer,
	"response_headers" jsonb,
	"response_body" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_scope_key_pk" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
ALTER TABLE "appspaces" ADD COLUMN "identity_secret" text;--> statement-breakpoint
ALTER TABLE "appspace_domains" ADD CONSTRAINT "appspace_domains_appspace_id_appspaces_id_fk" FOREIGN KEY ("appspace_id") REFERENCES "public"."appspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "appspace_domains_appspace_idx" ON "appspace_domains" USING btree ("appspace_id");--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_idx" ON "idempotency_keys" USING btree ("expires_at");--> statement-breakpoint
-- Backfill: each domain goes to the oldest appspace that listed it (the one that served it so far);
-- later appspaces that listed the same domain lose it, so the two stay consistent.
INSERT INTO "appspace_domains" ("domain", "appspace_id")
SELECT DISTINCT ON (d) d, a.id
FROM "appspaces" a, jsonb_array_elements_text(a.domains) AS d
ORDER BY d, a.created_at;--> statement-breakpoint
UPDATE "appspaces" a SET "domains" = (
  SELECT coalesce(jsonb_agg(x.d ORDER BY x.ord), '[]'::jsonb)
  FROM jsonb_array_elements_text(a.domains) WITH ORDINALITY AS x(d, ord)
  WHERE EXISTS (SELECT 1 FROM "appspace_domains" ad WHERE ad.domain = x.d AND ad.appspace_id = a.id)
);
