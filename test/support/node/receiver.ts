import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { Webhook } from "standardwebhooks";

/**
 * A real webhook receiver for the tests, on a loopback port (started from vitest's globalSetup).
 * Each named endpoint has the secrets it trusts and a script of status codes to answer with.
 * Every request is verified with the public `standardwebhooks` library — once per secret — so
 * tests see exactly what a subscriber's verification would say.
 *
 * It is also a stand-in email provider API: point an SDK's base URL at `/provider/:name` and
 * every request under it is recorded and answered like Resend (`…/emails`) or Postmark
 * (`…/email`, or any request with a Postmark token header) would, with the scripted status.
 *
 *   PUT  /_control/:name   { secrets?: string[], responses?: number[], delayMs?: number, errorMessage?: string }
 *                          (re)configure, clears both logs; delayMs and errorMessage: provider mode only
 *   GET  /_control/:name   -> { deliveries: [...], requests: [...] }
 *   POST /hooks/:name      the webhook URL
 *   ANY  /provider/:name/… the email provider API
 */
interface Received {
  headers: Record<string, string>;
  body: string;
  /** Per configured secret, in order: did this delivery verify with it? */
  verified: boolean[];
  errors: string[];
  answered: number;
  receivedAt: number;
}

interface ProviderRequest {
  method: string;
  /** Full path and query, e.g. "/provider/x/emails". */
  path: string;
  headers: Record<string, string>;
  body: string;
  answered: number;
  receivedAt: number;
}

interface EndpointState {
  secrets: string[];
  responses: number[];
  deliveries: Received[];
  requests: ProviderRequest[];
  /** Provider mode: wait this long before answering (client timeouts). */
  delayMs: number;
  /** Provider mode: replaces the error body's message (e.g. to echo secrets back). */
  errorMessage: string | null;
}

function flatHeaders(req: import("node:http").IncomingMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]),
  );
}

/** A body shaped like each provider's real answer (success or error) for `status`. */
function providerAnswer(
  flavor: "resend" | "postmark",
  status: number,
  requestBody: string,
  errorMessage: string | null,
): unknown {
  let to: unknown = null;
  try {
    const parsed = JSON.parse(requestBody) as { To?: unknown; to?: unknown };
    to = parsed.To ?? parsed.to ?? null;
  } catch {}
  const ok = status >= 200 && status < 300;
  if (flavor === "postmark") {
    if (ok) {
      return { To: to, SubmittedAt: new Date().toISOString(), MessageID: randomUUID(), ErrorCode: 0, Message: "OK" };
    }
    const [code, message] =
      status === 401
        ? [10, "The Server Token you provided in the X-Postmark-Server-Token request header was invalid."]
        : status === 422
          ? // Real Postmark errors quote the address too: senders must keep it out of their logs.
            [300, `Invalid email request: Error parsing 'To': Illegal email address '${String(to)}'.`]
          : status === 429
            ? [429, "Rate limit exceeded."]
            : [0, "Internal server error."];
    return { ErrorCode: code, Message: errorMessage ?? message };
  }
  if (ok) return { id: randomUUID() };
  const [name, message] =
    status === 401 || status === 403
      ? ["invalid_api_key", "API key is invalid"]
      : status === 409
        ? ["invalid_idempotent_request", "Same idempotency key used with a different request payload."]
        : status === 422
          ? ["validation_error", `Invalid \`to\` field: ${String(to)}`]
          : status === 429
            ? ["rate_limit_exceeded", "Too many requests. You can only make 2 requests per second."]
            : ["internal_server_error", "An unexpected error occurred."];
  return { statusCode: status, name, message: errorMessage ?? message };
}

async function readBody(req: import("node:http").IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startReceiver(port: number): Promise<{ url: string; close(): Promise<void> }> {
  const endpoints = new Map<string, EndpointState>();
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://receiver");
    const [, kind, name] = url.pathname.split("/");
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (!name) return reply(404, { error: "no endpoint name" });
    if (kind === "_control" && req.method === "PUT") {
      const config = JSON.parse(await readBody(req)) as {
        secrets?: string[];
        responses?: number[];
        delayMs?: number;
        errorMessage?: string;
      };
      endpoints.set(name, {
        secrets: config.secrets ?? [],
        responses: config.responses ?? [],
        deliveries: [],
        requests: [],
        delayMs: config.delayMs ?? 0,
        errorMessage: config.errorMessage ?? null,
      });
      return reply(200, { ok: true });
    }
    if (kind === "_control" && req.method === "GET") {
      const state = endpoints.get(name);
      return reply(200, { deliveries: state?.deliveries ?? [], requests: state?.requests ?? [] });
    }
    if (kind === "hooks" && req.method === "POST") {
      const state = endpoints.get(name);
      const body = await readBody(req);
      const headers = flatHeaders(req);
      const errors: string[] = [];
      const verified = (state?.secrets ?? []).map((secret) => {
        try {
          new Webhook(secret).verify(body, headers);
          return true;
        } catch (error) {
          errors.push(error instanceof Error ? error.message : String(error));
          return false;
        }
      });
      const answered = state?.responses.shift() ?? 200;
      state?.deliveries.push({ headers, body, verified, errors, answered, receivedAt: Date.now() });
      return reply(answered, { received: true, status: answered });
    }
    if (kind === "provider") {
      // Unconfigured names are recorded and answer 200: a test only configures what it scripts.
      let state = endpoints.get(name);
      if (!state) {
        state = { secrets: [], responses: [], deliveries: [], requests: [], delayMs: 0, errorMessage: null };
        endpoints.set(name, state);
      }
      const body = await readBody(req);
      const headers = flatHeaders(req);
      const subpath = url.pathname.slice(`/${kind}/${name}`.length);
      const postmark =
        "x-postmark-server-token" in headers ||
        "x-postmark-account-token" in headers ||
        subpath === "/email" ||
        subpath.startsWith("/email/");
      const answered = state.responses.shift() ?? 200;
      state.requests.push({
        method: req.method ?? "",
        path: url.pathname + url.search,
        headers,
        body,
        answered,
        receivedAt: Date.now(),
      });
      const { delayMs, errorMessage } = state;
      if (delayMs) await new Promise((ok) => setTimeout(ok, delayMs));
      if (req.socket.destroyed) return; // the client gave up (timeout): nothing to answer
      return reply(answered, providerAnswer(postmark ? "postmark" : "resend", answered, body, errorMessage));
    }
    return reply(404, { error: "unknown route" });
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => ok());
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
