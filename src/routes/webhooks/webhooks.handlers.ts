import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import { getAppspace } from "../../db/appspaces";
import * as repo from "../../db/webhooks";
import { badRequest, notFound } from "../../lib/errors";
import { pgTimestampToIso } from "../../lib/time";
import { queueDelivery } from "../../services/webhook-outbox";
import type { AppEnv } from "../../types";
import { ALL_EVENTS } from "../../webhooks/events";
import { generateSigningSecret } from "../../webhooks/signing";
import { webhookUrlProblem } from "../../webhooks/url-policy";
import type * as routes from "./webhooks.routes";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

export const ROTATION_OVERLAP_HOURS = 24;

const view = (e: repo.EndpointRow) => ({
  id: e.id,
  appspace_id: e.appspaceId,
  url: e.url,
  events: e.events,
  active: e.active,
  disabled_reason: e.disabledReason,
  previous_secret_expires_at: e.previousSecretExpiresAt ? pgTimestampToIso(e.previousSecretExpiresAt) : null,
  created_at: pgTimestampToIso(e.createdAt),
  updated_at: pgTimestampToIso(e.updatedAt),
});

function checkUrl(c: Context<AppEnv>, url: string): string {
  const problem = webhookUrlProblem(url, { allowPrivate: c.var.config.webhooksAllowPrivate });
  if (problem) throw badRequest(problem, { field: "url" });
  return url;
}

export const createEndpoint: Handler<typeof routes.createEndpoint> = async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const secret = generateSigningSecret();
  const row = await repo.createEndpoint(c.var.db, {
    appspaceId: id,
    url: checkUrl(c, body.url),
    events: body.events ?? [ALL_EVENTS],
    secret,
  });
  if (!row) throw notFound("Appspace not found");
  return c.json({ ...view(row), secret }, 201);
};

export const listEndpoints: Handler<typeof routes.listEndpoints> = async (c) => {
  const { id } = c.req.valid("param");
  const [appspace, rows] = await Promise.all([getAppspace(c.var.db, id), repo.listEndpoints(c.var.db, id)]);
  if (!appspace) throw notFound("Appspace not found");
  return c.json({ webhooks: rows.map(view) }, 200);
};

export const updateEndpoint: Handler<typeof routes.updateEndpoint> = async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const row = await repo.updateEndpoint(c.var.db, id, {
    url: body.url === undefined ? undefined : checkUrl(c, body.url),
    events: body.events,
    active: body.active,
  });
  if (!row) throw notFound("Webhook not found");
  return c.json(view(row), 200);
};

export const deleteEndpoint: Handler<typeof routes.deleteEndpoint> = async (c) => {
  const { id } = c.req.valid("param");
  if (!(await repo.deleteEndpoint(c.var.db, id))) throw notFound("Webhook not found");
  return c.json({ id, deleted: true as const }, 200);
};

export const rotateSecret: Handler<typeof routes.rotateSecret> = async (c) => {
  const { id } = c.req.valid("param");
  const secret = generateSigningSecret();
  const row = await repo.rotateSecret(c.var.db, id, secret, ROTATION_OVERLAP_HOURS);
  if (!row) throw notFound("Webhook not found");
  return c.json({ ...view(row), secret }, 200);
};

export const listDeliveries: Handler<typeof routes.listDeliveries> = async (c) => {
  const { id } = c.req.valid("param");
  const { limit } = c.req.valid("query");
  const [endpoint, deliveries] = await Promise.all([
    repo.getEndpoint(c.var.db, id),
    repo.listDeliveries(c.var.db, id, limit),
  ]);
  if (!endpoint) throw notFound("Webhook not found");
  return c.json({ deliveries }, 200);
};

export const replay: Handler<typeof routes.replay> = async (c) => {
  const { id } = c.req.valid("param");
  const { event_id: eventId } = c.req.valid("json");
  const event = await repo.findEventForEndpoint(c.var.db, id, eventId);
  if (!event) throw notFound("Event not found for this webhook's appspace");
  const series = `replay:${crypto.randomUUID()}`;
  await queueDelivery(c.var.db, c.env.WEBHOOKS, { series, eventId: event.id, endpointId: id });
  return c.json({ event_id: event.id, series, status: "queued" as const }, 202);
};

export const sendTest: Handler<typeof routes.sendTest> = async (c) => {
  const { id } = c.req.valid("param");
  const event = await repo.insertTestEvent(c.var.db, id);
  if (!event) throw notFound("Webhook not found");
  const series = `test:${event.id}`;
  await queueDelivery(c.var.db, c.env.WEBHOOKS, { series, eventId: event.id, endpointId: id });
  return c.json({ event_id: event.id, series, status: "queued" as const }, 202);
};
