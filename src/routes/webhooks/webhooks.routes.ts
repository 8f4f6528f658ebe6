import { createRoute, z } from "@hono/zod-openapi";
import { IdParam } from "../admin/admin.schemas";
import { ErrorResponse } from "../referrals/referrals.schemas";
import {
  CreatedEndpoint,
  CreateEndpointBody,
  DeliveriesQuery,
  DeliveryList,
  Endpoint,
  EndpointIdParam,
  EndpointList,
  Enqueued,
  ReplayBody,
  RotatedSecret,
  UpdateEndpointBody,
} from "./webhooks.schemas";

const tags = ["Webhooks"];
const security: Record<string, string[]>[] = [{ adminToken: [] }];
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});
const body = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});
const errors = (...codes: (400 | 401 | 404)[]) =>
  Object.fromEntries(codes.map((code) => [code, json(ErrorResponse, "Error")]));

export const createEndpoint = createRoute({
  method: "post",
  path: "/appspaces/{id}/webhooks",
  tags,
  security,
  summary: "Subscribe a URL to events",
  request: { params: IdParam, ...body(CreateEndpointBody) },
  responses: { 201: json(CreatedEndpoint, "Created; the secret is shown only here"), ...errors(400, 401, 404) },
});

export const listEndpoints = createRoute({
  method: "get",
  path: "/appspaces/{id}/webhooks",
  tags,
  security,
  summary: "List an appspace's webhook endpoints",
  request: { params: IdParam },
  responses: { 200: json(EndpointList, "Endpoints"), ...errors(400, 401, 404) },
});

export const updateEndpoint = createRoute({
  method: "patch",
  path: "/webhooks/{id}",
  tags,
  security,
  summary: "Change url, events or active",
  request: { params: EndpointIdParam, ...body(UpdateEndpointBody) },
  responses: { 200: json(Endpoint, "The endpoint"), ...errors(400, 401, 404) },
});

export const deleteEndpoint = createRoute({
  method: "delete",
  path: "/webhooks/{id}",
  tags,
  security,
  summary: "Delete an endpoint and its delivery log",
  request: { params: EndpointIdParam },
  responses: {
    200: json(z.object({ id: z.string(), deleted: z.literal(true) }), "Deleted"),
    ...errors(400, 401, 404),
  },
});

export const rotateSecret = createRoute({
  method: "post",
  path: "/webhooks/{id}/rotate-secret",
  tags,
  security,
  summary: "New signing secret; the old one keeps signing for 24 h",
  request: { params: EndpointIdParam },
  responses: { 200: json(RotatedSecret, "The new secret, shown only here"), ...errors(400, 401, 404) },
});

export const listDeliveries = createRoute({
  method: "get",
  path: "/webhooks/{id}/deliveries",
  tags,
  security,
  summary: "The delivery log: every attempt, newest first",
  request: { params: EndpointIdParam, query: DeliveriesQuery },
  responses: { 200: json(DeliveryList, "Attempts"), ...errors(400, 401, 404) },
});

export const replay = createRoute({
  method: "post",
  path: "/webhooks/{id}/replay",
  tags,
  security,
  summary: "Deliver one event again (same event id, fresh signature)",
  request: { params: EndpointIdParam, ...body(ReplayBody) },
  responses: { 202: json(Enqueued, "Queued"), ...errors(400, 401, 404) },
});

export const sendTest = createRoute({
  method: "post",
  path: "/webhooks/{id}/test",
  tags,
  security,
  summary: "Send a webhook.test event",
  request: { params: EndpointIdParam },
  responses: { 202: json(Enqueued, "Queued"), ...errors(400, 401, 404) },
});
