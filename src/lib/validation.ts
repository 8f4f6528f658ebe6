import type { z } from "@hono/zod-openapi";

type Issue = z.core.$ZodIssue;

function fieldName(path: PropertyKey[]): string {
  return path
    .map((p) => (typeof p === "number" ? `[${p}]` : String(p)))
    .join(".")
    .replace(/\.\[/g, "[");
}

/**
 * One readable message per invalid request, naming the field. Missing (or blank) required
 * fields read exactly as the seed's contract: "user_id is required".
 */
export function describeIssue(issue: Issue): string {
  const field = fieldName(issue.path);
  // zod leaves `input` off issues by default; its (English) message names what it received.
  const missing = issue.input === undefined ? /received (undefined|null)$/.test(issue.message) : issue.input === null;
  if (issue.code === "invalid_type" && missing) {
    return field ? `${field} is required` : "request body is required";
  }
  if (issue.code === "invalid_type" && !field) return "request body must be a JSON object";
  if (issue.code === "too_small" && issue.origin === "string" && Number(issue.minimum) === 1) {
    return `${field} is required`;
  }
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => (field ? `${field}.${k}` : k));
    return `unknown field${keys.length > 1 ? "s" : ""}: ${keys.join(", ")}`;
  }
  return field ? `${field}: ${issue.message}` : issue.message;
}

export function describeZodError(error: z.ZodError): { message: string; field?: string } {
  const issue = error.issues[0];
  if (!issue) return { message: "invalid request" };
  const path = issue.code === "unrecognized_keys" ? [...issue.path, ...issue.keys.slice(0, 1)] : issue.path;
  const field = fieldName(path);
  return { message: describeIssue(issue), ...(field ? { field } : {}) };
}
