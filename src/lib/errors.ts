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

/** The backstop's public message: says what went wrong without echoing SQL or values. */
export const DATA_EXCEPTION_MESSAGE = "A value in the request could not be stored (invalid characters or out of range)";
