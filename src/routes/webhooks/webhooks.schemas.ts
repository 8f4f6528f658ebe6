import { z } from "@hono/zod-openapi";
import { ALL_EVENTS, EVENT_TYPES } from "../../webhooks/events";

export const EndpointIdParam = z.object({
  id: z.uuid("must be a UUID").openapi({ param: { name: "id", in: "path" } }),
});

const eventList = z
  .array(z.enum([ALL_EVENTS, ...EVENT_TYPES.filter((t) => t !== "webhook.test")]))
  .min(1)
  .refine((list) => new Set(list).size === list.length, "must not repeat an event type")
  .openapi({ example: ["referral.created", "referral.completed"] });

const url = z.string().trim().max(2048).openapi({ example: "https://example.com/webhooks/edgeref" });

export const CreateEndpointBody = z
  .strictObject({
    url,
    events: eventList.optional().openapi({ description: 'Event types to receive; default ["*"] (all).' }),
  })
  .openapi("CreateWebhookRequest");

export const UpdateEndpointBody = z
  .strictObject({ url: url.optional(), events: eventList.optional(), active: z.boolean().optional() })
  .openapi("UpdateWebhookRequest");

export const Endpoint = z
  .object({
    id: z.string(),
    appspace_id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    active: z.boolean(),
    disabled_reason: z.string().nullable(),
    previous_secret_expires_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Webhook");

export const CreatedEndpoint = Endpoint.extend({
  secret: z.string().openapi({ description: "The signing secret (whsec_…), shown only here." }),
}).openapi("CreatedWebhook");

export const RotatedSecret = Endpoint.extend({
  secret: z.string().openapi({ description: "The new signing secret, shown only here." }),
}).openapi("RotatedWebhookSecret");

export const EndpointList = z.object({ webhooks: z.array(Endpoint) }).openapi("WebhookList");

export const Delivery = z
  .object({
    id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    series: z.string(),
    attempt: z.number().int(),
    status: z.enum(["pending", "sending", "succeeded", "retrying", "failed"]),
    status_code: z.number().int().nullable(),
    duration_ms: z.number().int().nullable(),
    error: z.string().nullable(),
    response_excerpt: z.string().nullable(),
    next_retry_at: z.string().nullable(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .openapi("WebhookDelivery");

export const DeliveryList = z.object({ deliveries: z.array(Delivery) }).openapi("WebhookDeliveryList");

export const DeliveriesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const ReplayBody = z.strictObject({ event_id: z.uuid("must be a UUID") }).openapi("ReplayWebhookRequest");

export const Enqueued = z
  .object({ event_id: z.string(), series: z.string(), status: z.literal("queued") })
  .openapi("WebhookEnqueued");
