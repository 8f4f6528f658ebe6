/**
 * A counting HTTP proxy in front of scripts/gateway.ts: every POST /sql the Worker's Neon driver
 * sends passes through it and is tallied (HTTP requests and SQL statements; a batch is one
 * request of several statements) under the current phase, with its first words kept for the
 * report. Point the Worker's NEON_LOCAL_ENDPOINT at `url`.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { performance } from "node:perf_hooks";
import { onFreePort } from "./net";

export interface SqlCall {
  /** ms since the counter started (performance.now() based). */
  at: number;
  phase: string;
  /** Statements in the request (1, or the batch size). */
  statements: number;
  /** First statement, whitespace collapsed, cut to 100 chars. */
  sql: string;
}

export interface SqlCounter {
  port: number;
  /** The `/sql` URL to give the Worker as NEON_LOCAL_ENDPOINT. */
  url: string;
  /** Every request that went through, in arrival order. */
  calls: SqlCall[];
  phase: string;
  /** ms since the counter started (the clock of `SqlCall.at`). */
  elapsed(): number;
  /** Requests (and statements) seen in `phase`. */
  count(phase: string): { requests: number; statements: number };
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function describe(body: Buffer): { statements: number; sql: string } {
  try {
    const payload = JSON.parse(body.toString("utf8")) as { query?: string; queries?: { query: string }[] };
    const queries = Array.isArray(payload.queries) ? payload.queries.map((q) => q.query) : [payload.query ?? ""];
    return { statements: queries.length, sql: (queries[0] ?? "").replace(/\s+/g, " ").trim().slice(0, 100) };
  } catch {
    return { statements: 1, sql: "(unparsable body)" };
  }
}

export async function startSqlCounter(targetPort: number, basePort = 20000): Promise<SqlCounter> {
  const started = performance.now();
  const counter = { calls: [] as SqlCall[], phase: "start" } as SqlCounter;
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    if (req.method === "POST" && req.url?.startsWith("/sql")) {
      counter.calls.push({ at: performance.now() - started, phase: counter.phase, ...describe(body) });
    }
    const upstream = httpRequest(
      { host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: `sql counter: gateway unreachable: ${error.message}` }));
    });
    upstream.end(body);
  });
  server.keepAliveTimeout = 30_000;
  const port = await onFreePort(
    basePort,
    (candidate) =>
      new Promise<number>((ok, fail) => {
        server.once("error", fail);
        server.listen(candidate, "127.0.0.1", () => {
          server.off("error", fail);
          ok(candidate);
        });
      }),
  );
  counter.port = port;
  counter.url = `http://127.0.0.1:${port}/sql`;
  counter.elapsed = () => performance.now() - started;
  counter.count = (phase) => {
    const calls = counter.calls.filter((c) => c.phase === phase);
    return { requests: calls.length, statements: calls.reduce((sum, c) => sum + c.statements, 0) };
  };
  counter.close = () =>
    new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
  return counter;
}
