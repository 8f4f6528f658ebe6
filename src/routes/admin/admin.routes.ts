import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SECURITY, errorResponses, jsonBody, jsonContent } from "../../lib/openapi";
import {
  Appspace,
  AppspaceList,
  CreateAppspaceBody,
  CreatedAppspace,
  CreatedKey,
  CreateKeyBody,
  IdentitySecret,
  IdParam,
  KeyList,
  RevokedKey,
  UpdateAppspaceBody,
} from "./admin.schemas";

const tags = ["Admin"];

export const createAppspace = createRoute({
  method: "post",
  path: "/appspaces",
  tags,
  security: ADMIN_SECURITY,
  summary: "Create an appspace with a publishable and a secret key",
  request: jsonBody(CreateAppspaceBody),
  responses: {
    201: jsonContent(CreatedAppspace, "Created; the keys are shown only here"),
    ...errorResponses(400, 401),
  },
});

export const listAppspaces = createRoute({
  method: "get",
  path: "/appspaces",
  tags,
  security: ADMIN_SECURITY,
  summary: "List appspaces (newest first)",
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }) },
  responses: { 200: jsonContent(AppspaceList, "Appspaces"), ...errorResponses(400, 401) },
});

export const getAppspace = createRoute({
  method: "get",
  path: "/appspaces/{id}",
  tags,
  security: ADMIN_SECURITY,
  summary: "Get an appspace",
  request: { params: IdParam },
  responses: { 200: jsonContent(Appspace, "The appspace"), ...errorResponses(400, 401, 404) },
});

export const updateAppspace = createRoute({
  method: "patch",
  path: "/appspaces/{id}",
  tags,
  security: ADMIN_SECURITY,
  summary: "Update name, domains or settings (settings merge key by key)",
  request: { params: IdParam, ...jsonBody(UpdateAppspaceBody) },
  responses: { 200: jsonContent(Appspace, "The updated appspace"), ...errorResponses(400, 401, 404) },
});

export const createKey = createRoute({
  method: "post",
  path: "/appspaces/{id}/keys",
  tags,
  security: ADMIN_SECURITY,
  summary: "Create an API key",
  request: { params: IdParam, ...jsonBody(CreateKeyBody) },
  responses: { 201: jsonContent(CreatedKey, "Created; the key is shown only here"), ...errorResponses(400, 401, 404) },
});

export const listKeys = createRoute({
  method: "get",
  path: "/appspaces/{id}/keys",
  tags,
  security: ADMIN_SECURITY,
  summary: "List an appspace's keys (never the keys themselves)",
  request: { params: IdParam },
  responses: { 200: jsonContent(KeyList, "Keys"), ...errorResponses(400, 401, 404) },
});

export const revokeKey = createRoute({
  method: "delete",
  path: "/keys/{id}",
  tags,
  security: ADMIN_SECURITY,
  summary: "Revoke an API key",
  request: { params: IdParam },
  responses: { 200: jsonContent(RevokedKey, "Revoked"), ...errorResponses(400, 401, 404) },
});

export const rotateIdentitySecret = createRoute({
  method: "post",
  path: "/appspaces/{id}/identity-secret",
  tags,
  security: ADMIN_SECURITY,
  summary: "Generate a new identity secret (for user_hash); the old one stops verifying at once",
  request: { params: IdParam },
  responses: { 201: jsonContent(IdentitySecret, "The new secret, shown only here"), ...errorResponses(400, 401, 404) },
});
