import { createServer, type Server } from "node:http";
import { Webhook } from "standardwebhooks";

/**
 * A real webhook receiver for the tests, on a loopback port (started from vitest's globalSetup).
 * Each named endpoint has the secrets it trusts and a script of status codes to answer with.
 * Every request is verified with the public `standardwebhooks` library — once per secret — so
 * tests see exactly what a subscriber's verification would say.
 *
 *   PUT  /_control/:name   { secrets: string[], responses?: number[] }   (re)configure, clears log
 *   GET  /_control/:name   -> { deliveries: [...] }
 *   POST /hooks/:name      the webhook URL
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

interface EndpointState {
  secrets: string[];
  responses: number[];
  deliveries: Received[];
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
      const config = JSON.parse(await readBody(req)) as { secrets: string[]; responses?: number[] };
      endpoints.set(name, { secrets: config.secrets, responses: config.responses ?? [], deliveries: [] });
      return reply(200, { ok: true });
    }
    if (kind === "_control" && req.method === "GET") {
      return reply(200, { deliveries: endpoints.get(name)?.deliveries ?? [] });
    }
    if (kind === "hooks" && req.method === "POST") {
      const state = endpoints.get(name);
      const body = await readBody(req);
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]),
      );
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
