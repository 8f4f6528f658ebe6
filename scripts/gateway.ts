/**
 * Local stand-in for Neon's HTTP SQL endpoint (dev and tests only; never bundled into the Worker).
 *
 * Why hand-written: no npm package serves Neon's `/sql` protocol, and the Worker must run the very
 * same `@neondatabase/serverless` + `drizzle-orm/neon-http` code path locally as in production.
 * The protocol, as the driver uses it:
 *   POST /sql  { query, params }        -> { fields, rows, rowCount, command }
 *   POST /sql  { queries: [ ... ] }     -> { results: [ ... ] }   (one transaction)
 * Rows travel in array mode and every value as Postgres text: the driver parses by type OID, so
 * nothing here may pre-parse a value. Errors answer 400 with Postgres's `message`, `code`, ….
 *
 * Backends: embedded PGlite (default; single connection, so every request is serialised) or a
 * real PostgreSQL when a connection string is given (a pool; concurrency is real).
 *
 * It runs arbitrary SQL, so it only answers its own Worker: loopback only; the password of the
 * connection string the driver sends in `Neon-Connection-String` must be this gateway's (a
 * per-checkout secret, else 401); the body must be `application/json` (else 415: a web page can
 * only send that after a CORS preflight, which is never granted); and any request a browser makes
 * (it carries `Origin` or `Sec-Fetch-*`) or one addressed to another host name (DNS rebinding) is
 * refused with 403. The Worker's fetch sends none of those.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { resolve } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";

export interface GatewayOptions {
  /** Loopback port to listen on (keep it below 32768). */
  port: number;
  /** A PostgreSQL connection string; when absent, embedded PGlite is used. */
  databaseUrl?: string;
  /** PGlite data directory; `memory://` (or undefined) keeps everything in memory. */
  dataDir?: string;
  /** Folder with drizzle-kit's migrations, applied at start. */
  migrationsFolder: string;
  /**
   * The password every request's connection string must carry (≥ 16 characters); a fresh random
   * one when absent. Read it back from `connectionString`.
   */
  password?: string;
  log?: (line: string) => void;
}

export interface Gateway {
  port: number;
  backend: "pglite" | "postgres";
  /** `http://127.0.0.1:<port>/sql`: the Worker's NEON_LOCAL_ENDPOINT. */
  url: string;
  /** A connection string with this gateway's password: the Worker's DATABASE_URL. */
  connectionString: string;
  close(): Promise<void>;
}

const MIN_PASSWORD_LENGTH = 16;

/** A random password for a gateway (URL-safe, so it goes into a connection string as is). */
export const randomGatewayPassword = () => randomBytes(24).toString("base64url");

/** The password in a postgres:// connection string, or undefined (missing or unparsable). */
export function passwordOf(connectionString: string | undefined): string | undefined {
  if (!connectionString) return undefined;
  try {
    return decodeURIComponent(new URL(connectionString).password) || undefined;
  } catch {
    return undefined;
  }
}

/** Constant-time equality of two strings of any lengths (compares their SHA-256 digests). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Why a request may not run SQL (status and message), or undefined when it may. */
function refusal(headers: IncomingMessage["headers"], password: string): [number, string] | undefined {
  // Browsers send Origin and Sec-Fetch-Site on every fetch a page makes; Node's fetch (undici) adds
  // only `sec-fetch-mode: cors`, so that one alone doesn't mark a browser.
  if (
    headers.origin !== undefined ||
    headers["sec-fetch-site"] !== undefined ||
    headers["sec-fetch-dest"] !== undefined
  ) {
    return [403, "browser requests are refused"];
  }
  let hostname = "";
  try {
    hostname = new URL(`http://${headers.host ?? ""}`).hostname;
  } catch {
    // unparsable Host: refused below
  }
  if (!LOOPBACK_HOSTS.has(hostname)) return [403, "the gateway only answers on a loopback host name"];
  const mediaType = String(headers["content-type"] ?? "")
    .split(";")[0]
    ?.trim()
    .toLowerCase();
  if (mediaType !== "application/json") return [415, "content-type must be application/json"];
  const given = passwordOf(String(headers["neon-connection-string"] ?? ""));
  if (given === undefined || !sameSecret(given, password)) {
    return [401, "Neon-Connection-String must carry this gateway's password (see .dev.vars DATABASE_URL)"];
  }
  return undefined;
}

