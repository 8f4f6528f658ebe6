/**
 * The stack a real browser needs, hosted from Node: the Neon-protocol gateway (in-memory PGlite,
 * or the PostgreSQL in DATABASE_URL), the Worker bundled from src/index.ts with esbuild and served
 * by Miniflare on a loopback HTTP port, and Debian's Chromium driven by playwright-core.
 * The workers-pool tests can't do this: a browser has to reach the Worker over a real socket.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { type Browser, chromium } from "playwright-core";
import { MISSING_OPTIONAL_IMPORTS } from "../../bench/support/worker-host";
import { type Gateway, startGateway } from "../../scripts/gateway";

export const ADMIN_TOKEN = "test-admin-token-0123456789";
const ROOT = resolve(import.meta.dirname, "../..");

/** Debian's `chromium` package (`apt-get install chromium`; .ci/run installs it). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** Loopback ports below 32768 (the ephemeral range is crowded on shared machines). */
/** Chromium refuses these ports outright (ERR_UNSAFE_PORT); 10080 is in our range. */
const UNSAFE_PORTS = new Set([10080]);

function candidatePorts(): number[] {
  return Array.from({ length: 10 }, () => 10000 + Math.floor(Math.random() * 10000)).filter(
    (port) => !UNSAFE_PORTS.has(port),
  );
}

async function onFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (const port of candidatePorts()) {
    try {
      return await start(port);
    } catch (error) {
      lastError = error;
      // node:http says EADDRINUSE; Miniflare, ERR_ADDRESS_IN_USE.
      const code = (error as NodeJS.ErrnoException).code ?? "";
      if (code !== "EADDRINUSE" && code !== "ERR_ADDRESS_IN_USE") throw error;
    }
  }
  throw lastError;
}

/** src/index.ts as one ES module, the way wrangler would bundle it for workerd. */
async function bundleWorker(): Promise<string> {
  const result = await build({
    entryPoints: [resolve(ROOT, "src/index.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    external: ["node:*", "cloudflare:*"],
    // Resend's SDK imports `@react-email/render` (not installed) lazily: see bench/support/worker-host.ts.
    plugins: [MISSING_OPTIONAL_IMPORTS],
    outfile: "index.js",
    logLevel: "silent",
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error("esbuild produced no output");
  return output.text;
}

export interface Stack {
  /** e.g. http://127.0.0.1:12345 — the Worker, as a browser sees it. */
  origin: string;
  mf: Miniflare;
  /** The database gateway the Worker uses (tests seed history through it: scripts/seed-data.ts). */
  gateway: { url: string; connectionString: string };
  /** Calls the Worker's HTTP API from Node (JSON in, JSON out). */
  api<T = Record<string, unknown>>(
    method: string,
    path: string,
    options?: { key?: string; body?: unknown },
  ): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const [gateway, script] = await Promise.all([
    onFreePort<Gateway>((port) =>
      startGateway({
        port,
        databaseUrl: process.env.DATABASE_URL || undefined,
        migrationsFolder: resolve(ROOT, "drizzle"),
      }),
    ),
    bundleWorker(),
  ]);
  let mf: Miniflare | undefined;
  try {
    mf = await onFreePort(async (port) => {
      const instance = new Miniflare({
        host: "127.0.0.1",
        port,
        modules: true,
        script,
        compatibilityDate: "2026-04-20",
        compatibilityFlags: ["nodejs_compat"],
        cf: false,
        bindings: {
          ADMIN_TOKEN,
          IP_HASH_SECRET: "test-ip-hash-secret-0123456789",
          // The gateway's random password rides in the connection string, as the driver sends it.
          DATABASE_URL: gateway.connectionString,
          NEON_LOCAL_ENDPOINT: gateway.url,
        },
        kvNamespaces: ["LINKS"],
        queueProducers: {
          WEBHOOKS: { queueName: "edgeref-webhooks" },
          CLICKS: { queueName: "edgeref-clicks" },
          EMAILS: { queueName: "edgeref-emails" },
        },
        ratelimits: { CLICK_LIMITER: { simple: { limit: 300, period: 60 } } },
        // wrangler.toml's [assets]: /docs's Swagger UI files (public/, made by `npm install`), reached
        // through the Worker (run_worker_first) as in production.
        assets: {
          directory: resolve(ROOT, "public"),
          binding: "ASSETS",
          routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
        },
      });
      try {
        await instance.ready;
        return instance;
      } catch (error) {
        await instance.dispose().catch(() => {});
        throw error;
      }
    });
  } catch (error) {
    await gateway.close();
    throw error;
  }
  const origin = (await mf.ready).origin;
  const worker = mf;
  return {
    origin,
    mf: worker,
    gateway: { url: gateway.url, connectionString: gateway.connectionString },
    async api(method, path, options = {}) {
      const headers: Record<string, string> = {};
      if (options.key) headers.authorization = `Bearer ${options.key}`;
      if (options.body !== undefined) headers["content-type"] = "application/json";
      const response = await fetch(`${origin}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      return { status: response.status, body: (await response.json()) as never };
    },
    async close() {
      await worker.dispose();
      await gateway.close();
    },
  };
}

/**
 * Headless Chromium. The machine's network is closed: no QUIC, no component updates, no sync,
 * no background requests of Chromium's own. And so that a test can't reach the internet even on a
 * machine that can, every host name except loopback fails to resolve.
 */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ],
  });
}
