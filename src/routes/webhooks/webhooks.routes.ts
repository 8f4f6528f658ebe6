import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SECURITY, errorResponses, jsonBody, jsonContent } from "../../lib/openapi";
import { IdParam } from "../admin/admin.schemas";
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

export const createEndpoint = createRoute({
  method: "post",
  path: "/appspaces/{id}/webhooks",
  tags,
  security: ADMIN_SECURITY,
  summary: "Subscribe a URL to events",
  request: { params: IdParam, ...jsonBody(CreateEndpointBody) },
  responses: {
    201: jsonContent(CreatedEndpoint, "Created; the secret is shown only here"),
    ...errorResponses(400, 401, 404),
  },
});

export const listEndpoints = createRoute({
  method: "get",
  path: "/appspaces/{id}/webhooks",
  tags,
  security: ADMIN_SECURITY,
  summary: "List an appspace's webhook endpoints",
  request: { params: IdParam },
  responses: { 200: jsonContent(EndpointList, "Endpoints"), ...errorResponses(400, 401, 404) },
});

export const updateEndpoint = createRoute({
  method: "patch",
  path: "/webhooks/{id}",
  tags,
  security: ADMIN_SECURITY,
  summary: "Change url, events or active",
  request: { params: EndpointIdParam, ...jsonBody(UpdateEndpointBody) },
  responses: { 200: jsonContent(Endpoint, "The endpoint"), ...errorResponses(400, 401, 404) },
});

export const deleteEndpoint = createRoute({
  method: "delete",
  path: "/webhooks/{id}",
  tags,
  security: ADMIN_SECURITY,
  summary: "Delete an endpoint and its delivery log",
  request: { params: EndpointIdParam },
  responses: {
    200: jsonContent(z.object({ id: z.string(), deleted: z.literal(true) }), "Deleted"),
    ...errorResponses(400, 401, 404),
  },
});

export const rotateSecret = createRoute({
  method: "post",
  path: "/webhooks/{id}/rotate-secret",
  tags,
  security: ADMIN_SECURITY,
  summary: "New signing secret; the old one keeps signing for 24 h",
  request: { params: EndpointIdParam },
  responses: { 200: jsonContent(RotatedSecret, "The new secret, shown only here"), ...errorResponses(400, 401, 404) },
});

export const listDeliveries = createRoute({
  method: "get",
  path: "/webhooks/{id}/deliveries",
  tags,
  security: ADMIN_SECURITY,
  summary: "The delivery log: every attempt, newest first",
  request: { params: EndpointIdParam, query: DeliveriesQuery },
  responses: { 200: jsonContent(DeliveryList, "Attempts"), ...errorResponses(400, 401, 404) },
});

export const replay = createRoute({
  method: "post",
  path: "/webhooks/{id}/replay",
  tags,
  security: ADMIN_SECURITY,
  summary: "Deliver one event again (same event id, fresh signature)",
  request: { params: EndpointIdParam, ...jsonBody(ReplayBody) },
  responses: { 202: jsonContent(Enqueued, "Queued"), ...errorResponses(400, 401, 404) },
});

export const sendTest = createRoute({
  method: "post",
  path: "/webhooks/{id}/test",
  tags,
  security: ADMIN_SECURITY,
  summary: "Send a webhook.test event",
  request: { params: EndpointIdParam },
  responses: { 202: jsonContent(Enqueued, "Queued"), ...errorResponses(400, 401, 404) },
});
