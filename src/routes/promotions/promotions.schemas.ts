import { z } from "@hono/zod-openapi";
import { domainSchema } from "../../appspaces/domains";
import { httpsUrl, REWARD_TYPES, rewardValue } from "../../appspaces/settings";
import { REWARD_RECEIVERS } from "../../link-api/promotions";

export const PromotionIdParam = z.object({
  id: z.uuid("must be a UUID").openapi({ param: { name: "id", in: "path" }, example: "0b6f…" }),
});

const timestamp = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z" });

const emailText = (max: number) => z.string().max(max).nullable().optional();

export const EmailTemplateFields = z
  .strictObject({
    subject: emailText(300).openapi({ example: "Your link for {{promotion_name}}" }),
    text: emailText(20_000),
    html: emailText(50_000),
    from_name: emailText(100).openapi({ example: "Acme Rewards" }),
    reply_to: z.email("must be an email address").max(320).nullable().optional(),
  })
  .openapi("PromotionEmailTemplate", {
    description:
      "The transactional email sent with a new link. Placeholders: {{name}}, {{link_url}}, {{promotion_name}}, {{reward}}, {{referee_reward}}, {{unsubscribe_url}} (HTML-escaped in html). Each field is optional; a default template fills what is missing.",
  });

const fields = {
  name: z.string().trim().min(1).max(200).openapi({ example: "Spring referral campaign" }),
  reward_receiver: z.enum(REWARD_RECEIVERS).openapi({ description: "Who gets a reward: referrer, referee or both" }),
  reward_type: z.enum(REWARD_TYPES),
  reward_value: rewardValue.optional(),
  referee_reward_type: z.enum(REWARD_TYPES),
  referee_reward_value: rewardValue.optional(),
  target_url: httpsUrl.openapi({
    example: "https://shop.example.com/welcome",
    description: "Where referred visitors land (https)",
  }),
  allowed_hosts: z
    .array(domainSchema)
    .min(1)
    .max(20)
    .openapi({ description: "Hosts a per-link target_url may use; default: the host of target_url" }),
  product_id: z.string().trim().min(1).max(200).nullable(),
  starts_at: timestamp.nullable(),
  ends_at: timestamp.nullable(),
  attribution_days: z
    .number()
    .int()
    .min(1)
    .max(365)
    .openapi({ description: "How long a click's AID converts (default 30)" }),
  app_routing: z
    .boolean()
    .openapi({ description: "true: phones go to the app stores (deferred deep links); desktops land on target_url" }),
  email: EmailTemplateFields,
};

export const CreatePromotionBody = z
  .strictObject({
    ...fields,
    reward_receiver: fields.reward_receiver.default("both"),
    reward_type: fields.reward_type.default("none"),
    referee_reward_type: fields.referee_reward_type.default("none"),
    allowed_hosts: fields.allowed_hosts.optional(),
    product_id: fields.product_id.optional(),
    starts_at: fields.starts_at.optional(),
    ends_at: fields.ends_at.optional(),
    attribution_days: fields.attribution_days.default(30),
    app_routing: fields.app_routing.default(false),
    email: fields.email.optional(),
  })
  .openapi("CreatePromotionRequest");

export const UpdatePromotionBody = z
  .strictObject({
    name: fields.name.optional(),
    reward_receiver: fields.reward_receiver.optional(),
    reward_type: fields.reward_type.optional(),
    reward_value: fields.reward_value,
    referee_reward_type: fields.referee_reward_type.optional(),
    referee_reward_value: fields.referee_reward_value,
    target_url: fields.target_url.optional(),
    allowed_hosts: fields.allowed_hosts.optional(),
    product_id: fields.product_id.optional(),
    starts_at: fields.starts_at.optional(),
    ends_at: fields.ends_at.optional(),
    attribution_days: fields.attribution_days.optional(),
    app_routing: fields.app_routing.optional(),
    email: fields.email.optional(),
  })
  .openapi("UpdatePromotionRequest");

export const Promotion = z
  .object({
    id: z.string().openapi({ description: "The promotion UID" }),
    name: z.string(),
    reward_receiver: z.enum(REWARD_RECEIVERS),
    reward_type: z.string(),
    reward_value: z.string().nullable(),
    referee_reward_type: z.string(),
    referee_reward_value: z.string().nullable(),
    target_url: z.string(),
    allowed_hosts: z.array(z.string()),
    product_id: z.string().nullable(),
    starts_at: z.string().nullable(),
    ends_at: z.string().nullable(),
    attribution_days: z.number().int(),
    app_routing: z.boolean(),
    email: z.object({
      subject: z.string().nullable(),
      text: z.string().nullable(),
      html: z.string().nullable(),
      from_name: z.string().nullable(),
      reply_to: z.string().nullable(),
    }),
    active: z.boolean().openapi({ description: "Not archived and inside its window: creates links and converts" }),
    archived_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Promotion");

export const PromotionList = z
  .object({
    promotions: z.array(Promotion),
    next_cursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null at the end" }),
  })
  .openapi("PromotionList");

export const PromotionListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
  include_archived: z.enum(["true", "false"]).default("false"),
});
