import { z } from "@hono/zod-openapi";
import { REWARD_RECEIVERS } from "../../link-api/promotions";

const METADATA_MAX_BYTES = 8 * 1024;

export const metadata = z
  .record(z.string(), z.unknown())
  .refine(
    (m) => new TextEncoder().encode(JSON.stringify(m)).byteLength <= METADATA_MAX_BYTES,
    `must be at most ${METADATA_MAX_BYTES} bytes of JSON`,
  );

export const emailAddress = z.string().trim().max(320).pipe(z.email("must be an email address"));

const consent = z
  .union([
    z.literal(true),
    z.literal(false),
    z.strictObject({
      granted: z.boolean(),
      text_version: z.string().trim().min(1).max(100).optional(),
    }),
  ])
  .openapi({
    description:
      'The user agreed to share their data for the referral program: `true`, or `{ "granted": true, "text_version": "2026-01" }` to record which consent text they saw. Required.',
  });

export const CreateLinkBody = z
  .strictObject({
    email: emailAddress.openapi({
      example: "ann@example.com",
      description: "The user's identity (normalized: trimmed, lower case)",
    }),
    promotion_id: z.uuid("must be a UUID").openapi({ description: "The promotion UID" }),
    consent: consent.optional(),
    name: z.string().trim().min(1).max(200).optional().openapi({ example: "Ann" }),
    external_user_id: z
      .string()
      .trim()
      .min(1)
      .max(256)
      .optional()
      .openapi({ description: "Your own id for this user" }),
    reward_receiver: z.enum(REWARD_RECEIVERS).optional().openapi({ description: "Overrides the promotion's" }),
    target_url: z
      .string()
      .trim()
      .max(2048)
      .optional()
      .openapi({ description: "Where this link's visitors land: https, on one of the promotion's allowed_hosts" }),
    product_id: z.string().trim().min(1).max(200).optional(),
    metadata: metadata.optional(),
    send_email: z.boolean().default(true).openapi({ description: "Queue the transactional email (default true)" }),
    locale: z
      .string()
      .trim()
      .regex(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,3}$/, "must be a language tag like en or de-DE")
      .optional(),
  })
  .openapi("CreateLinkRequest");

export const CreateLinkResponse = z
  .object({
    user: z.object({ id: z.string(), email: z.string(), created: z.boolean() }),
    link: z.object({
      code: z.string(),
      url: z
        .string()
        .nullable()
        .openapi({ description: "https://<appspace domain>/ref/<code>; null while the appspace has no domain" }),
      created: z.boolean(),
    }),
    promotion_id: z.string(),
    reward_receiver: z.enum(REWARD_RECEIVERS),
    target_url: z.string(),
    email: z.object({ status: z.enum(["queued", "skipped"]) }),
  })
  .openapi("CreateLinkResponse");

export const LinkCodeParam = z.object({
  code: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .openapi({ param: { name: "code", in: "path" }, example: "K7QX2MNP" }),
});

export const LinkDetail = z
  .object({
    code: z.string(),
    url: z.string().nullable(),
    user_id: z.string(),
    promotion_id: z.string(),
    reward_receiver: z.enum(REWARD_RECEIVERS),
    target_url: z.string(),
    product_id: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string(),
    clicks: z.number().int(),
    referrals: z.number().int().openapi({ description: "Referees who converted through this link (any milestone)" }),
    conversions: z.number().int().openapi({ description: "Referrals completed through this link" }),
  })
  .openapi("Link");

export const UserIdParam = z.object({
  id: z.uuid("must be a UUID").openapi({ param: { name: "id", in: "path" } }),
});

export const User = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    external_user_id: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    locale: z.string().nullable(),
    unsubscribed_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("User");

export const UserQuery = z.object({
  email: emailAddress.openapi({ description: "Exact match on the normalized email" }),
});

const record = z.record(z.string(), z.unknown());

export const UserExport = z
  .object({
    user: User,
    consents: z.array(z.object({ granted_at: z.string(), text_version: z.string().nullable(), source: z.string() })),
    links: z.array(
      z.object({
        code: z.string(),
        promotion_id: z.string(),
        target_url: z.string().nullable(),
        created_at: z.string(),
        clicks: z.number().int(),
      }),
    ),
    referrals_as_referrer: z.array(record),
    referrals_as_referee: z.array(record),
    emails: z.array(record),
  })
  .openapi("UserExport");
