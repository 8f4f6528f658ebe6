import { z } from "@hono/zod-openapi";

/** Shared pieces of every route definition: JSON bodies and the one error shape. */

export const ErrorResponse = z
  .object({
    error: z.string(),
    reason: z.string().optional(),
    field: z.string().optional(),
  })
  .openapi("Error");

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});

export const errorResponses = (...codes: (400 | 401 | 403 | 404 | 409)[]) =>
  Object.fromEntries(codes.map((code) => [code, jsonContent(ErrorResponse, "Error")]));

export const ADMIN_SECURITY: Record<string, string[]>[] = [{ adminToken: [] }];
export const API_KEY_SECURITY: Record<string, string[]>[] = [{ bearerKey: [] }, { apiKeyHeader: [] }];
