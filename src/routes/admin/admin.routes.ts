import { createRoute, z } from "@hono/zod-openapi";
import { ErrorResponse } from "../referrals/referrals.schemas";
import {
  Appspace,
  AppspaceList,
  CreateAppspaceBody,
  CreatedAppspace,
  CreatedKey,
  CreateKeyBody,
  IdParam,
  KeyList,
  RevokedKey,
  UpdateAppspaceBody,
} from "./admin.schemas";

const tags = ["Admin"];
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

export const createAppspace = createRoute({
  method: "post",
  path: "/appspaces",
  tags,
  security,
  summary: "Create an appspace with a publishable and a secret key",
  request: body(CreateAppspaceBody),
  responses: { 201: json(CreatedAppspace, "Created; the keys are shown only here"), ...errors(400, 401) },
});

export const listAppspaces = createRoute({
  method: "get",
  path: "/appspaces",
  tags,
  security,
  summary: "List appspaces (newest first)",
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }) },
  responses: { 200: json(AppspaceList, "Appspaces"), ...errors(400, 401) },
});

export const getAppspace = createRoute({
  method: "get",
  path: "/appspaces/{id}",
  tags,
  security,
  summary: "Get an appspace",
  request: { params: IdParam },
  responses: { 200: json(Appspace, "The appspace"), ...errors(400, 401, 404) },
});

export const updateAppspace = createRoute({
  method: "patch",
  path: "/appspaces/{id}",
  tags,
  security,
  summary: "Update name, domains or settings (settings merge key by key)",
  request: { params: IdParam, ...body(UpdateAppspaceBody) },
  responses: { 200: json(Appspace, "The updated appspace"), ...errors(400, 401, 404) },
});

export const createKey = createRoute({
  method: "post",
  path: "/appspaces/{id}/keys",
  tags,
  security,
  summary: "Create an API key",
  request: { params: IdParam, ...body(CreateKeyBody) },
  responses: { 201: json(CreatedKey, "Created; the key is shown only here"), ...errors(400, 401, 404) },
});

export const listKeys = createRoute({
  method: "get",
  path: "/appspaces/{id}/keys",
  tags,
  security,
  summary: "List an appspace's keys (never the keys themselves)",
  request: { params: IdParam },
  responses: { 200: json(KeyList, "Keys"), ...errors(400, 401, 404) },
});

export const revokeKey = createRoute({
  method: "delete",
  path: "/keys/{id}",
  tags,
  security,
  summary: "Revoke an API key",
  request: { params: IdParam },
  responses: { 200: json(RevokedKey, "Revoked"), ...errors(400, 401, 404) },
});
