import { z } from "@hono/zod-openapi";
import { EMAIL_STATUSES } from "../../db/emails";
import { emailAddress } from "../link-api/link-api.schemas";

export const Email = z
  .object({
    id: z.string(),
    kind: z.string().openapi({ description: "What the email is: `link` (a new link, sent by POST /v1/api/links)" }),
    to: z.string().openapi({ example: "ann@example.com" }),
    user_id: z.string().nullable(),
    link_code: z.string().nullable(),
    subject: z.string().nullable().openapi({ description: "Rendered when sent or captured; null while queued" }),
    text: z.string().nullable(),
    html: z.string().nullable(),
    status: z.enum(EMAIL_STATUSES).openapi({
      description:
        "queued → sending → sent; `captured` when no email provider is configured (rendered, kept here, never sent); `failed` for good (see last_error)",
    }),
    attempts: z.number().int().openapi({ description: "Sends attempted at the provider (or captures)" }),
    last_error: z.string().nullable().openapi({ description: "The last problem, e.g. a provider's answer" }),
    provider_message_id: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    sent_at: z.string().nullable(),
  })
  .openapi("Email");

export const EmailList = z
  .object({
    emails: z.array(Email),
    next_cursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null at the end" }),
  })
  .openapi("EmailList");

export const EmailListQuery = z.object({
  to: emailAddress.optional().openapi({ description: "Only emails to this address (exact, normalized)" }),
  status: z.enum(EMAIL_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});
