import { createRoute } from "@hono/zod-openapi";
import { API_KEY_SECURITY, errorResponses, jsonContent } from "../../lib/openapi";
import { AnalyticsResponse, ClickAnalyticsQuery, EventAnalyticsQuery } from "./analytics.schemas";

const tags = ["Analytics"];
const security = API_KEY_SECURITY;

export const clicks = createRoute({
  method: "get",
  path: "/clicks",
  tags,
  security,
  summary: "Clicks on /ref/:code over time, optionally grouped and filtered by a dimension (secret key)",
  description:
    "Every bucket of the range is present (0 when empty). Answered from hourly rollups (daily for referral_code) when there is no filter, or one filter and no other grouping; other combinations count raw clicks, which the retention prunes.",
  request: { query: ClickAnalyticsQuery },
  responses: { 200: jsonContent(AnalyticsResponse, "Click series"), ...errorResponses(400, 401, 403) },
});

export const events = createRoute({
  method: "get",
  path: "/events",
  tags,
  security,
  summary: "Referral events over time, one series per type (secret key)",
  request: { query: EventAnalyticsQuery },
  responses: { 200: jsonContent(AnalyticsResponse, "Event series"), ...errorResponses(400, 401, 403) },
});
