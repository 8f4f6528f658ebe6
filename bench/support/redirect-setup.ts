/**
 * Shared by bench/redirect.ts and bench/support/redirect-ablation.ts: the two click cases, the
 * Miniflare options every hosted Worker gets (wrangler.toml's bindings; only the script differs),
 * the database behind a query-counting proxy, seeding through the product's HTTP API, and one
 * measured load run with CPU readings.
 */
import { request as httpRequest } from "node:http";
import { resolve } from "node:path";
import { PeriodType } from "miniflare";
import { type Gateway, startGateway } from "../../scripts/gateway";
import type { Cleanup } from "./cleanup";
import { childPids, cpuMeter, processName } from "./cpu";
import { type LoadResult, runLoad } from "./load";
import { onFreePort } from "./net";
import { type SqlCounter, startSqlCounter } from "./sql-counter";
import { type HostedWorker, hostWorker, type WorkerSource } from "./worker-host";

export const ADMIN_TOKEN = "bench-admin-token-0123456789";
export const HOST = "bench.links.test";
export const WEB_FALLBACK = "https://example.com/";
/** Raised from wrangler.toml's 300/min/IP: the bench measures routing, not limiting. */
export const CLICK_LIMIT = 1_000_000_000;
/** Client IPs (cf-connecting-ip); every connection cycles through them request by request. */
export const CLIENT_IPS = Array.from({ length: 16 }, (_, i) => `198.51.100.${i + 10}`);

export interface ClickCase {
  name: string;
  detail: string;
  userAgent: string;
  /** The product's Location header for this case. */
  location(location: string): boolean;
  /** The least product / bare throughput ratio bench/redirect.ts accepts (issue 9's goals). */
  minRatio: number;
}

export const CASES: readonly ClickCase[] = [
  {
    name: "desktop click",
    detail: "Chrome on Windows -> 302 to the web fallback with a fresh signed aid; click queued (CLICKS)",
    userAgent:
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Safari/537.36",
    // The landing carries this click's aid (src/link-api/aid.ts), signed: one HMAC per click.
    location: (location) => location.startsWith(`${WEB_FALLBACK}?aid=`),
    minRatio: 0.8,
  },
  {
    name: "store-bound click",
    detail:
      "Chrome on Android -> 302 to the Play Store; click + deferred record queued together (the click consumer writes KV)",
    userAgent:
      "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Mobile Safari/537.36",
    location: (location) =>
      location.startsWith("https://play.google.com/store/apps/details?id=com.example.app&referrer=tolk_token%3D"),
    minRatio: 0.7,
  },
];

/** The baseline: a Worker that only answers 302. */
export const BARE_WORKER = `export default {
  fetch() {
    return new Response(null, { status: 302, headers: { location: ${JSON.stringify(WEB_FALLBACK)} } });
  },
};`;

export const headersFor = (userAgent: string) => ({ host: HOST, "user-agent": userAgent, accept: "text/html" });
export const ipVariants = CLIENT_IPS.map((ip) => ({ "cf-connecting-ip": ip }));

/** Where a hosted Worker finds its database: the `/sql` URL and a DATABASE_URL with the gateway's password. */
export interface DatabaseEndpoint {
  sqlUrl: string;
  databaseUrl: string;
}

/** In-memory PGlite behind scripts/gateway.ts, with the counting proxy in front (the Worker's NEON_LOCAL_ENDPOINT). */
export async function startDatabase(
  cleanup: Cleanup,
): Promise<{ gatewayPort: number; counter: SqlCounter; endpoint: DatabaseEndpoint }> {
  const gateway = await onFreePort<Gateway>(22000, (port) =>
    startGateway({ port, migrationsFolder: resolve("drizzle") }),
  );
  cleanup.add(() => gateway.close());
  const counter = await startSqlCounter(gateway.port);
  cleanup.add(() => counter.close());
  return {
    gatewayPort: gateway.port,
    counter,
    endpoint: { sqlUrl: counter.url, databaseUrl: gateway.connectionString },
  };
}

