import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import * as repo from "../../db/promotions";
import { templateError } from "../../email/template";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { badRequest, notFound } from "../../lib/errors";
import { pgTimestampToIso } from "../../lib/time";
import { httpsHost, isPromotionActive } from "../../link-api/promotions";
import { publishPromotion } from "../../services/link-snapshots";
import type { AppEnv } from "../../types";
import type * as routes from "./promotions.routes";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

const isoOrNull = (value: string | null) => (value === null ? null : pgTimestampToIso(value));

const EMAIL_FIELDS = ["subject", "text", "html", "from_name", "reply_to"] as const;

export function promotionView(p: repo.PromotionRow, now = Date.now()) {
  const email = Object.fromEntries(EMAIL_FIELDS.map((f) => [f, p.email[f] ?? null])) as Record<
    (typeof EMAIL_FIELDS)[number],
    string | null
  >;
  return {
    id: p.id,
    name: p.name,
    reward_receiver: p.rewardReceiver,
    reward_type: p.rewardType,
    reward_value: p.rewardValue,
    referee_reward_type: p.refereeRewardType,
    referee_reward_value: p.refereeRewardValue,
    target_url: p.targetUrl,
    allowed_hosts: p.allowedHosts,
    product_id: p.productId,
    starts_at: isoOrNull(p.startsAt),
    ends_at: isoOrNull(p.endsAt),
    attribution_days: p.attributionDays,
    app_routing: p.appRouting,
    email,
    active: isPromotionActive(
      { archivedAt: p.archivedAt, startsAt: isoOrNull(p.startsAt), endsAt: isoOrNull(p.endsAt) },
      now,
    ),
    archived_at: isoOrNull(p.archivedAt),
    created_at: pgTimestampToIso(p.createdAt),
    updated_at: pgTimestampToIso(p.updatedAt),
  };
}

type EmailInput = Partial<Record<(typeof EMAIL_FIELDS)[number], string | null>>;

/** Template syntax and placeholders are checked when saved, not when the first email fails. */
function checkEmail(email: EmailInput | undefined): Record<string, string | null> | undefined {
  if (email === undefined) return undefined;
  const problem = templateError(email);
  if (problem) throw badRequest(`email.${problem.field}: ${problem.message}`, { field: `email.${problem.field}` });
  return Object.fromEntries(EMAIL_FIELDS.map((f) => [f, email[f] ?? null]));
}

function checkWindow(startsAt: string | null | undefined, endsAt: string | null | undefined) {
  if (startsAt && endsAt && Date.parse(endsAt) <= Date.parse(startsAt)) {
    throw badRequest("ends_at: must be after starts_at", { field: "ends_at" });
  }
}

/** The target URL's host must be one of the allowed hosts (when both are known). */
function checkTarget(targetUrl: string, allowedHosts: readonly string[]) {
  const host = httpsHost(targetUrl);
  if (host !== null && !allowedHosts.includes(host)) {
    throw badRequest(`target_url: host ${host} is not in allowed_hosts`, { field: "target_url" });
  }
}

export const create: Handler<typeof routes.create> = async (c) => {
  const body = c.req.valid("json");
  const allowedHosts = body.allowed_hosts ?? [httpsHost(body.target_url) ?? ""];
  checkTarget(body.target_url, allowedHosts);
  checkWindow(body.starts_at, body.ends_at);
  const row = await repo.createPromotion(c.var.db, c.var.caller.appspace.id, {
    name: body.name,
    rewardReceiver: body.reward_receiver,
    rewardType: body.reward_type,
    rewardValue: body.reward_value ?? null,
    refereeRewardType: body.referee_reward_type,
    refereeRewardValue: body.referee_reward_value ?? null,
    targetUrl: body.target_url,
    allowedHosts: [...new Set(allowedHosts)],
    productId: body.product_id ?? null,
    startsAt: body.starts_at ?? null,
    endsAt: body.ends_at ?? null,
    attributionDays: body.attribution_days,
    appRouting: body.app_routing,
    email: checkEmail(body.email) ?? {},
  });
  return c.json(promotionView(row), 201);
};

export const list: Handler<typeof routes.list> = async (c) => {
  const q = c.req.valid("query");
  const rows = await repo.listPromotions(c.var.db, {
    appspaceId: c.var.caller.appspace.id,
    limit: q.limit + 1,
    after: decodeCursor(q.cursor),
    includeArchived: q.include_archived === "true",
  });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return c.json(
    {
      promotions: page.map((p) => promotionView(p)),
      next_cursor: rows.length > q.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
    },
    200,
  );
};

export const get: Handler<typeof routes.get> = async (c) => {
  const row = await repo.getPromotion(c.var.db, c.var.caller.appspace.id, c.req.valid("param").id);
  if (!row) throw notFound("Promotion not found");
  return c.json(promotionView(row), 200);
};

export const update: Handler<typeof routes.update> = async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const appspaceId = c.var.caller.appspace.id;
  const current = await repo.getPromotion(c.var.db, appspaceId, id);
  if (!current) throw notFound("Promotion not found");
  const targetUrl = body.target_url ?? current.targetUrl;
  // A new target_url without new allowed_hosts brings its own host along.
  const allowedHosts =
    body.allowed_hosts ??
    (body.target_url
      ? [...new Set([...current.allowedHosts, httpsHost(body.target_url) ?? ""])]
      : current.allowedHosts);
  checkTarget(targetUrl, allowedHosts);
  checkWindow(
    body.starts_at === undefined ? isoOrNull(current.startsAt) : body.starts_at,
    body.ends_at === undefined ? isoOrNull(current.endsAt) : body.ends_at,
  );
  const email = checkEmail(body.email === undefined ? undefined : { ...current.email, ...body.email });
  const row = await repo.updatePromotion(c.var.db, appspaceId, id, {
    ...(body.name !== undefined ? { name: body.name } : {}),
    ...(body.reward_receiver !== undefined ? { rewardReceiver: body.reward_receiver } : {}),
    ...(body.reward_type !== undefined ? { rewardType: body.reward_type } : {}),
    ...(body.reward_value !== undefined ? { rewardValue: body.reward_value } : {}),
    ...(body.referee_reward_type !== undefined ? { refereeRewardType: body.referee_reward_type } : {}),
    ...(body.referee_reward_value !== undefined ? { refereeRewardValue: body.referee_reward_value } : {}),
    targetUrl,
    allowedHosts: [...new Set(allowedHosts)],
    ...(body.product_id !== undefined ? { productId: body.product_id } : {}),
    ...(body.starts_at !== undefined ? { startsAt: body.starts_at } : {}),
    ...(body.ends_at !== undefined ? { endsAt: body.ends_at } : {}),
    ...(body.attribution_days !== undefined ? { attributionDays: body.attribution_days } : {}),
    ...(body.app_routing !== undefined ? { appRouting: body.app_routing } : {}),
    ...(email !== undefined ? { email } : {}),
  });
  if (!row) throw notFound("Promotion not found");
  // Its links land on the new target (and routing) at once, here and in KV.
  await publishPromotion(
    { kv: c.env.LINKS },
    { promotionId: row.id, targetUrl: row.targetUrl, appRouting: row.appRouting },
  );
  return c.json(promotionView(row), 200);
};

export const archive: Handler<typeof routes.archive> = async (c) => {
  const row = await repo.archivePromotion(c.var.db, c.var.caller.appspace.id, c.req.valid("param").id);
  if (!row) throw notFound("Promotion not found");
  return c.json(promotionView(row), 200);
};
