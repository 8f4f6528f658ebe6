import { z } from "@hono/zod-openapi";
import { milestoneName } from "../../appspaces/settings";
import { emailAddress } from "../link-api/link-api.schemas";

const ipAddress = z
  .string()
  .trim()
  .refine((v) => z.ipv4().safeParse(v).success || z.ipv6().safeParse(v).success, "must be an IPv4 or IPv6 address");

export const ConversionBody = z
  .strictObject({
    aid: z.string().trim().min(1).max(200).optional().openapi({
      description: "The aid your landing page received (from /aid.js, or the `aid` query parameter)",
    }),
    referral_code: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: "Instead of aid: a referral code or link code" }),
    referee_email: emailAddress.optional().openapi({ example: "bob@example.com" }),
    referee_user_id: z.string().trim().min(1).max(256).optional().openapi({ description: "Your id for the referee" }),
    event: milestoneName.optional().openapi({
      description: "A milestone name; default: the appspace's reward milestone, which completes the referral",
    }),
    order_id: z.string().trim().min(1).max(200).optional().openapi({
      description: "Makes the conversion idempotent per appspace: the same order answers its first result",
    }),
    amount: z.number().finite().min(0).max(1e12).optional(),
    currency: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code like EUR")
      .optional(),
    product_id: z.string().trim().min(1).max(200).optional(),
    ip: ipAddress.optional().openapi({ description: "The referee's IP, for the abuse checks" }),
    device_id: z.string().trim().min(1).max(256).optional(),
  })
  .openapi("ConversionRequest");

export const ConversionResponse = z
  .object({
    conversion: z.object({
      id: z.string(),
      order_id: z.string().nullable(),
      event: z.string(),
      amount: z.string().nullable(),
      currency: z.string().nullable(),
      product_id: z.string().nullable(),
      created_at: z.string(),
    }),
    referral: z.object({
      id: z.string(),
      referral_code: z.string(),
      link_code: z.string().nullable(),
      promotion_id: z.string().nullable(),
      referrer_id: z.string(),
      referred_user_id: z.string().nullable(),
      status: z.string(),
      milestone: z.string(),
      reward_type: z.string().nullable(),
      reward_value: z.string().nullable(),
      referee_reward_type: z.string().nullable(),
      referee_reward_value: z.string().nullable(),
      completed_at: z.string().nullable(),
    }),
  })
  .openapi("ConversionResponse");