/** The same Miniflare options for every Worker: wrangler.toml's bindings, the click limit raised. */
export function sharedOptions(database: DatabaseEndpoint, extraBindings: Record<string, string> = {}) {
  return {
    bindings: {
      ADMIN_TOKEN,
      IP_HASH_SECRET: "bench-ip-hash-secret-0123456789",
      DATABASE_URL: database.databaseUrl,
      NEON_LOCAL_ENDPOINT: database.sqlUrl,
      WEBHOOK_LOG_RETENTION_DAYS: "30",
      ...extraBindings,
    },
    kvNamespaces: ["LINKS"],
    queueProducers: {
      WEBHOOKS: { queueName: "edgeref-webhooks" },
      CLICKS: { queueName: "edgeref-clicks" },
    },
    ratelimits: { CLICK_LIMITER: { simple: { limit: CLICK_LIMIT, period: PeriodType.MINUTE } } },
  };
}

export interface Hosted {
  name: string;
  worker: HostedWorker;
  /** Its workerd process, for CPU readings (undefined if it could not be found). */
  pid?: number;
}

/** Hosts one Worker in its own Miniflare (own workerd, own loopback port below 32768). */
export async function host(
  cleanup: Cleanup,
  name: string,
  source: WorkerSource,
  database: DatabaseEndpoint,
  {
    basePort,
    extraBindings,
    onError,
  }: { basePort: number; extraBindings?: Record<string, string>; onError?: (line: string) => void },
): Promise<Hosted> {
  const before = new Set(childPids());
  const worker = await hostWorker(source, sharedOptions(database, extraBindings), { basePort, onError });
  cleanup.add(() => worker.dispose());
  const pid = childPids().find((p) => !before.has(p) && processName(p) === "workerd");
  return { name, worker, pid };
}

async function api<T>(w: HostedWorker, path: string, token: string, body: unknown): Promise<T> {
  const response = await w.mf.dispatchFetch(`http://${HOST}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`POST ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Through the product's HTTP API: an appspace on HOST with both stores and a web fallback, and one referral. Returns its code. */
export async function seed(product: HostedWorker): Promise<string> {
  const space = await api<{ id: string; publishable_key: string }>(product, "/v1/admin/appspaces", ADMIN_TOKEN, {
    name: "bench-redirect",
    domains: [HOST],
    settings: {
      ios_app_store_url: "https://apps.apple.com/app/id1",
      android_package: "com.example.app",
      web_fallback_url: WEB_FALLBACK,
    },
  });
  const referral = await api<{ referral_code: string }>(product, "/v1/api/referral/create", space.publishable_key, {
    user_id: "bench-referrer",
    user_name: "Bench",
  });
  return referral.referral_code;
}

/** One request exactly as autocannon sends it (node:http, so the Host header is ours): status and Location. */
export function probe(port: number, path: string, userAgent: string) {
  return new Promise<{ status: number; location: string }>((ok, fail) => {
    const headers = { ...headersFor(userAgent), "cf-connecting-ip": CLIENT_IPS[0] ?? "198.51.100.10" };
    const req = httpRequest({ host: "127.0.0.1", port, path, headers }, (res) => {
      res.resume();
      res.on("end", () => ok({ status: res.statusCode ?? 0, location: String(res.headers.location ?? "") }));
    });
    req.on("error", fail);
    req.end();
  });
}

export interface Run extends LoadResult {
  /** Cores used during the run by the Worker's workerd and by this Node process (autocannon, gateway, proxy). */
  workerdCores: number;
  nodeCores: number;
}

/** A closed-loop autocannon run against `target`, with CPU readings; then a pause so its `waitUntil` work settles. */
export async function measure(
  target: Hosted,
  path: string,
  userAgent: string,
  { seconds, connections, settleMs }: { seconds: number; connections: number; settleMs: number },
): Promise<Run> {
  const meter = cpuMeter([target.pid ?? -1, process.pid]);
  const result = await runLoad({
    url: `${target.worker.origin}${path}`,
    connections,
    seconds,
    headers: headersFor(userAgent),
    variants: ipVariants,
  });
  const [workerdCores = Number.NaN, nodeCores = Number.NaN] = meter();
  await new Promise((ok) => setTimeout(ok, settleMs));
  return { ...result, workerdCores, nodeCores };
}

export function table(log: (line: string) => void, header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
  log(line(header));
  log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) log(line(row));
}

export const ms = (t: number) => (Number.isFinite(t) ? `${t.toFixed(2)} ms` : "n/a");
export const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a");
export const pct = (cores: number) => (Number.isFinite(cores) ? `${Math.round(cores * 100)}%` : "n/a");
