import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The one error type handlers throw for expected failures. `message` is the public contract
 * (the seed's error strings); `extra` adds fields such as `reason`. The app's error handler is
 * the only place that turns it into HTTP: `{ "error": message, ...extra }`.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const badRequest = (message: string, extra?: Record<string, unknown>) => new ApiError(400, message, extra);
export const unauthorized = (message: string) => new ApiError(401, message);
export const forbidden = (message: string) => new ApiError(403, message);
export const notFound = (message: string) => new ApiError(404, message);
export const conflict = (message: string, extra?: Record<string, unknown>) => new ApiError(409, message, extra);

/** Postgres error codes the data layer maps to domain outcomes. */
export const PG_UNIQUE_VIOLATION = "23505";

export function pgErrorCode(error: unknown): string | undefined {
  // drizzle wraps driver errors (`cause`); the Neon driver puts Postgres's code on the error.
  for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * SQLSTATE class 22, "data exception": Postgres refused a value (bad encoding, malformed json,
 * out-of-range number, invalid text for a type). Only input can carry such a value, so it is the
 * caller's 400, never a 500; the request guard names the field for the cases it knows, this is
 * the backstop for the rest.
 */
export function isPgDataException(error: unknown): boolean {
  return pgErrorCode(error)?.startsWith("22") ?? false;
}

/** The backstop's public message: says what went wrong without echoing SQL or values. */
export const DATA_EXCEPTION_MESSAGE = "A value in the request could not be stored (invalid characters or out of range)";
