import { z } from "@hono/zod-openapi";
import { domainsSchema } from "../../appspaces/domains";
import { settingsPatchSchema, settingsSchema } from "../../appspaces/settings";

export const IdParam = z.object({
  id: z
    .uuid("must be a UUID")
    .openapi({ param: { name: "id", in: "path" }, example: "0b9f7c1e-8a51-4a55-9a3c-2b5a0c1f9e11" }),
});

// Strict: a misplaced field (`{ "referrals_enabled": false }` outside `settings`) is a 400, not a no-op.
export const CreateAppspaceBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).openapi({ example: "My App" }),
    domains: domainsSchema.optional().openapi({ example: ["links.example.com"] }),
    settings: settingsSchema.optional(),
  })
  .openapi("CreateAppspaceRequest");

export const UpdateAppspaceBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    domains: domainsSchema.optional(),
    settings: settingsPatchSchema.optional(),
  })
  .openapi("UpdateAppspaceRequest");

export const Appspace = z
  .object({
    id: z.string(),
    name: z.string(),
    domains: z.array(z.string()),
    settings: settingsSchema,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Appspace");

export const CreatedAppspace = Appspace.extend({
  publishable_key: z.string().openapi({ description: "Shown only once." }),
  secret_key: z.string().openapi({ description: "Shown only once." }),
  identity_secret: z.string().openapi({
    description:
      "Shown only once. For identity verification: user_hash = hex(HMAC-SHA256(identity_secret, user_id)), computed by your backend.",
  }),
}).openapi("CreatedAppspace");

export const IdentitySecret = z
  .object({
    identity_secret: z.string().openapi({ description: "Shown only once; the previous secret stops verifying now." }),
  })
  .openapi("IdentitySecret");

export const AppspaceList = z.object({ appspaces: z.array(Appspace) }).openapi("AppspaceList");

export const CreateKeyBody = z.strictObject({ type: z.enum(["publishable", "secret"]) }).openapi("CreateKeyRequest");

export const CreatedKey = z
  .object({
    id: z.string(),
    key: z.string().openapi({ description: "Shown only once." }),
    type: z.enum(["publishable", "secret"]),
  })
  .openapi("CreatedKey");

export const KeyInfo = z
  .object({
    id: z.string(),
    type: z.enum(["publishable", "secret"]),
    start: z.string(),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .openapi("ApiKey");

export const KeyList = z.object({ keys: z.array(KeyInfo) }).openapi("ApiKeyList");

export const RevokedKey = z.object({ id: z.string(), revoked_at: z.string().nullable() }).openapi("RevokedKey");
