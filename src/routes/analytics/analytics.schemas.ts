import { z } from "@hono/zod-openapi";
import { INTERVALS } from "../../analytics/range";
import { CLICK_DIMENSIONS } from "../../db/analytics";

const instant = (description: string) => z.string().max(40).optional().openapi({ description, example: "2026-03-01" });

const RangeQuery = {
  from: instant("Start (ISO 8601 date or date-time, UTC), rounded down to its bucket. Default: 30 days before `to`"),
  to: instant("End, exclusive and rounded up to a bucket; a date alone includes that whole day. Default: now"),
  interval: z.enum(INTERVALS).default("day").openapi({ description: "Bucket size (UTC hours or days)" }),
};

const filterValue = z.string().trim().min(1).max(200);

export const ClickAnalyticsQuery = z.object({
  ...RangeQuery,
  group_by: z.enum(CLICK_DIMENSIONS).optional().openapi({
    description: "One series per value of this dimension (top 20 by clicks, the rest summed as `other`)",
  }),
  platform: filterValue.optional().openapi({
    example: "iOS",
    description: "As recorded from the User-Agent (iOS, Android, Mac OS, Windows, …); any case",
  }),
  device_type: filterValue.optional().openapi({ example: "phone" }),
  browser: filterValue.optional().openapi({ example: "safari" }),
  country: filterValue
    .transform((v) => v.toUpperCase())
    .optional()
    .openapi({ example: "DE", description: "ISO 3166-1 alpha-2" }),
  referral_code: filterValue
    .transform((v) => v.toUpperCase())
    .optional()
    .openapi({ example: "XKCD7B2MNQ" }),
  utm_source: filterValue.optional().openapi({ example: "newsletter", description: "`(none)` for clicks without one" }),
  route: filterValue
    .optional()
    .openapi({ example: "play_store", description: "play_store, ios_page, interstitial, fallback, …" }),
});

const EVENT_TYPE = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;

export const EventAnalyticsQuery = z.object({
  ...RangeQuery,
  type: z
    .string()
    .max(500)
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return null;
      const types = [
        ...new Set(
          v
            .split(",")
            .map((t) => t.trim())
            .filter(Boolean),
        ),
      ];
      const bad = types.find((t) => !EVENT_TYPE.test(t) || t.length > 64);
      if (!types.length || bad !== undefined) {
        ctx.addIssue({
          code: "custom",
          message: bad ? `not an event type: ${JSON.stringify(bad.slice(0, 64))}` : "must name at least one event type",
        });
        return z.NEVER;
      }
      return types;
    })
    .openapi({
      type: "string",
      example: "referral.created,referral.completed",
      description:
        "Comma-separated event types (referral.created, referral.milestone, referral.completed, referral.reward_claimed, link.clicked, …). Default: every referral.* type and link.clicked",
    }),
});

const Series = z
  .object({
    key: z.string().openapi({ description: "The dimension's value (`all` without group_by; `other`: the rest)" }),
    total: z.number().int(),
    points: z.array(
      z.object({ t: z.string().openapi({ description: "Bucket start, ISO 8601 UTC" }), count: z.number().int() }),
    ),
  })
  .openapi("AnalyticsSeries");

export const AnalyticsResponse = z
  .object({
    from: z.string(),
    to: z.string(),
    interval: z.enum(INTERVALS),
    total: z.number().int(),
    series: z.array(Series),
  })
  .openapi("Analytics");
