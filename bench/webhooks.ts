import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { stripVTControlCharacters } from "node:util";
import { build } from "esbuild";
import { Log, LogLevel, Miniflare, PeriodType } from "miniflare";
import pg from "pg";
import { Webhook } from "standardwebhooks";
import type { Gateway } from "../scripts/gateway";
import { createCleanup, runBench } from "./support/cleanup";
import { isAddressInUse, randomPort } from "./support/net";
import { startGatewayOnFreePort, startThrowawayPostgres } from "./support/postgres";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 1000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 50);
/** Consumer max_batch_size values to measure throughput with; the first is wrangler.toml's (latency runs there). */
const BATCH_SIZES = (process.env.BENCH_BATCH_SIZES ?? "10,100").split(",").map(Number);
/** Endpoints of the "with" appspace; 0 makes an A/A run that shows the noise floor of the ratio. */
const LATENCY_ENDPOINTS = Number(process.env.BENCH_LATENCY_ENDPOINTS ?? 3);
const MAX_RATIO = 1.1;
/** wrangler.toml: max_batch_timeout = 1, max_retries = 3. */
const BATCH_TIMEOUT_S = 1;
const MAX_RETRIES = 3;
/** No new delivery for this long: whatever is missing is not coming by the immediate path. */
const IDLE_MS = 3000;
/** The cron sweep only takes events older than this (src/services/webhook-outbox.ts, sweepOutbox). */
const SWEEP_GRACE_MS = 10_000;

/** src/services/webhook-outbox.ts's queue message (restated: that module's types need @cloudflare/workers-types). */
interface WebhookMessage {
  series: string;
  event_id: string;
  endpoint_id: string;
  attempt?: number;
}

const ADMIN_TOKEN = "bench-admin-token-0123456789";
const ORIGIN = "http://bench.edgeref.test";

const log = (line: string) => console.log(line);
const ms = (t: number) => (Number.isFinite(t) ? `${t.toFixed(2)} ms` : "n/a");
const rate = (n: number, millis: number) => `${Math.round((n * 1000) / millis).toLocaleString("en-US")}/s`;
const sleep = (millis: number) => new Promise((ok) => setTimeout(ok, millis));

// ---------------------------------------------------------------------------------------------
// cleanup: everything started here is stopped on exit, error or signal

const teardown = createCleanup();

// ---------------------------------------------------------------------------------------------
// database + gateway (as bench/referrals.ts)

const register = teardown.add;

// ---------------------------------------------------------------------------------------------
// loopback receiver: answers 200, counts deliveries per endpoint path, verifies a sample

interface Delivery {
  eventId: string;
  referralCode: string | undefined;
  at: number;
}

interface Inbox {
  secret: string;
  posts: number;
  /** First delivery per event id (the webhook-id header); repeats count as duplicates. */
  unique: Map<string, Delivery>;
  verified: number;
  verifyFailures: string[];
  lastAt: number;
}

interface Receiver {
  port: number;
  url(name: string): string;
  /** Starts counting for an endpoint path; its deliveries are verified with `secret`. */
  expect(name: string, secret: string): Inbox;
  inbox(name: string): Inbox;
  /** Unknown paths, bad bodies. */
  strays: number;
  close(): Promise<void>;
}

