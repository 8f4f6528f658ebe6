/**
 * Postgres errors, as the data layer reads them (SQLSTATE codes through drizzle's and the Neon
 * driver's wrapping). HTTP knows nothing of these: handlers map the outcomes, and the one error
 * handler (src/lib/error-response.ts) turns a data exception into a 400.
 */

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
