import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../types";
import { badRequest } from "./errors";
import { describeZodError } from "./validation";

/**
 * A router whose request validation failures become the one error shape:
 * 400 `{ "error": "user_id is required", "field": "user_id" }`.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result) => {
      if (!result.success) {
        const { message, field } = describeZodError(result.error);
        throw badRequest(message, field ? { field } : {});
      }
    },
  });
}
