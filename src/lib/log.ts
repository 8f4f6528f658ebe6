import { pgErrorCode } from "../db/errors";

/**
 * The one way the Worker logs: one JSON line per event (`{"level","msg",...fields}`), which
 * Workers Logs indexes field by field.
 *
 * Two rules hold for every line, whatever a caller passes:
 * - anything shaped like a credential is masked: API keys (`pk_`/`sk_` + 40 base62), webhook
 *   signing secrets (`whsec_…`), identity secrets (`idsec_…`) and `Bearer …` tokens;
 * - an Error is never logged by its message when it came from the database: drizzle's message is
 *   the statement *with its parameters* (user ids, names, metadata, hashes, secrets being
 *   written) and Postgres's own messages quote the offending value. Those log the SQLSTATE and
 *   a fingerprint of the statement text instead (see `describeError`).
 */

type Level = "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

const REDACTIONS: [RegExp, string][] = [
  [/\b(pk|sk)_[A-Za-z0-9]{40}(?![A-Za-z0-9])/g, "$1_[redacted]"],
  [/\bwhsec_[A-Za-z0-9+/=_-]+/g, "whsec_[redacted]"],
  [/\bidsec_[A-Za-z0-9]+/g, "idsec_[redacted]"],
  [/\b(bearer)(\s+|%20|\+)[^\s",;\\]+/gi, "$1 [redacted]"],
];

/** Masks anything credential-shaped in `text`. */
export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of REDACTIONS) out = out.replace(pattern, replacement);
  return out;
}

const MAX_MESSAGE = 300;

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  query?: unknown;
  table?: unknown;
  constraint?: unknown;
  cause?: unknown;
}

function chain(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  for (let e: unknown = error; e && typeof e === "object" && out.length < 8; e = (e as ErrorLike).cause) {
    out.push(e as ErrorLike);
  }
  return out;
}

const str = (value: unknown) => (typeof value === "string" && value ? value : undefined);

/**
 * A short, stable name for a statement that says where it failed without what it carried:
 * `insert referrals #1a2b3c4d` (first keyword, first table, hash of the parameterless text).
 * The hash is FNV-1a, synchronous so logging never has to await; it identifies, it protects
 * nothing (the text hashed holds `$1` placeholders, not values).
 */
export function statementFingerprint(statement: string): string {
  const text = statement
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/--[^\n]*/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  const keyword = (text.match(/^\(?\s*([a-z]+)/i)?.[1] ?? "sql").toLowerCase();
  const table = text.match(/\b(?:from|into|update|join)\s+"?([a-z_][a-z0-9_]*)"?/i)?.[1]?.toLowerCase();
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  const hex = (hash >>> 0).toString(16).padStart(8, "0");
  return [keyword, table, `#${hex}`].filter(Boolean).join(" ");
}

/**
 * What a log line says about an error. Database errors: name, SQLSTATE, statement fingerprint,
 * and the table/constraint Postgres names (schema, not data). Never the message, detail or
 * parameters. A driver error without a SQLSTATE (the database was unreachable) keeps its
 * innermost message, which describes the transport, not the statement. Anything else: name and
 * (redacted, truncated) message.
 */
export function describeError(error: unknown): LogFields {
  const links = chain(error);
  const top = links[0];
  if (!top) return { name: typeof error, message: redact(String(error)).slice(0, MAX_MESSAGE) };
  const code = pgErrorCode(error);
  const query = links.map((e) => str(e.query)).find(Boolean);
  const driver = links.find((e) => e.name === "NeonDbError");
  if (code || query || driver) {
    const source = driver ?? links.find((e) => str(e.code)) ?? top;
    // Without a SQLSTATE the statement never ran (network, gateway, auth): the innermost error
    // that is not drizzle's wrapper (the one whose message embeds the parameters) says why.
    const transport = code ? undefined : [...links].reverse().find((e) => !("query" in e) && str(e.message));
    return {
      name: str(source.name) ?? "Error",
      ...(code ? { code } : {}),
      ...(query ? { statement: statementFingerprint(query) } : {}),
      ...(str(source.table) ? { table: source.table } : {}),
      ...(str(source.constraint) ? { constraint: source.constraint } : {}),
      ...(transport ? { message: redact(String(transport.message)).slice(0, MAX_MESSAGE) } : {}),
    };
  }
  return {
    name: str(top.name) ?? "Error",
    message: redact(str(top.message) ?? String(error)).slice(0, MAX_MESSAGE),
  };
}

function line(level: Level, msg: string, fields: LogFields): string {
  try {
    const json = JSON.stringify({ level, msg, ...fields }, (_key, value: unknown) => {
      if (value instanceof Error) return describeError(value);
      return typeof value === "bigint" ? value.toString() : value;
    });
    return redact(json);
  } catch {
    // Logging must never throw (cyclic fields): keep the event, drop the fields.
    return redact(JSON.stringify({ level, msg, log_error: "fields not serialisable" }));
  }
}

function emit(level: Level, msg: string, fields: LogFields = {}) {
  const text = line(level, msg, fields);
  if (level === "error") console.error(text);
  else if (level === "warn") console.warn(text);
  else console.log(text);
}

export const log = {
  info: (msg: string, fields?: LogFields) => emit("info", msg, fields),
  warn: (msg: string, fields?: LogFields) => emit("warn", msg, fields),
  error: (msg: string, fields?: LogFields) => emit("error", msg, fields),
};
