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

/**
 * NUL, or a UTF-16 surrogate that is not half of a pair (with the `u` flag a valid pair is one
 * code point, so `\p{Cs}` only matches lone halves). Postgres stores neither: text rejects
 * U+0000 and jsonb rejects `\u0000` and unpaired `\uD800` escapes, as data exceptions (SQLSTATE
 * class 22) that would otherwise surface as 500s. Nothing legitimate needs them.
 */
const UNSTORABLE = /\0|\p{Cs}/u;
const UNSTORABLE_ALL = /\0|\p{Cs}/gu;

/** How deep parsed input may nest; deeper JSON would overflow the stack of whatever walks it next. */
export const MAX_INPUT_DEPTH = 32;

export const isStorable = (text: string) => !UNSTORABLE.test(text);

/** For values taken from the wire without validation (click headers, UTM tags): drop what can't be stored. */
export const storable = (text: string) => text.replace(UNSTORABLE_ALL, "");

/** A key shown inside a field name, with the characters that made it bad replaced so the name itself is printable. */
const printableKey = (key: string) => key.replace(UNSTORABLE_ALL, "\uFFFD");

export interface InputProblem {
  field: string;
  message: string;
}

/**
 * The first string (object key or value, at any depth) of a parsed request part that Postgres
 * could not store, named by its real path (`metadata.note`, `settings.og_title`, `domains[0]`).
 * Iterative, so hostile nesting can't overflow the stack; nesting beyond MAX_INPUT_DEPTH is itself
 * a problem.
 */
export function findUnstorableInput(value: unknown): InputProblem | null {
  const stack: { value: unknown; path: PropertyKey[]; badKey?: string }[] = [{ value, path: [] }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { path } = item;
    if (item.badKey !== undefined) return unstorable([...path, printableKey(item.badKey)]);
    const current = item.value;
    if (typeof current === "string") {
      if (!isStorable(current)) return unstorable(path);
      continue;
    }
    if (current === null || typeof current !== "object") continue;
    if (path.length >= MAX_INPUT_DEPTH) {
      const field = fieldName(path);
      return { field, message: `${field || "request body"}: must not nest deeper than ${MAX_INPUT_DEPTH} levels` };
    }
    const entries: [PropertyKey, unknown][] = Array.isArray(current)
      ? current.map((v, i) => [i, v])
      : Object.entries(current);
    // Pushed in reverse so the first offending field, in document order, is the one reported.
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      if (!entry) continue;
      const [key, child] = entry;
      stack.push({ value: child, path: [...path, key] });
      if (typeof key === "string" && !isStorable(key)) stack.push({ value: undefined, path, badKey: key });
    }
  }
  return null;
}

function unstorable(path: PropertyKey[]): InputProblem {
  const field = fieldName(path);
  return { field, message: `${field || "request body"}: must not contain NUL or unpaired surrogate characters` };
}