/** Every 25th delivery per endpoint (and the first) is verified with the `standardwebhooks` library. */
const VERIFY_EVERY = 25;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function startReceiver(): Promise<Receiver> {
  const inboxes = new Map<string, Inbox>();
  const receiver = { strays: 0 } as Receiver;
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const name = /^\/hooks\/([\w-]+)$/.exec(req.url ?? "")?.[1];
    const inbox = name ? inboxes.get(name) : undefined;
    const at = performance.now();
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
    if (req.method !== "POST" || !inbox) {
      receiver.strays++;
      return;
    }
    inbox.posts++;
    inbox.lastAt = at;
    const eventId = String(req.headers["webhook-id"] ?? "");
    if (inbox.unique.has(eventId)) return;
    let referralCode: string | undefined;
    try {
      referralCode = (JSON.parse(body) as { data?: { referral_code?: string } }).data?.referral_code;
    } catch {
      receiver.strays++;
    }
    inbox.unique.set(eventId, { eventId, referralCode, at });
    if (inbox.unique.size % VERIFY_EVERY === 1) {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v ?? "")]));
      try {
        new Webhook(inbox.secret).verify(body, headers);
        inbox.verified++;
      } catch (error) {
        inbox.verifyFailures.push(error instanceof Error ? error.message : String(error));
      }
    }
  });
  server.keepAliveTimeout = 30_000;
  let port = 0;
  for (let attempt = 0; attempt < 8 && !port; attempt++) {
    const candidate = randomPort(24000);
    try {
      await new Promise<void>((ok, fail) => {
        server.once("error", fail);
        server.listen(candidate, "127.0.0.1", () => {
          server.off("error", fail);
          ok();
        });
      });
      port = candidate;
    } catch (error) {
      if (!isAddressInUse(error)) throw error;
    }
  }
  if (!port) throw new Error("could not start the receiver on a loopback port");
  receiver.port = port;
  receiver.url = (name) => `http://127.0.0.1:${port}/hooks/${name}`;
  receiver.expect = (name, secret) => {
    const inbox: Inbox = { secret, posts: 0, unique: new Map(), verified: 0, verifyFailures: [], lastAt: 0 };
    inboxes.set(name, inbox);
    return inbox;
  };
  receiver.inbox = (name) => {
    const inbox = inboxes.get(name);
    if (!inbox) throw new Error(`no inbox ${name}`);
    return inbox;
  };
  receiver.close = () =>
    new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
  register(() => receiver.close());
  log(`receiver on http://127.0.0.1:${port}/hooks/…`);
  return receiver;
}

/** Waits until the inboxes hold `expected` distinct deliveries in all, or nothing new came for IDLE_MS. */
async function waitForDeliveries(inboxes: Inbox[], expected: number, timeoutMs = 120_000): Promise<number> {
  const started = performance.now();
  let last = -1;
  let lastChange = performance.now();
  for (;;) {
    const got = inboxes.reduce((sum, inbox) => sum + inbox.unique.size, 0);
    if (got >= expected) return got;
    if (got !== last) {
      last = got;
      lastChange = performance.now();
    }
    if (performance.now() - lastChange > IDLE_MS || performance.now() - started > timeoutMs) return got;
    await sleep(5);
  }
}

// ---------------------------------------------------------------------------------------------
// the Worker: bundled once, hosted by Miniflare

