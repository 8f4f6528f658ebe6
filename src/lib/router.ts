import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../types";
import { badRequest } from "./errors";
import { describeZodError, findUnstorableInput } from "./validation";

/**
 * A router whose request validation failures become the one error shape:
 * 400 `{ "error": "user_id is required", "field": "user_id" }`.
 *
 * Every validated part of every request (JSON body, query, path params) also passes the one
 * storability check here, so no route can hand Postgres a NUL or a lone surrogate: 400
 * `{ "error": "metadata.note: must not contain NUL or unpaired surrogate characters", "field": "metadata.note" }`.
 * It looks at the raw input when validation failed (so the real cause is named even when zod
 * trips over something else first) and at exactly what the handler receives when it passed.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result) => {
      // zod-validator passes the raw input as `data` on failure too; its types only promise it on success.
      const problem = findUnstorableInput("data" in result ? result.data : undefined);
      if (problem) throw badRequest(problem.message, problem.field ? { field: problem.field } : {});
      if (!result.success) {
        const { message, field } = describeZodError(result.error);
        throw badRequest(message, field ? { field } : {});
      }
    },
  });
}
