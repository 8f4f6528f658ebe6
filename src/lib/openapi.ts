import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../types";
import { ERROR_CODES } from "./error-response";

/** Shared pieces of every route definition: JSON bodies and the one error shape. */

export const ErrorResponse = z
  .object({
    error: z.string().openapi({ description: "What went wrong, in words (the seed's messages)" }),
    code: z.enum(ERROR_CODES).openapi({ description: "What went wrong, for programs: branch on this" }),
    request_id: z
      .string()
      .openapi({ description: "This request's id (also the X-Request-Id header); quote it to support" }),
    field: z.string().optional().openapi({ description: "The request field at fault (400)" }),
    reason: z.string().optional().openapi({ description: "Why a referral was refused (409 abuse checks)" }),
    domain: z.string().optional().openapi({ description: "The domain at fault (409 domain_taken)" }),
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

/**
 * Errors every route can answer, added to each route of the document once the routers are
 * mounted: 429 (rate limits) and 500 everywhere, 413 and 415 where a JSON body is read.
 */
export function documentCommonErrors(app: OpenAPIHono<AppEnv>) {
  const error = (description: string) => ({ content: { "application/json": { schema: ErrorResponse } }, description });
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== "route") continue;
    const { route } = definition;
    const hasBody = route.request?.body !== undefined;
    definition.route = {
      ...route,
      responses: {
        ...route.responses,
        ...(hasBody
          ? {
              413: error("The body is larger than 64 KB"),
              415: error("The body is not sent as application/json"),
            }
          : {}),
        429: error("Rate limited: see the Retry-After and RateLimit headers"),
        500: error("Our failure: quote request_id"),
      },
    };
  }
}
