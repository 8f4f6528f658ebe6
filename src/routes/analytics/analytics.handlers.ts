import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import { buildSeries, type Range, resolveRange, type Series } from "../../analytics/range";
import { CLICK_DIMENSIONS, type ClickDimension, clickBuckets, eventBuckets } from "../../db/analytics";
import type { AppEnv } from "../../types";
import { EVENT_TYPES } from "../../webhooks/events";

/** Without `type`: the referral events and clicks (not webhook tests, not Link API bookkeeping). */
const DEFAULT_EVENT_TYPES = EVENT_TYPES.filter((t) => t.startsWith("referral.") || t === "link.clicked");

import type * as routes from "./analytics.routes";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

const answer = (range: Range, series: Series[]) => ({
  from: range.from.toISOString(),
  to: range.to.toISOString(),
  interval: range.interval,
  total: series.reduce((sum, s) => sum + s.total, 0),
  series,
});

export const clicks: Handler<typeof routes.clicks> = async (c) => {
  const q = c.req.valid("query");
  const range = resolveRange(q, new Date());
  const filters: Partial<Record<ClickDimension, string>> = {};
  for (const dim of CLICK_DIMENSIONS) {
    const value = q[dim];
    if (value !== undefined) filters[dim] = value;
  }
  const rows = await clickBuckets(c.var.db, {
    appspaceId: c.var.caller.appspace.id,
    range,
    groupBy: q.group_by ?? null,
    filters,
  });
  return c.json(answer(range, seriesOrAll(rows, range, q.group_by === undefined)), 200);
};

export const events: Handler<typeof routes.events> = async (c) => {
  const q = c.req.valid("query");
  const range = resolveRange(q, new Date());
  const rows = await eventBuckets(c.var.db, {
    appspaceId: c.var.caller.appspace.id,
    range,
    types: q.type ?? DEFAULT_EVENT_TYPES,
  });
  return c.json(answer(range, buildSeries(rows, range)), 200);
};

/** Without grouping there is always one series, `all` (zeros when nothing happened). */
function seriesOrAll(rows: Parameters<typeof buildSeries>[0], range: Range, ungrouped: boolean): Series[] {
  const series = buildSeries(rows, range);
  if (ungrouped && series.length === 0)
    return buildSeries([{ key: "all", t: range.from.toISOString(), count: 0 }], range);
  return series;
}