async function bundleWorker(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "edgeref-bench-worker-"));
  register(() => rmSync(dir, { recursive: true, force: true }));
  const outfile = join(dir, "index.js");
  const started = performance.now();
  await build({
    entryPoints: [resolve("src/index.ts")],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["workerd", "worker", "browser", "module", "main"],
    external: ["node:*", "cloudflare:*"],
    minify: true, // as wrangler.toml deploys it
    logLevel: "warning",
  });
  log(`bundled src/index.ts in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return outfile;
}

interface QueueStats {
  batches: number;
  messages: number;
  acked: number;
  busyMs: number;
  /** Per batch: how long the consumer invocation took (Miniflare's measurement). */
  durations: number[];
  /** performance.now() when the last batch was logged. */
  lastAt: number;
}

const newQueueStats = (): QueueStats => ({
  batches: 0,
  messages: 0,
  acked: 0,
  busyMs: 0,
  durations: [],
  lastAt: performance.now(),
});

/** Waits until the consumer has logged no batch for `quietMs` (duplicates may outlast the deliveries). */
async function waitForQueueIdle(logs: BenchLog, quietMs = (BATCH_TIMEOUT_S + 1.5) * 1000) {
  while (performance.now() - logs.stats.lastAt < quietMs) await sleep(50);
}

/** Whole-machine CPU use between two samples of /proc/stat (Linux); NaN elsewhere. */
function cpuSample(): { busy: number; total: number } {
  try {
    const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}
const cpuSince = (from: { busy: number; total: number }) => {
  const to = cpuSample();
  return (to.busy - from.busy) / (to.total - from.total);
};
const percent = (x: number) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : "n/a");

/** Miniflare's log, kept quiet; its per-batch "QUEUE name acked/total (ms)" lines are counted. */
class BenchLog extends Log {
  stats = newQueueStats();
  constructor() {
    super(LogLevel.INFO);
  }
  protected override log(message: string): void {
    const text = stripVTControlCharacters(message);
    const batch = /QUEUE (\S+) (\d+)\/(\d+)(?: \((\d+)ms\))?/.exec(text);
    if (batch) {
      if (batch[1] !== "edgeref-webhooks") {
        log(`  [miniflare] ${text}`);
        return;
      }
      this.stats.batches++;
      this.stats.acked += Number(batch[2]);
      this.stats.messages += Number(batch[3]);
      this.stats.busyMs += Number(batch[4] ?? 0);
      this.stats.durations.push(Number(batch[4] ?? 0));
      this.stats.lastAt = performance.now();
      return;
    }
    if (/error|warn|dead letter|dropped|retrying/i.test(text)) log(`  [miniflare] ${text.trim()}`);
  }
}

interface Worker {
  mf: Miniflare;
  logs: BenchLog;
  /** Worker console lines that report a failure (outbox dispatch failed, delivery crashed, …). */
  workerErrors: string[];
  /** null: no consumer for edgeref-webhooks. */
  batchSize: number | null;
  dispose(): Promise<void>;
}

/** `batchSize` null: no consumer for edgeref-webhooks (Miniflare then drops what is sent to it). */
async function startWorker(
  scriptPath: string,
  gateway: Pick<Gateway, "url" | "connectionString">,
  batchSize: number | null,
): Promise<Worker> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 8; attempt++) {
    const logs = new BenchLog();
    const workerErrors: string[] = [];
    const mf = new Miniflare({
      host: "127.0.0.1",
      port: randomPort(28000),
      modules: true,
      scriptPath,
      modulesRoot: dirname(scriptPath), // the bundle lives in a temp dir, outside the cwd
      compatibilityDate: "2026-04-20",
      compatibilityFlags: ["nodejs_compat"],
      cf: false,
      log: logs,
      handleStructuredLogs: ({ level, message }: { level: string; message: string }) => {
        if (level === "error" || level === "warn" || /failed|crashed|error/i.test(message)) {
          workerErrors.push(message);
          if (workerErrors.length <= 5) log(`  [worker ${level}] ${message.trim()}`);
        }
      },
      bindings: {
        ADMIN_TOKEN,
        IP_HASH_SECRET: "bench-ip-hash-secret-0123456789",
        DATABASE_URL: gateway.connectionString, // carries the gateway's password
        NEON_LOCAL_ENDPOINT: gateway.url,
        WEBHOOKS_ALLOW_PRIVATE: "true",
        WEBHOOK_LOG_RETENTION_DAYS: "30",
      },
      // The rest of wrangler.toml's bindings, so the Worker sees the env it is deployed with
      // (the clicks queue has no consumer here: nothing in this bench sends clicks).
      kvNamespaces: ["LINKS"],
      ratelimits: { CLICK_LIMITER: { simple: { limit: 300, period: PeriodType.MINUTE } } },
      queueProducers: {
        WEBHOOKS: { queueName: "edgeref-webhooks" },
        CLICKS: { queueName: "edgeref-clicks" },
      },
      queueConsumers:
        batchSize === null
          ? {}
          : {
              "edgeref-webhooks": {
                maxBatchSize: batchSize,
                maxBatchTimeout: BATCH_TIMEOUT_S,
                maxRetries: MAX_RETRIES,
                deadLetterQueue: "edgeref-webhooks-dlq",
              },
              "edgeref-webhooks-dlq": { maxBatchSize: 10, maxBatchTimeout: BATCH_TIMEOUT_S, maxRetries: MAX_RETRIES },
            },
    });
    try {
      await mf.ready;
    } catch (error) {
      await mf.dispose().catch(() => {});
      lastError = error;
      if (isAddressInUse(error)) continue;
      throw error;
    }
    let disposed = false;
    const dispose = async () => {
      if (disposed) return;
      disposed = true;
      await mf.dispose();
    };
    register(dispose);
    return { mf, logs, workerErrors, batchSize, dispose };
  }
  throw lastError;
}

async function call<T>(w: Worker, path: string, init: { method?: string; token: string; body?: unknown }): Promise<T> {
  const response = await w.mf.dispatchFetch(`${ORIGIN}${path}`, {
    method: init.method ?? "POST",
    headers: { authorization: `Bearer ${init.token}`, "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${init.method ?? "POST"} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

interface Appspace {
  id: string;
  key: string;
}

const appspaceIds: string[] = [];

async function createAppspace(w: Worker, name: string): Promise<Appspace> {
  const created = await call<{ id: string; publishable_key: string }>(w, "/v1/admin/appspaces", {
    token: ADMIN_TOKEN,
    body: { name: `bench-webhooks-${name}-${Date.now()}` },
  });
  appspaceIds.push(created.id);
  return { id: created.id, key: created.publishable_key };
}

async function subscribe(w: Worker, receiver: Receiver, appspace: Appspace, name: string) {
  const endpoint = await call<{ id: string; secret: string }>(w, `/v1/admin/appspaces/${appspace.id}/webhooks`, {
    token: ADMIN_TOKEN,
    body: { url: receiver.url(name) },
  });
  return { id: endpoint.id, inbox: receiver.expect(name, endpoint.secret) };
}

/** POST /v1/api/referral/create; resolves when the full response body has arrived. */
async function createReferral(w: Worker, appspace: Appspace, userId: string): Promise<{ code: string; ms: number }> {
  const started = performance.now();
  const response = await w.mf.dispatchFetch(`${ORIGIN}/v1/api/referral/create`, {
    method: "POST",
    headers: { authorization: `Bearer ${appspace.key}`, "content-type": "application/json" },
    body: JSON.stringify({ user_id: userId }),
  });
  const text = await response.text();
  const elapsed = performance.now() - started;
  if (response.status !== 200) throw new Error(`referral/create: ${response.status} ${text}`);
  return { code: (JSON.parse(text) as { referral_code: string }).referral_code, ms: elapsed };
}

async function runPool(n: number, concurrency: number, task: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

type Side = "without" | "with";

/** A small seeded PRNG: the same shuffled order on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** 95% interval of p50(a) / p50(b) by resampling both (2,000 rounds, seeded). */
function bootstrapRatio(a: number[], b: number[]): [number, number] {
  const random = mulberry32(0xb007);
  const resample = (xs: number[]) => Array.from(xs, () => xs[Math.floor(random() * xs.length)] ?? 0);
  const ratios = Array.from({ length: 2000 }, () => percentile(resample(a), 0.5) / percentile(resample(b), 0.5));
  return [percentile(ratios, 0.025), percentile(ratios, 0.975)];
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
};

// ---------------------------------------------------------------------------------------------
// measurement 1: throughput, outbox -> queue -> consumer -> receiver

interface Throughput {
  batchSize: number;
  events: number;
  produceMs: number;
  totalMs: number;
  delivered: number;
  immediate: number;
  viaSweep: number;
  duplicates: number;
  queue: QueueStats;
  /** Until the consumer went idle (duplicate messages included), from the first create. */
  queueMs: number;
  cpu: number;
  /** webhook_deliveries rows of the endpoint by status. */
  logRows: Record<string, number>;
  backlog: { messages: number; delivered: number; ms: number; queue: QueueStats; cpu: number };
  verified: number;
  verifyFailures: string[];
}

async function undispatched(client: pg.Client, appspaceId: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    "select count(*)::int as n from events where appspace_id = $1 and dispatched_at is null",
    [appspaceId],
  );
  return rows[0]?.n ?? 0;
}

async function measureThroughput(w: Worker, receiver: Receiver, client: pg.Client): Promise<Throughput> {
  const batchSize = w.batchSize ?? 0;
  const tag = `tp${batchSize}`;
  // Warm the isolate (code paths, caller cache, pools) on an appspace without endpoints.
  const scratch = await createAppspace(w, `${tag}-warmup`);
  await runPool(100, CONCURRENCY, (i) => createReferral(w, scratch, `warm-${i}`));

  const appspace = await createAppspace(w, tag);
  const endpoint = await subscribe(w, receiver, appspace, tag);
  const inbox = endpoint.inbox;
  await sleep(1500); // let the warm-up's queue traffic (none expected) settle
  w.logs.stats = newQueueStats();

  log(`\n[batch ${batchSize}] producing ${EVENTS} referral.created events, ${CONCURRENCY} concurrent callers`);
  const cpu = cpuSample();
  const started = performance.now();
  await runPool(EVENTS, CONCURRENCY, (i) => createReferral(w, appspace, `${tag}-user-${i}`));
  const produceMs = performance.now() - started;
  let delivered = await waitForDeliveries([inbox], EVENTS);
  const immediate = delivered;
  let lastAt = inbox.lastAt;

  let viaSweep = 0;
  const left = await undispatched(client, appspace.id);
  if (delivered < EVENTS) {
    log(`  ${EVENTS - delivered} deliveries missing after the immediate path (${left} events undispatched)`);
    if (left > 0) {
      await sleep(SWEEP_GRACE_MS); // the sweep skips events younger than its grace period
      const worker = await w.mf.getWorker();
      await worker.scheduled({ cron: "* * * * *" });
      delivered = await waitForDeliveries([inbox], EVENTS);
      viaSweep = delivered - immediate;
      lastAt = inbox.lastAt;
      log(`  cron sweep delivered ${viaSweep} more`);
    }
  }
  const totalMs = lastAt - started;
  const cpuUse = cpuSince(cpu);
  await waitForQueueIdle(w.logs);
  const queue = w.logs.stats;
  const queueMs = queue.lastAt - started;
  const { rows: statusRows } = await client.query<{ status: string; n: number }>(
    "select status, count(*)::int as n from webhook_deliveries where endpoint_id = $1 group by status",
    [endpoint.id],
  );
  const logRows = Object.fromEntries(statusRows.map((r) => [r.status, r.n]));

  // Consumer alone: a backlog of N messages (fresh series for the same events) to a second endpoint.
  const backlogEndpoint = await subscribe(w, receiver, appspace, `${tag}-backlog`);
  const { rows } = await client.query<{ id: string }>(
    "select id from events where appspace_id = $1 order by created_at limit $2",
    [appspace.id, EVENTS],
  );
  w.logs.stats = newQueueStats();
  const queueProducer = await w.mf.getQueueProducer<WebhookMessage>("WEBHOOKS");
  const messages = rows.map((row, i) => ({
    body: { series: `bench-backlog-${tag}-${i}`, event_id: row.id, endpoint_id: backlogEndpoint.id },
    contentType: "json" as const,
  }));
  const backlogCpu = cpuSample();
  const backlogStarted = performance.now();
  for (let i = 0; i < messages.length; i += 100) await queueProducer.sendBatch(messages.slice(i, i + 100));
  const backlogDelivered = await waitForDeliveries([backlogEndpoint.inbox], messages.length);
  const backlog = {
    messages: messages.length,
    delivered: backlogDelivered,
    ms: backlogEndpoint.inbox.lastAt - backlogStarted,
    queue: w.logs.stats,
    cpu: cpuSince(backlogCpu),
  };
  await waitForQueueIdle(w.logs);
  w.logs.stats = newQueueStats(); // `backlog.queue` keeps what the backlog alone did

  return {
    batchSize,
    events: EVENTS,
    produceMs,
    totalMs,
    delivered,
    immediate,
    viaSweep,
    duplicates: inbox.posts - inbox.unique.size + backlogEndpoint.inbox.posts - backlogEndpoint.inbox.unique.size,
    queue,
    queueMs,
    cpu: cpuUse,
    logRows,
    backlog,
    verified: inbox.verified + backlogEndpoint.inbox.verified,
    verifyFailures: [...inbox.verifyFailures, ...backlogEndpoint.inbox.verifyFailures],
  };
}

// ---------------------------------------------------------------------------------------------
// measurement 2: latency of the event-producing call, without vs with webhook endpoints

interface Latency {
  /** false: no queue consumer ran, so only the request path and the outbox dispatch were measured. */
  consumer: boolean;
  without: { p50: number; p95: number; mean: number };
  with: { p50: number; p95: number; mean: number };
  /** 95% bootstrap interval of p50 with / p50 without. */
  ratioInterval: [number, number];
  afterWithout: { p50: number; p95: number; mean: number };
  afterWith: { p50: number; p95: number; mean: number };
  expected: number;
  delivered: number;
  lag: { p50: number; p95: number; max: number };
  /** Queue messages the consumer took during the run (one per delivery when nothing is sent twice). */
  queueMessages: number;
  cpu: number;
  verified: number;
  verifyFailures: string[];
}

async function measureLatency(w: Worker, receiver: Receiver): Promise<Latency> {
  const consumer = w.batchSize !== null;
  const tag = consumer ? "lat" : "lat-noconsumer";
  const without = await createAppspace(w, `${tag}-without`);
  const withHooks = await createAppspace(w, `${tag}-with`);
  const inboxes: Inbox[] = [];
  for (let e = 1; e <= LATENCY_ENDPOINTS; e++)
    inboxes.push((await subscribe(w, receiver, withHooks, `${tag}-${e}`)).inbox);
  const samples = { without: [] as number[], with: [] as number[] };
  /** Timed calls of either appspace by what ran just before: a call with endpoints, or one without. */
  const byPrevious = { without: [] as number[], with: [] as number[] };
  const respondedAt = new Map<string, number>();
  await waitForQueueIdle(w.logs);
  const queue = newQueueStats();
  w.logs.stats = queue;
  const cpu = cpuSample();

  log(
    `\nlatency${consumer ? "" : ", no queue consumer"}: ${WARMUP} warm-up + ${ITERATIONS} timed calls per ` +
      `appspace, one at a time, interleaved in a shuffled order (no endpoints vs ${LATENCY_ENDPOINTS} endpoints)`,
  );
  // A shuffled order, not alternation: a call's background work (dispatch, deliveries) slows the
  // calls right after it, and fixed patterns (ABAB, ABBA) hand most of that to one side.
  const random = mulberry32(0x5eed);
  const schedule = (n: number) => shuffle([...Array(n).fill("without"), ...Array(n).fill("with")] as Side[], random);
  let previous: Side | undefined;
  let call = 0;
  for (const [phase, order] of [
    ["warmup", schedule(WARMUP)],
    ["timed", schedule(ITERATIONS)],
  ] as const) {
    for (const which of order) {
      const appspace = which === "with" ? withHooks : without;
      const result = await createReferral(w, appspace, `lat-${which}-${call++}`);
      if (which === "with") respondedAt.set(result.code, performance.now());
      if (phase === "timed") {
        samples[which].push(result.ms);
        if (previous) byPrevious[previous].push(result.ms);
      }
      previous = which;
    }
  }
  const expected = consumer ? (WARMUP + ITERATIONS) * LATENCY_ENDPOINTS : 0;
  const delivered = await waitForDeliveries(inboxes, expected);
  const cpuUse = cpuSince(cpu);
  await waitForQueueIdle(w.logs);
  // Event -> webhook lag: the response of the create call to the receiver getting that event.
  const lags: number[] = [];
  for (const inbox of inboxes) {
    for (const d of inbox.unique.values()) {
      const responded = d.referralCode ? respondedAt.get(d.referralCode) : undefined;
      if (responded !== undefined) lags.push(d.at - responded);
    }
  }
  const stats = (values: number[]) => ({
    p50: percentile(values, 0.5),
    p95: percentile(values, 0.95),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
  });
  return {
    consumer,
    without: stats(samples.without),
    with: stats(samples.with),
    ratioInterval: bootstrapRatio(samples.with, samples.without),
    afterWithout: stats(byPrevious.without),
    afterWith: stats(byPrevious.with),
    expected,
    delivered,
    lag: { p50: percentile(lags, 0.5), p95: percentile(lags, 0.95), max: lags.length ? Math.max(...lags) : Number.NaN },
    queueMessages: queue.messages,
    cpu: cpuUse,
    verified: inboxes.reduce((sum, inbox) => sum + inbox.verified, 0),
    verifyFailures: inboxes.flatMap((inbox) => inbox.verifyFailures),
  };
}

// ---------------------------------------------------------------------------------------------

function table(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
  log(line(header));
  log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) log(line(row));
}

function printThroughput(results: Throughput[]) {
  log(`\nThroughput: ${EVENTS} events to 1 endpoint, from the first create to the last delivery at the receiver`);
  table(
    [
      "max_batch_size",
      "end to end",
      "creates",
      "drain after last create",
      "delivered",
      "immediate",
      "via sweep",
      "CPU",
    ],
    results.map((r) => [
      String(r.batchSize),
      rate(r.delivered, r.totalMs),
      rate(r.events, r.produceMs),
      ms(r.totalMs - r.produceMs),
      `${r.delivered}/${r.events}`,
      String(r.immediate),
      String(r.viaSweep),
      percent(r.cpu),
    ]),
  );
  log(`\nQueue traffic of those runs (Miniflare's consumer log; it runs one batch at a time):`);
  table(
    [
      "max_batch_size",
      "queue msgs",
      "msgs / event",
      "batches",
      "mean batch",
      "batch p50",
      "consumer busy",
      "idle after",
    ],
    results.map((r) => [
      String(r.batchSize),
      String(r.queue.messages),
      (r.queue.messages / r.events).toFixed(2),
      String(r.queue.batches),
      (r.queue.messages / Math.max(1, r.queue.batches)).toFixed(1),
      ms(percentile(r.queue.durations, 0.5)),
      percent(r.queue.busyMs / r.queueMs),
      `${(r.queueMs / 1000).toFixed(1)} s`,
    ]),
  );
  for (const r of results) {
    const rows = Object.entries(r.logRows)
      .map(([status, n]) => `${status} ${n}`)
      .join(", ");
    log(`  batch ${r.batchSize}: delivery log rows for the endpoint: ${rows || "none"}`);
  }
  log(`\nConsumer alone: a backlog of ${EVENTS} queued messages (fresh series, 2nd endpoint), no producer running`);
  table(
    ["max_batch_size", "drain rate", "delivered", "batches", "mean batch", "time per batch", "= per message", "CPU"],
    results.map((r) => [
      String(r.batchSize),
      rate(r.backlog.delivered, r.backlog.ms),
      `${r.backlog.delivered}/${r.backlog.messages}`,
      String(r.backlog.queue.batches),
      (r.backlog.queue.messages / Math.max(1, r.backlog.queue.batches)).toFixed(1),
      ms(r.backlog.queue.busyMs / Math.max(1, r.backlog.queue.batches)),
      ms(r.backlog.queue.busyMs / Math.max(1, r.backlog.queue.messages)),
      percent(r.backlog.cpu),
    ]),
  );
}

function printLatency(runs: Latency[]) {
  log(
    `\nLatency of POST /v1/api/referral/create (time to full response body; ${ITERATIONS} calls per appspace, ` +
      "shuffled; the first run is the checked one):",
  );
  const rows: string[][] = [];
  for (const l of runs) {
    const run = l.consumer ? "queue consumer running" : "no queue consumer";
    rows.push(
      [run, "none", ms(l.without.p50), ms(l.without.p95), ms(l.without.mean)],
      ["", String(LATENCY_ENDPOINTS), ms(l.with.p50), ms(l.with.p95), ms(l.with.mean)],
      [
        "",
        "ratio with / without",
        (l.with.p50 / l.without.p50).toFixed(3),
        (l.with.p95 / l.without.p95).toFixed(3),
        (l.with.mean / l.without.mean).toFixed(3),
      ],
      ["", "95% interval of ratio", `${l.ratioInterval[0].toFixed(3)}–${l.ratioInterval[1].toFixed(3)}`, "", ""],
      ["", "added (with - without)", ms(l.with.p50 - l.without.p50), ms(l.with.p95 - l.without.p95), ""],
    );
  }
  table(["run", "webhook endpoints", "p50", "p95", "mean"], rows);
  for (const l of runs) {
    if (!l.consumer) continue;
    log(
      `deliveries of those calls: ${l.delivered}/${l.expected} (${l.queueMessages} queue messages); ` +
        `event -> webhook lag (create response to receipt) p50 ${ms(l.lag.p50)}, p95 ${ms(l.lag.p95)}, ` +
        `max ${ms(l.lag.max)}; CPU ${percent(l.cpu)}`,
    );
  }
  log(`\nThe same calls (both appspaces) by the call just before them — the neighbours' share of its background work:`);
  table(
    ["run", "previous call", "p50", "p95", "mean"],
    runs.flatMap((l) => [
      [
        l.consumer ? "queue consumer running" : "no queue consumer",
        "no endpoints",
        ms(l.afterWithout.p50),
        ms(l.afterWithout.p95),
        ms(l.afterWithout.mean),
      ],
      ["", `${LATENCY_ENDPOINTS} endpoints`, ms(l.afterWith.p50), ms(l.afterWith.p95), ms(l.afterWith.mean)],
      [
        "",
        "ratio",
        (l.afterWith.p50 / l.afterWithout.p50).toFixed(3),
        (l.afterWith.p95 / l.afterWithout.p95).toFixed(3),
        (l.afterWith.mean / l.afterWithout.mean).toFixed(3),
      ],
    ]),
  );
}

async function main(): Promise<number> {
  const started = performance.now();
  const [load] = loadavg();
  const machine = `${availableParallelism()} cores, load average ${load?.toFixed(2)} at start`;
  log(`machine: ${machine}${(load ?? 0) > 1 ? " (other processes are busy: expect noisier figures)" : ""}`);
  const databaseUrl = process.env.DATABASE_URL || startThrowawayPostgres(register, log);
  const gateway = await startGatewayOnFreePort(databaseUrl, register, log); // applies the migrations
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  register(() => client.end());
  register(async () => {
    if (!process.env.DATABASE_URL || process.env.BENCH_KEEP === "1" || !appspaceIds.length) return;
    log(`removing ${appspaceIds.length} bench appspaces from DATABASE_URL`);
    await client.query("delete from appspaces where id = any($1::uuid[])", [appspaceIds]);
  });
  const receiver = await startReceiver();
  const scriptPath = await bundleWorker();

  const throughput: Throughput[] = [];
  let latency: Latency | undefined;
  const workerErrors: string[] = [];
  for (const [index, batchSize] of BATCH_SIZES.entries()) {
    const w = await startWorker(scriptPath, gateway, batchSize);
    log(`\nMiniflare: consumer max_batch_size ${batchSize}, max_batch_timeout ${BATCH_TIMEOUT_S} s`);
    try {
      throughput.push(await measureThroughput(w, receiver, client));
      if (index === 0) latency = await measureLatency(w, receiver);
    } finally {
      workerErrors.push(...w.workerErrors);
      await w.dispose();
    }
  }
  // The same comparison with no queue consumer: what the request path and the outbox dispatch
  // cost, without the deliveries' CPU, which here shares the cores with everything else.
  let isolated: Latency | undefined;
  if (process.env.BENCH_NO_CONSUMER_RUN !== "0") {
    const w = await startWorker(scriptPath, gateway, null);
    log("\nMiniflare: no consumer for edgeref-webhooks (messages sent to it are dropped)");
    try {
      isolated = await measureLatency(w, receiver);
    } finally {
      workerErrors.push(...w.workerErrors);
      await w.dispose();
    }
  }

  printThroughput(throughput);
  const latencies = [latency, isolated].filter((l): l is Latency => l !== undefined);
  if (latencies.length) printLatency(latencies);

  const verified = throughput.reduce((sum, r) => sum + r.verified, 0) + (latency?.verified ?? 0);
  const verifyFailures = [...throughput.flatMap((r) => r.verifyFailures), ...(latency?.verifyFailures ?? [])];
  const duplicates = throughput.reduce((sum, r) => sum + r.duplicates, 0);
  const unacked = [...throughput.flatMap((r) => [r.queue, r.backlog.queue])].reduce(
    (sum, q) => sum + q.messages - q.acked,
    0,
  );
  log(
    `\nsignatures: ${verified} sampled deliveries verified with standardwebhooks, ${verifyFailures.length} failed` +
      `${verifyFailures[0] ? ` (${verifyFailures[0]})` : ""}; duplicate deliveries at the receiver: ${duplicates}; ` +
      `stray requests: ${receiver.strays}; queue messages not acked (retried): ${unacked}; ` +
      `worker error lines: ${workerErrors.length}`,
  );

  const problems: string[] = [];
  const ratio = latency ? latency.with.p50 / latency.without.p50 : Number.NaN;
  if (!(ratio <= MAX_RATIO)) problems.push(`latency ratio ${ratio.toFixed(3)} > ${MAX_RATIO.toFixed(2)}`);
  for (const r of throughput) {
    if (r.delivered < r.events) problems.push(`batch ${r.batchSize}: ${r.events - r.delivered} deliveries missing`);
    if (r.backlog.delivered < r.backlog.messages)
      problems.push(`batch ${r.batchSize}: ${r.backlog.messages - r.backlog.delivered} backlog deliveries missing`);
  }
  if (latency && latency.delivered < latency.expected)
    problems.push(`latency run: ${latency.expected - latency.delivered} deliveries missing`);
  if (verifyFailures.length) problems.push(`${verifyFailures.length} signatures failed to verify`);

  const isolatedRatio = isolated ? (isolated.with.p50 / isolated.without.p50).toFixed(3) : "not run";
  log(
    `\n${problems.length ? `FAIL (${problems.join("; ")})` : "PASS"}: checked: latency ratio = p50 with ` +
      `${LATENCY_ENDPOINTS} endpoints / p50 without, queue consumer running, = ${ratio.toFixed(3)} ` +
      `(must be <= ${MAX_RATIO.toFixed(2)}; without a consumer ${isolatedRatio}), and every event delivered ` +
      "with a valid signature.",
  );
  log(
    `reproduce: npm run bench:webhooks   (total ${((performance.now() - started) / 1000).toFixed(0)} s; ` +
      `${machine}, ${loadavg()[0]?.toFixed(2)} at the end)`,
  );
  return problems.length ? 1 : 0;
}

await runBench(main, teardown);