interface Field {
  name: string;
  dataTypeID: number;
  tableID: number;
  columnID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
  format: string;
}

interface QueryResult {
  fields: Field[];
  rows: unknown[][];
  rowCount: number | null;
  command: string;
}

interface SqlQuery {
  query: string;
  params?: unknown[];
}

interface Backend {
  name: "pglite" | "postgres";
  run(query: SqlQuery): Promise<QueryResult>;
  batch(queries: SqlQuery[], begin: string): Promise<QueryResult[]>;
  close(): Promise<void>;
}

const ERROR_FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

const ISOLATION: Record<string, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

function beginStatement(headers: IncomingMessage["headers"]): string {
  const level = ISOLATION[String(headers["neon-batch-isolation-level"] ?? "")];
  const readOnly = headers["neon-batch-read-only"] === "true";
  const deferrable = headers["neon-batch-deferrable"] === "true";
  return ["BEGIN", level ? `ISOLATION LEVEL ${level}` : "", readOnly ? "READ ONLY" : "", deferrable ? "DEFERRABLE" : ""]
    .filter(Boolean)
    .join(" ");
}

async function postgresBackend(connectionString: string): Promise<Backend> {
  const identity = (value: string) => value;
  const pool = new pg.Pool({
    connectionString,
    max: 60,
    // Raw text out: the Neon driver does the parsing on the Worker side.
    types: { getTypeParser: () => identity } as unknown as pg.CustomTypesConfig,
  });
  const toResult = (r: pg.QueryResult<unknown[]>): QueryResult => ({
    fields: r.fields.map((f) => ({ ...f, format: "text" })) as Field[],
    rows: r.rows,
    rowCount: r.rowCount,
    command: r.command,
  });
  const exec = (client: pg.Pool | pg.PoolClient, q: SqlQuery) =>
    client.query<unknown[]>({ text: q.query, values: q.params ?? [], rowMode: "array" }).then(toResult);
  return {
    name: "postgres",
    run: (q) => exec(pool, q),
    async batch(queries, begin) {
      const client = await pool.connect();
      try {
        await client.query(begin);
        const results: QueryResult[] = [];
        for (const q of queries) results.push(await exec(client, q));
        await client.query("COMMIT");
        return results;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

async function pgliteBackend(dataDir: string | undefined): Promise<{ backend: Backend; db: PGlite }> {
  const { PGlite } = await import("@electric-sql/pglite");
  if (dataDir && !dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir ?? "memory://");
  // PGlite parses by OID like the driver would; give it an identity parser for every type it
  // knows (array types included) so values leave as Postgres text.
  const identity = (value: string) => value;
  const rawParsers = () => Object.fromEntries(Object.keys(db.parsers).map((oid) => [oid, identity]));
  // PGlite is single-connection: serialise every request (a batch holds the lock throughout).
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const next = tail.then(work, work);
    tail = next.catch(() => {});
    return next;
  };
  type Queryable = Pick<PGlite, "query">;
  const exec = async (client: Queryable, q: SqlQuery): Promise<QueryResult> => {
    const r = await client.query<unknown[]>(q.query, (q.params ?? []) as unknown[], {
      rowMode: "array",
      parsers: rawParsers(),
    });
    const command = (q.query.trim().split(/\s+/)[0] ?? "").toUpperCase();
    return {
      fields: r.fields.map((f) => ({
        name: f.name,
        dataTypeID: f.dataTypeID,
        tableID: 0,
        columnID: 0,
        dataTypeSize: -1,
        dataTypeModifier: -1,
        format: "text",
      })),
      rows: r.rows,
      rowCount: r.affectedRows ?? r.rows.length,
      command,
    };
  };
  const backend: Backend = {
    name: "pglite",
    run: (q) => exclusive(() => exec(db, q)),
    batch: (queries, begin) =>
      exclusive(async () => {
        await db.exec(begin);
        try {
          const results: QueryResult[] = [];
          for (const q of queries) results.push(await exec(db, q));
          await db.exec("COMMIT");
          return results;
        } catch (error) {
          await db.exec("ROLLBACK").catch(() => {});
          throw error;
        }
      }),
    close: () => db.close(),
  };
  return { backend, db };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function errorBody(error: unknown): Record<string, unknown> {
  const source = error as Record<string, unknown>;
  const body: Record<string, unknown> = {
    message: error instanceof Error ? error.message : String(error),
  };
  for (const key of ERROR_FIELDS) if (source?.[key] !== undefined) body[key] = source[key];
  return body;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? (() => {});
  const password = options.password ?? randomGatewayPassword();
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new Error(`gateway password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  let backend: Backend;
  if (options.databaseUrl) {
    backend = await postgresBackend(options.databaseUrl);
    const { drizzle } = await import("drizzle-orm/node-postgres");
    const { migrate } = await import("drizzle-orm/node-postgres/migrator");
    const migrationPool = new pg.Pool({ connectionString: options.databaseUrl, max: 1 });
    try {
      await migrate(drizzle({ client: migrationPool }), { migrationsFolder: options.migrationsFolder });
    } finally {
      await migrationPool.end();
    }
  } else {
    const { backend: lite, db } = await pgliteBackend(options.dataDir);
    backend = lite;
    const { drizzle } = await import("drizzle-orm/pglite");
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    await migrate(drizzle({ client: db }), { migrationsFolder: options.migrationsFolder });
  }

  const server: Server = createServer(async (req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "POST" || !req.url?.startsWith("/sql")) {
      reply(404, { message: "not found: this gateway serves POST /sql only" });
      return;
    }
    // Checked on the headers alone, before reading any of the body.
    const refused = refusal(req.headers, password);
    if (refused) {
      req.resume();
      reply(refused[0], { message: refused[1] });
      return;
    }
    let payload: { query?: string; params?: unknown[]; queries?: SqlQuery[] };
    try {
      payload = (await readJson(req)) as typeof payload;
    } catch {
      reply(400, { message: "request body is not JSON" });
      return;
    }
    try {
      if (Array.isArray(payload.queries)) {
        const results = await backend.batch(payload.queries, beginStatement(req.headers));
        reply(200, { results });
      } else if (typeof payload.query === "string") {
        reply(200, await backend.run({ query: payload.query, params: payload.params }));
      } else {
        reply(400, { message: "expected { query, params } or { queries }" });
      }
    } catch (error) {
      reply(400, errorBody(error));
    }
  });

  try {
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(options.port, "127.0.0.1", () => ok());
    });
  } catch (error) {
    // Port taken (EADDRINUSE) or refused: release the database before the caller reports it.
    await backend.close().catch(() => {});
    throw error;
  }
  log(`gateway: ${backend.name} on http://127.0.0.1:${options.port}/sql`);
  return {
    port: options.port,
    backend: backend.name,
    url: `http://127.0.0.1:${options.port}/sql`,
    connectionString: `postgres://edgeref:${encodeURIComponent(password)}@127.0.0.1:${options.port}/edgeref`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await backend.close();
    },
  };
}

// `npm run gateway`: run it on its own (the dev script imports startGateway instead). The
// password is GATEWAY_PASSWORD, else the one in .dev.vars's DATABASE_URL (what the Worker sends).
if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const port = Number(process.env.GATEWAY_PORT ?? 15432);
  const devVars = existsSync(".dev.vars") ? readFileSync(".dev.vars", "utf8") : "";
  const password = process.env.GATEWAY_PASSWORD || passwordOf(devVars.match(/^DATABASE_URL=(.*)$/m)?.[1]?.trim());
  if (!password) {
    console.error("gateway: set GATEWAY_PASSWORD, or run `npm run dev` once to create .dev.vars");
    process.exit(1);
  }
  const gateway = await startGateway({
    port,
    databaseUrl: process.env.DATABASE_URL,
    dataDir: process.env.PGLITE_DIR ?? ".data/pglite",
    migrationsFolder: resolve("drizzle"),
    password,
    log: console.log,
  }).catch((error: NodeJS.ErrnoException) => {
    if (error?.code !== "EADDRINUSE") throw error;
    console.error(
      `gateway: port ${port} is in use; stop what holds it, or pick another: GATEWAY_PORT=${port + 1} npm run gateway`,
    );
    process.exit(1);
  });
  const stop = () => gateway.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
