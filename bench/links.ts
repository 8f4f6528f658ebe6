/**
 * Link API latency: `POST /v1/api/links` for a new user and for a repeat user, beside
 * `POST /v1/api/referral/create`, in one run against one Worker and one database.
 *
 * Aims (the Link API issue): p50 of a new user's call at most 1.5x create's, a repeat's at most
 * 1.1x; one Postgres round trip per call on the response path.
 *
 * What runs: src/index.ts bundled with esbuild and hosted in Miniflare (workerd) with
 * wrangler.toml's vars, KV namespaces, every queue producer it declares (no consumers) and its
 * rate limits (raised). The database is a throwaway PostgreSQL (or DATABASE_URL) behind
 * scripts/gateway.ts, behind a tracing proxy in this file that times every `/sql` request the
 * Worker sends. One appspace and one promotion are made through the HTTP API; then rounds of one
 * call of each kind (plus a 404 that shows what any request costs here), sequential, the order
 * rotating per round, each call followed by a wait until the Worker's SQL traffic is quiet. A second, shorter pass holds every SQL request until the
 * call's response has arrived (or HOLD_MS): what the response did not wait for is background —
 * the response-path round trips are counted, not inferred — and EXPLAIN ANALYZEs each statement
 * (rolled back) just before it runs for real. See bench/README.md.
 *
 *   npm run bench:links
 *   BENCH_ITERATIONS=600 BENCH_WARMUP=60 npm run bench:links
 *
 * Knobs: BENCH_ITERATIONS (300 rounds), BENCH_WARMUP (30), BENCH_HELD (20 rounds), BENCH_HOLD_MS (50),
 * BENCH_QUIET_MS (25); DATABASE_URL (the bench's appspace is deleted at the end unless BENCH_KEEP=1).
 */
import { readdirSync, readFileSync } from "node:fs";
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { availableParallelism, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { unstable_readConfig } from "wrangler";
import { createCleanup, runBench } from "./support/cleanup";
import { childPids, processName } from "./support/cpu";
import { onFreePort } from "./support/net";
import { startGatewayOnFreePort, startThrowawayPostgres } from "./support/postgres";
import { bundleWorker, type HostedWorker, hostWorker } from "./support/worker-host";

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 30);
/** Calls per kind in the held pass (round-trip attribution and EXPLAIN). */
const HELD = Number(process.env.BENCH_HELD ?? 20);
/** The held pass lets a SQL request through after this long if the call's response has not come. */
const HOLD_MS = Number(process.env.BENCH_HOLD_MS ?? 50);
/** After each call: wait until no SQL request is in flight and none has come for this long. */
const QUIET_MS = Number(process.env.BENCH_QUIET_MS ?? 25);
const MAX_RATIO_NEW = 1.5;
const MAX_RATIO_REPEAT = 1.1;
const AIM_ROUND_TRIPS = 1;
/** Rate limits raised from wrangler.toml's (API_LIMITER: 1200/min per key): the bench measures the API, not limiting. */
const RAISED_LIMIT = 1_000_000_000;

const ADMIN_TOKEN = "bench-admin-token-0123456789";
const HOST = "bench.links.test";
const ORIGIN = `http://${HOST}`;
const TARGET_URL = "https://shop.example.com/welcome";

/** `floor`: informational, what every request costs here without a handler or SQL. */
type Kind = "floor" | "create" | "new" | "repeat";
const KINDS: readonly Kind[] = ["floor", "create", "new", "repeat"];
const LABEL: Record<Kind, string> = {
  floor: "(0) POST /v1/api/bench-floor: 404, no route, no SQL",
  create: "(a) POST /v1/api/referral/create, new user_id",
  new: "(b) POST /v1/api/links, new user",
  repeat: "(c) POST /v1/api/links, repeat user",
};
const SHORT: Record<Kind, string> = {
  floor: "(0) floor",
  create: "(a) create",
  new: "(b) links new",
  repeat: "(c) links repeat",
};

/**
 * Timed rounds, alternating. `as-is`: the background work runs as it comes. `deferred`: the proxy
 * holds each background statement (as the held pass found them) until the call's response has
 * been read, so it cannot compete with the response on this machine: the bench's client, the proxy
 * and the gateway share one Node thread, and PostgreSQL the same 2 cores.
 */
type Mode = "as-is" | "deferred";
const MODES: readonly Mode[] = ["as-is", "deferred"];
const MODE_LABEL: Record<Mode, string> = {
  "as-is": "background work as it comes (checked)",
  deferred: "background SQL deferred until the response is read (info)",
};

const log = (line: string) => console.log(line);
const ms = (t: number) => (Number.isFinite(t) ? `${t.toFixed(2)} ms` : "n/a");
const sleep = (millis: number) => new Promise((ok) => setTimeout(ok, millis));
/** CPU time of all threads of `pid` in ms, summed over the schedstat of each of its threads in /proc (ns resolution; Linux only, NaN elsewhere). */
function threadCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // the thread ended
      }
    }
    return ns / 1e6;
  } catch {
    return Number.NaN;
  }
}

const teardown = createCleanup();
const register = teardown.add;

// ---------------------------------------------------------------------------------------------
// statistics

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
};
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const median = (values: readonly number[]) => percentile(values, 0.5);

/** A small seeded PRNG: the same choices on every run. */
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

/** 95% interval of p50(a) / p50(b) by resampling both (2,000 rounds, seeded). */
function bootstrapRatio(a: number[], b: number[]): [number, number] {
  const random = mulberry32(0xb007);
  const resample = (xs: number[]) => Array.from(xs, () => xs[Math.floor(random() * xs.length)] ?? 0);
  const ratios = Array.from({ length: 2000 }, () => median(resample(a)) / median(resample(b)));
  return [percentile(ratios, 0.025), percentile(ratios, 0.975)];
}

function table(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
  log(line(header));
  log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) log(line(row));
}

// ---------------------------------------------------------------------------------------------
// the tracing SQL proxy: the Worker's NEON_LOCAL_ENDPOINT

interface Call {
  id: number;
  kind: Kind;
  pass: "seed" | "warm-up" | "held" | Mode;
  sentAt: number;
  /** When the full response body had arrived here (NaN until then). */
  respondedAt: number;
  ms: number;
  status: number;
  /** CPU time of workerd (all threads) from sending to the response read, and from then until quiet; and of this process (client, proxy, gateway) while waiting for the response. */
  workerdMs: number;
  workerdAfterMs: number;
  benchMs: number;
}

interface SqlPayload {
  query?: string;
  params?: unknown[];
  queries?: { query: string; params?: unknown[] }[];
}

interface PlanNode {
  "Node Type": string;
  Operation?: string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Subplan Name"?: string;
  "Actual Total Time"?: number;
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  Plans?: PlanNode[];
}

interface Explained {
  signature: string;
  planningMs: number;
  executionMs: number;
  triggers: { name: string; relation: string; ms: number; calls: number }[];
  plan?: PlanNode;
  error?: string;
}

interface SqlRequest {
  call: Call | undefined;
  arrivedAt: number;
  forwardedAt: number;
  /** The gateway's answer fully received. */
  upstreamAt: number;
  /** Our answer to the Worker written out (NaN until then). */
  answeredAt: number;
  statements: number;
  signature: string;
  explained?: Explained[];
}

interface TracingProxy {
  port: number;
  url: string;
  requests: SqlRequest[];
  /** The call whose traffic arriving now belongs to it (the Worker serves one call at a time here). */
  current: Call | undefined;
  /** Held pass: hold each request until `releaseHeld()` (the response arrived) or `holdMs`. */
  holdMs: number;
  /** Deferred rounds: hold the requests this picks (background statements) until the response arrived. */
  defer: ((signature: string, call: Call) => boolean) | undefined;
  /** Deferred requests let through by the 2 s safety timeout instead of by the response. */
  deferTimeouts: number;
  /** Held pass: EXPLAIN ANALYZE each request (rolled back) before forwarding it. */
  explain: ((payload: SqlPayload, batchIsolation: string | undefined) => Promise<Explained[]>) | undefined;
  releaseHeld(): void;
  /** Resolves once no request is in flight and none has arrived or been answered for `quietMs`. */
  quiet(quietMs: number, timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** First statement, whitespace collapsed, cut to `n` characters; a batch says so. */
function signatureOf(payload: SqlPayload, n = 72): string {
  const queries = Array.isArray(payload.queries) ? payload.queries.map((q) => q.query) : [payload.query ?? ""];
  const first = (queries[0] ?? "").replace(/\s+/g, " ").trim();
  const cut = first.length > n ? `${first.slice(0, n)}…` : first;
  return queries.length > 1 ? `batch of ${queries.length}: ${cut}` : cut;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function startTracingProxy(gatewayPort: number): Promise<TracingProxy> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let inFlight = 0;
  let lastActivity = performance.now();
  const held = new Set<() => void>();
  const proxy = {
    requests: [] as SqlRequest[],
    current: undefined,
    holdMs: 0,
    explain: undefined,
    defer: undefined,
    deferTimeouts: 0,
  } as TracingProxy;
  const server: Server = createServer(async (req, res) => {
    const arrivedAt = performance.now();
    inFlight++;
    lastActivity = arrivedAt;
    const body = await readBody(req);
    const isSql = req.method === "POST" && Boolean(req.url?.startsWith("/sql"));
    let payload: SqlPayload = {};
    try {
      payload = JSON.parse(body.toString("utf8")) as SqlPayload;
    } catch {
      // forwarded as is; the gateway answers 400
    }
    const call = proxy.current;
    const traced: SqlRequest = {
      call,
      arrivedAt,
      forwardedAt: Number.NaN,
      upstreamAt: Number.NaN,
      answeredAt: Number.NaN,
      statements: Array.isArray(payload.queries) ? payload.queries.length : 1,
      signature: signatureOf(payload),
    };
    if (isSql) proxy.requests.push(traced);
    // Held pass: a request the response does not wait for is still held when the response comes.
    // Deferred rounds: background statements wait for the response (2 s at most).
    const pending = Boolean(call && !(call.respondedAt <= performance.now()));
    const deferred = Boolean(isSql && pending && call && proxy.defer?.(traced.signature, call));
    const holdMs = deferred ? 2000 : isSql && pending ? proxy.holdMs : 0;
    if (holdMs > 0) {
      const released = await new Promise<boolean>((ok) => {
        const done = (byResponse: boolean) => {
          clearTimeout(timer);
          held.delete(release);
          ok(byResponse);
        };
        const release = () => done(true);
        const timer = setTimeout(() => done(false), holdMs);
        held.add(release);
      });
      if (deferred && !released) proxy.deferTimeouts++;
    }
    if (isSql && proxy.explain) {
      const isolation = req.headers["neon-batch-isolation-level"];
      traced.explained = await proxy.explain(payload, typeof isolation === "string" ? isolation : undefined);
    }
    traced.forwardedAt = performance.now();
    const upstream = httpRequest(
      { host: "127.0.0.1", port: gatewayPort, method: req.method, path: req.url, headers: req.headers, agent },
      async (response) => {
        const answer = await readBody(response);
        traced.upstreamAt = performance.now();
        res.on("finish", () => {
          traced.answeredAt = performance.now();
          lastActivity = traced.answeredAt;
          inFlight--;
        });
        res.writeHead(response.statusCode ?? 502, response.headers);
        res.end(answer);
      },
    );
    upstream.on("error", (error) => {
      inFlight--;
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: `tracing proxy: gateway unreachable: ${error.message}` }));
    });
    upstream.end(body);
  });
  server.keepAliveTimeout = 30_000;
  const port = await onFreePort(
    20000,
    (candidate) =>
      new Promise<number>((ok, fail) => {
        server.once("error", fail);
        server.listen(candidate, "127.0.0.1", () => {
          server.off("error", fail);
          ok(candidate);
        });
      }),
  );
  proxy.port = port;
  proxy.url = `http://127.0.0.1:${port}/sql`;
  proxy.releaseHeld = () => {
    for (const done of [...held]) done();
  };
  proxy.quiet = async (quietMs, timeoutMs = 5000) => {
    const started = performance.now();
    while (inFlight > 0 || performance.now() - lastActivity < quietMs) {
      if (performance.now() - started > timeoutMs) return false;
      await sleep(1);
    }
    return true;
  };
  proxy.close = () =>
    new Promise<void>((ok) => {
      agent.destroy();
      server.closeAllConnections();
      server.close(() => ok());
    });
  return proxy;
}

/** EXPLAIN (ANALYZE, BUFFERS) of each statement of a request, in one transaction that is rolled back. */
function explainer(client: pg.Client) {
  return async (payload: SqlPayload, isolation: string | undefined): Promise<Explained[]> => {
    const queries = Array.isArray(payload.queries)
      ? payload.queries
      : [{ query: payload.query ?? "", params: payload.params }];
    const level = isolation?.replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase();
    const out: Explained[] = [];
    await client.query(Array.isArray(payload.queries) && level ? `begin isolation level ${level}` : "begin");
    try {
      for (const q of queries) {
        const signature = signatureOf({ query: q.query });
        try {
          const { rows } = await client.query<{
            "QUERY PLAN": [
              {
                Plan: PlanNode;
                "Planning Time": number;
                "Execution Time": number;
                Triggers?: { "Trigger Name": string; Relation: string; Time: number; Calls: number }[];
              },
            ];
          }>(`explain (analyze, buffers, format json) ${q.query}`, q.params ?? []);
          const [result] = rows[0]?.["QUERY PLAN"] ?? [];
          if (!result) throw new Error("no plan");
          out.push({
            signature,
            planningMs: result["Planning Time"],
            executionMs: result["Execution Time"],
            triggers: (result.Triggers ?? []).map((t) => ({
              name: t["Trigger Name"],
              relation: t.Relation,
              ms: t.Time,
              calls: t.Calls,
            })),
            plan: result.Plan,
          });
        } catch (error) {
          out.push({
            signature,
            planningMs: Number.NaN,
            executionMs: Number.NaN,
            triggers: [],
            error: error instanceof Error ? error.message : String(error),
          });
          break; // the transaction is aborted
        }
      }
    } finally {
      await client.query("rollback");
    }
    return out;
  };
}

// ---------------------------------------------------------------------------------------------
// the Worker

interface WranglerConfig {
  vars?: Record<string, unknown>;
  kv_namespaces: { binding: string }[];
  queues: { producers?: { binding: string; queue: string }[]; consumers?: { queue: string }[] };
  ratelimits?: { name: string; simple: { limit: number; period: number } }[];
}

/** Miniflare options from wrangler.toml: its vars, KV namespaces, every queue producer (no consumers), rate limits raised. */
function wranglerOptions() {
  // Typed here with what is read: wrangler's own Config type does not resolve under this tsconfig.
  const config = unstable_readConfig({ config: "wrangler.toml" }, { hideWarnings: true }) as unknown as WranglerConfig;
  const vars = Object.fromEntries(
    Object.entries(config.vars ?? {}).map(([name, value]) => [
      name,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
  const queueProducers = Object.fromEntries(
    (config.queues.producers ?? []).map((p) => [p.binding, { queueName: p.queue }]),
  );
  const ratelimits = Object.fromEntries(
    (config.ratelimits ?? []).map((r) => [r.name, { simple: { limit: RAISED_LIMIT, period: r.simple.period } }]),
  );
  return {
    vars,
    kvNamespaces: config.kv_namespaces.map((k) => k.binding),
    queueProducers,
    ratelimits,
    consumers: (config.queues.consumers ?? []).map((c) => c.queue),
  };
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function send(
  worker: HostedWorker,
  path: string,
  token: string,
  body: unknown,
): Promise<Answer & { ms: number; respondedAt: number }> {
  const started = performance.now();
  const response = await worker.mf.dispatchFetch(`${ORIGIN}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const respondedAt = performance.now();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed, ms: respondedAt - started, respondedAt };
}

async function api<T>(worker: HostedWorker, path: string, token: string, body: unknown): Promise<T> {
  const r = await send(worker, path, token, body);
  if (r.status >= 300) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as T;
}

// ---------------------------------------------------------------------------------------------
// the calls

interface Bench {
  worker: HostedWorker;
  /** Miniflare's workerd process (undefined if not found): CPU per call. */
  workerdPid: number | undefined;
  proxy: TracingProxy;
  secretKey: string;
  promotionId: string;
  /** Emails signed up for the promotion so far (a repeat call picks one). */
  signedUp: string[];
  random: () => number;
  calls: Call[];
  problems: string[];
  counters: Record<Kind, number>;
}

function requestFor(b: Bench, kind: Kind): { path: string; body: unknown } {
  const n = b.counters[kind]++;
  if (kind === "floor") return { path: "/v1/api/bench-floor", body: {} };
  if (kind === "create")
    return { path: "/v1/api/referral/create", body: { user_id: `bench-user-${n}`, user_name: "Bench" } };
  const email =
    kind === "new" ? `new-${n}@bench.example.com` : (b.signedUp[Math.floor(b.random() * b.signedUp.length)] ?? "");
  return {
    path: "/v1/api/links",
    body: { email, promotion_id: b.promotionId, consent: true, name: "Bench" },
  };
}

function check(kind: Kind, r: Answer): string | undefined {
  const user = r.body.user as { created?: boolean } | undefined;
  const link = r.body.link as { created?: boolean } | undefined;
  const email = r.body.email as { status?: string } | undefined;
  if (kind === "floor") return r.status === 404 ? undefined : "floor";
  if (kind === "create") return r.status === 200 && typeof r.body.referral_code === "string" ? undefined : "create";
  if (kind === "new")
    return r.status === 201 && user?.created === true && link?.created === true && email?.status === "queued"
      ? undefined
      : "links (new)";
  return r.status === 200 && user?.created === false && link?.created === false ? undefined : "links (repeat)";
}

/** One call, then a wait until the Worker's SQL traffic (its `waitUntil` work included) is quiet. */
async function runCall(b: Bench, kind: Kind, pass: Call["pass"]): Promise<Call> {
  const { path, body } = requestFor(b, kind);
  const call: Call = {
    id: b.calls.length,
    kind,
    pass,
    sentAt: Number.NaN,
    respondedAt: Number.NaN,
    ms: Number.NaN,
    status: 0,
    workerdMs: Number.NaN,
    workerdAfterMs: Number.NaN,
    benchMs: Number.NaN,
  };
  b.calls.push(call);
  b.proxy.current = call;
  const workerd0 = threadCpuMs(b.workerdPid);
  const bench0 = threadCpuMs(process.pid);
  call.sentAt = performance.now();
  const r = await send(b.worker, path, b.secretKey, body);
  call.respondedAt = r.respondedAt;
  b.proxy.releaseHeld(); // resolves promises only: the held requests go on after this function yields
  const workerd1 = threadCpuMs(b.workerdPid);
  call.benchMs = threadCpuMs(process.pid) - bench0;
  call.workerdMs = workerd1 - workerd0;
  call.ms = r.ms;
  call.status = r.status;
  const wrong = check(kind, r);
  if (wrong && b.problems.length < 50) b.problems.push(`${wrong}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
  if (kind === "new" && !wrong) b.signedUp.push((body as { email: string }).email);
  if (!(await b.proxy.quiet(QUIET_MS))) b.problems.push(`call ${call.id} (${kind}): SQL traffic not quiet after 5 s`);
  call.workerdAfterMs = threadCpuMs(b.workerdPid) - workerd1;
  b.proxy.current = undefined;
  return call;
}

/** `rounds` rounds of one call per kind; the order rotates per round (0 a b c, a b c 0, b c 0 a, c 0 a b). */
async function runRounds(b: Bench, rounds: number, pass: Call["pass"] | "timed-both") {
  for (let round = 0; round < rounds; round++) {
    // Timed: the two modes alternate round by round, each seeing every rotation of the order.
    const mode: Call["pass"] = pass === "timed-both" ? (MODES[round % 2] as Mode) : pass;
    const rotation = pass === "timed-both" ? Math.floor(round / 2) : round;
    for (let k = 0; k < KINDS.length; k++) await runCall(b, KINDS[(rotation + k) % KINDS.length] as Kind, mode);
  }
}

// ---------------------------------------------------------------------------------------------
// reports

const isKeyLookup = (r: SqlRequest) => r.signature.includes('"api_keys"');

function sqlOf(b: Bench, call: Call) {
  return b.proxy.requests.filter((r) => r.call === call);
}

/**
 * Answered before the response arrived here. In the held pass that means the response waited for
 * it (a request the response does not need is still held when the response comes). Without the
 * hold it does not: a background request started as the handler returns often has its answer
 * before this process has read the response.
 */
const beforeResponse = (r: SqlRequest) => r.answeredAt <= (r.call?.respondedAt ?? Number.NaN);

type Path = "response" | "background";

/**
 * Timed-pass requests by path: by the statements the held pass measured on each path for that kind
 * (they never overlap here); API key lookups are response path; anything else falls back to
 * `beforeResponse` and is counted as unclassified.
 */
function classifier(trips: RoundTrips[]) {
  const sets = new Map(
    trips.map((t) => [
      t.kind,
      {
        response: new Set(t.signatures.filter((s) => s.path === "response").map((s) => s.signature)),
        background: new Set(t.signatures.filter((s) => s.path === "background").map((s) => s.signature)),
      },
    ]),
  );
  const unclassified = new Set<SqlRequest>();
  const classify = (kind: Kind, r: SqlRequest): Path => {
    const set = sets.get(kind);
    const inResponse = set?.response.has(r.signature) ?? false;
    const inBackground = set?.background.has(r.signature) ?? false;
    if (inResponse && !inBackground) return "response";
    if (inBackground && !inResponse) return "background";
    if (isKeyLookup(r)) return "response";
    unclassified.add(r);
    return beforeResponse(r) ? "response" : "background";
  };
  return { classify, unclassified: () => unclassified.size };
}

type Classify = (kind: Kind, r: SqlRequest) => Path;

function printLatency(b: Bench, classify: Classify, mode: Mode) {
  log(`\nLatency, ${MODE_LABEL[mode]}: time to the full response body, ${ITERATIONS} calls of each kind`);
  const rows: string[][] = [];
  for (const kind of KINDS) {
    const calls = b.calls.filter((c) => c.pass === mode && c.kind === kind);
    const times = calls.map((c) => c.ms);
    const sql = calls.map((c) =>
      sqlOf(b, c)
        .filter((r) => classify(kind, r) === "response")
        .reduce((sum, r) => sum + (r.upstreamAt - r.forwardedAt), 0),
    );
    const rest = calls.map((c, i) => c.ms - (sql[i] ?? 0));
    rows.push([
      LABEL[kind],
      String(calls.length),
      ms(median(times)),
      ms(percentile(times, 0.9)),
      ms(percentile(times, 0.99)),
      ms(mean(times)),
      ms(median(sql)),
      ms(median(rest)),
      ms(median(calls.map((c) => c.workerdMs))),
      ms(median(calls.map((c) => c.workerdAfterMs))),
      ms(median(calls.map((c) => c.benchMs))),
    ]);
  }
  table(
    [
      "call",
      "n",
      "p50",
      "p90",
      "p99",
      "mean",
      "SQL p50",
      "rest p50",
      "workerd CPU p50",
      "after response",
      "bench CPU p50",
    ],
    rows,
  );
  log(
    "SQL = time from the proxy forwarding the call's response-path requests to the gateway's answer (gateway, " +
      "PostgreSQL and back, a batch's BEGIN/COMMIT included); rest = everything else: the Worker (routing, auth, " +
      "validation, JSON), workerd, Miniflare's and the proxy's HTTP hops. Medians of each, so they need not add up.",
  );
  log(
    "workerd CPU: all of workerd's threads (the Worker, Miniflare's entry and loopback services) from sending the " +
      "call to reading its response; after response: from then until the SQL traffic was quiet (the waitUntil work); " +
      "bench CPU: this process (client, tracing proxy, gateway) while the call was out.",
  );
}

function printRatios(b: Bench, mode: Mode): { name: string; ratio: number; aim: number }[] {
  const times = (kind: Kind) => b.calls.filter((c) => c.pass === mode && c.kind === kind).map((c) => c.ms);
  const create = times("create");
  const floor = median(times("floor"));
  const results: { name: string; ratio: number; aim: number }[] = [];
  const rows: string[][] = [];
  for (const [kind, aim] of [
    ["new", MAX_RATIO_NEW],
    ["repeat", MAX_RATIO_REPEAT],
  ] as const) {
    const t = times(kind);
    const ratio = median(t) / median(create);
    const [lo, hi] = bootstrapRatio(t, create);
    results.push({ name: `${SHORT[kind]} / (a) create`, ratio, aim });
    rows.push([
      `${SHORT[kind]} / (a) create`,
      ratio.toFixed(3),
      `${lo.toFixed(3)}–${hi.toFixed(3)}`,
      (percentile(t, 0.99) / percentile(create, 0.99)).toFixed(3),
      ((median(t) - floor) / (median(create) - floor)).toFixed(3),
      `<= ${aim.toFixed(2)}`,
      ratio <= aim ? "PASS" : "FAIL",
    ]);
  }
  log("");
  table(
    ["ratio", "p50", "95% interval (p50)", "p99 (info)", "p50 above the floor (info)", "aim (p50)", "result"],
    rows,
  );
  log(
    "p50 above the floor: (p50 - p50 of (0)) / (p50 of (a) - p50 of (0)), the handlers' own cost compared without " +
      "what every request pays here.",
  );
  return results;
}

interface RoundTrips {
  kind: Kind;
  calls: number;
  response: { requests: number; statements: number; keyLookups: number };
  background: { requests: number; statements: number };
  /** Response-path requests per call other than API key lookups: value -> calls. */
  own: Map<number, number>;
  signatures: { path: "response" | "background"; signature: string; n: number }[];
}

/** Held pass: exact split of each call's SQL into response path and background. */
function roundTrips(b: Bench): RoundTrips[] {
  return KINDS.map((kind) => {
    const calls = b.calls.filter((c) => c.pass === "held" && c.kind === kind);
    const out: RoundTrips = {
      kind,
      calls: calls.length,
      response: { requests: 0, statements: 0, keyLookups: 0 },
      background: { requests: 0, statements: 0 },
      own: new Map(),
      signatures: [],
    };
    const sigs = new Map<string, { path: "response" | "background"; signature: string; n: number }>();
    for (const call of calls) {
      let own = 0;
      for (const r of sqlOf(b, call)) {
        const path = beforeResponse(r) ? "response" : "background";
        const side = out[path];
        side.requests++;
        side.statements += r.statements;
        if (path === "response") {
          if (isKeyLookup(r)) out.response.keyLookups++;
          else own++;
        }
        const key = `${path}|${r.signature}`;
        const entry = sigs.get(key) ?? { path, signature: r.signature, n: 0 };
        entry.n++;
        sigs.set(key, entry);
      }
      out.own.set(own, (out.own.get(own) ?? 0) + 1);
    }
    out.signatures = [...sigs.values()].sort((x, y) =>
      x.path === y.path ? y.n - x.n : x.path === "response" ? -1 : 1,
    );
    return out;
  });
}

function printRoundTrips(b: Bench, trips: RoundTrips[], classify: Classify) {
  log(
    `\nPostgres round trips per call (HTTP requests to /sql; a batch is one request of several statements), ` +
      `held pass: ${HELD} calls of each kind, every SQL request held until the call's response arrived or ${HOLD_MS} ms passed`,
  );
  const per = (n: number, calls: number) => (calls ? (n / calls).toFixed(2) : "n/a");
  const distribution = (m: Map<number, number>) =>
    [...m.entries()]
      .sort((x, y) => x[0] - y[0])
      .map(([value, n]) => `${value} x${n}`)
      .join(", ");
  table(
    [
      "call",
      "response path: requests",
      "statements",
      "own requests per call (value x calls)",
      "key lookups",
      "background: requests",
      "statements",
    ],
    trips.map((t) => [
      LABEL[t.kind],
      per(t.response.requests, t.calls),
      per(t.response.statements, t.calls),
      distribution(t.own),
      String(t.response.keyLookups),
      per(t.background.requests, t.calls),
      per(t.background.statements, t.calls),
    ]),
  );
  for (const t of trips) {
    log(`  ${LABEL[t.kind]}:`);
    for (const s of t.signatures) log(`    ${s.path.padEnd(10)} ${String(s.n).padStart(4)} x ${s.signature}`);
  }
  // The timed pass: every request of a call counted (its background ends before the next call starts).
  log(
    `\nThe timed pass, every SQL request of each call (the quiet wait ends its background before the next call), ` +
      `${ITERATIONS} calls of each kind, split by the statements the held pass found on each path:`,
  );
  table(
    [
      "call",
      "requests per call",
      "statements",
      "response path",
      "background",
      "API key lookups",
      "answered before the response was read (no hold)",
    ],
    KINDS.map((kind) => {
      const calls = b.calls.filter((c) => c.pass === "as-is" && c.kind === kind);
      const reqs = calls.flatMap((c) => sqlOf(b, c));
      return [
        LABEL[kind],
        per(reqs.length, calls.length),
        per(
          reqs.reduce((sum, r) => sum + r.statements, 0),
          calls.length,
        ),
        per(reqs.filter((r) => classify(kind, r) === "response").length, calls.length),
        per(reqs.filter((r) => classify(kind, r) === "background").length, calls.length),
        String(reqs.filter(isKeyLookup).length),
        per(reqs.filter(beforeResponse).length, calls.length),
      ];
    }),
  );
  const heldLatency = KINDS.map(
    (kind) =>
      `${SHORT[kind]} ${ms(median(b.calls.filter((c) => c.pass === "held" && c.kind === kind).map((c) => c.ms)))}`,
  );
  log(
    `held pass p50 latency (each response-path request adds ~${HOLD_MS} ms; EXPLAIN runs before each request too): ` +
      `${heldLatency.join(", ")}`,
  );
}

/** The plan's CTEs and the nodes that touch a table, indented by depth, with inclusive actual times. */
function flatten(node: PlanNode, depth = 0, out: string[] = []): string[] {
  const relation = node["Relation Name"];
  const sub = node["Subplan Name"];
  if (depth === 0 || relation || sub?.startsWith("CTE")) {
    const what = `${sub ? `[${sub}] ` : ""}${node["Node Type"]}${relation ? ` on ${relation}` : ""}`;
    const index = node["Index Name"] ? ` using ${node["Index Name"]}` : "";
    const loops = (node["Actual Loops"] ?? 1) > 1 ? ` x${node["Actual Loops"]}` : "";
    out.push(`${"  ".repeat(depth)}${what}${index}: ${node["Actual Total Time"]?.toFixed(3) ?? "?"} ms${loops}`);
  }
  for (const child of node.Plans ?? []) flatten(child, depth + 1, out);
  return out;
}

/** Trigger time by the table written (foreign-key checks are RI_ConstraintTrigger_c_*). */
function triggerSummary(triggers: Explained["triggers"]): string {
  const byRelation = new Map<string, { ms: number; calls: number; other: string[] }>();
  for (const t of triggers) {
    const entry = byRelation.get(t.relation) ?? { ms: 0, calls: 0, other: [] };
    entry.ms += t.ms;
    entry.calls += t.calls;
    if (!t.name.startsWith("RI_ConstraintTrigger")) entry.other.push(t.name);
    byRelation.set(t.relation, entry);
  }
  return [...byRelation.entries()]
    .map(
      ([relation, e]) =>
        `${relation} ${e.ms.toFixed(3)} ms x${e.calls}${e.other.length ? ` (${e.other.join(", ")})` : ""}`,
    )
    .join(", ");
}

function printExplain(b: Bench) {
  log(
    `\nWhere PostgreSQL spends it: EXPLAIN (ANALYZE, BUFFERS) of each request's statements on the same data, ` +
      `just before the real one ran (in a transaction rolled back), held pass, medians:`,
  );
  const rows: string[][] = [];
  const samples = new Map<Kind, { n: number; sample: Explained[] }>();
  for (const kind of KINDS) {
    const calls = b.calls.filter((c) => c.pass === "held" && c.kind === kind);
    const groups = new Map<string, { path: string; explained: Explained[][] }>();
    for (const call of calls) {
      for (const r of sqlOf(b, call)) {
        if (!r.explained) continue;
        const path = beforeResponse(r) ? "response" : "background";
        const key = `${path}|${r.signature}`;
        const group = groups.get(key) ?? { path, explained: [] };
        group.explained.push(r.explained);
        groups.set(key, group);
      }
    }
    for (const [key, group] of groups) {
      const signature = key.slice(key.indexOf("|") + 1);
      const errors = group.explained.flat().filter((e) => e.error);
      const planning = group.explained.map((e) => e.reduce((s, x) => s + x.planningMs, 0));
      const execution = group.explained.map((e) => e.reduce((s, x) => s + x.executionMs, 0));
      const triggers = group.explained.map((e) => e.reduce((s, x) => s + x.triggers.reduce((t, y) => t + y.ms, 0), 0));
      rows.push([
        SHORT[kind],
        group.path,
        String(group.explained.length),
        ms(median(planning)),
        ms(median(execution)),
        ms(median(triggers)),
        `${signature.slice(0, 60)}${errors.length ? ` (${errors.length} errors: ${errors[0]?.error})` : ""}`,
      ]);
      // The sample: the median-execution one of the kind's most frequent response-path statement.
      if (group.path === "response" && group.explained.length > (samples.get(kind)?.n ?? 0)) {
        const byExecution = [...group.explained].sort(
          (x, y) => x.reduce((t, e) => t + e.executionMs, 0) - y.reduce((t, e) => t + e.executionMs, 0),
        );
        samples.set(kind, { n: group.explained.length, sample: byExecution[Math.floor(byExecution.length / 2)] ?? [] });
      }
    }
  }
  table(["call", "path", "n", "planning", "execution", "of which triggers", "statement"], rows);
  for (const kind of KINDS) {
    const sample = samples.get(kind)?.sample;
    if (!sample) continue;
    log(`  ${LABEL[kind]}, one sample's plan (inclusive actual times):`);
    for (const e of sample) {
      log(
        `    ${e.signature.slice(0, 60)}  planning ${ms(e.planningMs)}, execution ${ms(e.executionMs)}` +
          (e.triggers.length ? `; triggers (FK checks) by table written: ${triggerSummary(e.triggers)}` : ""),
      );
      if (e.plan) for (const line of flatten(e.plan)) log(`      ${line}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------

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
  const appspaceIds: string[] = [];
  register(async () => {
    if (!process.env.DATABASE_URL || process.env.BENCH_KEEP === "1" || !appspaceIds.length) return;
    log(`removing the bench appspace from DATABASE_URL`);
    await client.query("delete from appspaces where id = any($1::uuid[])", [appspaceIds]);
  });
  const { rows: version } = await client.query<{ v: string }>("select current_setting('server_version') as v");
  const proxy = await startTracingProxy(gateway.port);
  register(() => proxy.close());
  log(
    `database: PostgreSQL ${version[0]?.v} via scripts/gateway.ts on :${gateway.port}, behind this bench's ` +
      `tracing proxy on :${proxy.port} (the Worker's NEON_LOCAL_ENDPOINT)`,
  );

  const bundle = await bundleWorker("src/index.ts");
  teardown.addSync(() => bundle.remove());
  const wrangler = wranglerOptions();
  const errors: string[] = [];
  const before = new Set(childPids());
  const worker = await hostWorker(
    { scriptPath: bundle.path },
    {
      bindings: {
        ...wrangler.vars,
        ADMIN_TOKEN,
        IP_HASH_SECRET: "bench-ip-hash-secret-0123456789",
        DATABASE_URL: gateway.connectionString, // carries the gateway's password
        NEON_LOCAL_ENDPOINT: proxy.url,
      },
      kvNamespaces: wrangler.kvNamespaces,
      queueProducers: wrangler.queueProducers,
      ratelimits: wrangler.ratelimits,
    },
    {
      basePort: 28000,
      onError: (line) => {
        if (errors.push(line) <= 5) log(`  [worker] ${line.trim()}`);
      },
    },
  );
  register(() => worker.dispose());
  const workerdPid = childPids().find((pid) => !before.has(pid) && processName(pid) === "workerd");
  log(
    `Miniflare (workerd) on ${worker.origin}: src/index.ts bundled with esbuild (minified), wrangler.toml's ` +
      `${Object.keys(wrangler.vars).length} vars, KV ${wrangler.kvNamespaces.join(", ")}, queue producers ` +
      `${Object.entries(wrangler.queueProducers)
        .map(([binding, q]) => `${binding} -> ${q.queueName}`)
        .join(", ")}; no queue consumers (wrangler.toml's ${wrangler.consumers.length} are left out: ` +
      `messages are dropped, so no consumer work competes with the calls); ` +
      `rate limits ${Object.keys(wrangler.ratelimits).join(", ")} raised to ${RAISED_LIMIT.toLocaleString("en-US")} per period`,
  );

  // Seed through the HTTP API.
  const space = await api<{ id: string; secret_key: string }>(worker, "/v1/admin/appspaces", ADMIN_TOKEN, {
    name: `bench-links-${Date.now()}`,
    domains: [HOST],
  });
  appspaceIds.push(space.id);
  const promotion = await api<{ id: string }>(worker, "/v1/api/promotions", space.secret_key, {
    name: "Bench promotion",
    target_url: TARGET_URL,
  });
  const b: Bench = {
    worker,
    workerdPid,
    proxy,
    secretKey: space.secret_key,
    promotionId: promotion.id,
    signedUp: [],
    random: mulberry32(0x11bc),
    calls: [],
    problems: [],
    counters: { floor: 0, create: 0, new: 0, repeat: 0 },
  };
  for (let i = 0; i < 10; i++) await runCall(b, "new", "seed");
  log(
    `seeded through the HTTP API: appspace ${space.id} (domain ${HOST}), promotion ${promotion.id} ` +
      `(target ${TARGET_URL}), ${b.signedUp.length} users signed up; all three calls use the appspace's secret key`,
  );

  log(
    `\nwarm-up: ${WARMUP} rounds; timed: ${ITERATIONS} rounds. A round is one call of each kind, sequential, ` +
      `the order rotating per round (0 a b c, a b c 0, ...). After every call the bench waits until no SQL request ` +
      `is in flight and none has come for ${QUIET_MS} ms, so each call's waitUntil work is over before the next call.` +
      `\n(c) picks one of the emails already signed up (seeded random); each (b) adds one.`,
  );
  const firstMeasured = proxy.requests.length;
  await runRounds(b, WARMUP, "warm-up");

  // Held pass: exact response-path attribution, and EXPLAIN of each statement before it runs.
  proxy.holdMs = HOLD_MS;
  proxy.explain = explainer(client);
  await runRounds(b, HELD, "held");
  proxy.holdMs = 0;
  proxy.explain = undefined;
  const trips = roundTrips(b);
  const { classify, unclassified } = classifier(trips);

  // Timed: as-is and deferred rounds alternate.
  const background = new Map(
    trips.map((t) => [
      t.kind,
      new Set(
        t.signatures
          .filter(
            (x) =>
              x.path === "background" &&
              !t.signatures.some((y) => y.path === "response" && y.signature === x.signature),
          )
          .map((x) => x.signature),
      ),
    ]),
  );
  proxy.defer = (signature, call) => call.pass === "deferred" && (background.get(call.kind)?.has(signature) ?? false);
  const timedStarted = performance.now();
  await runRounds(b, 2 * ITERATIONS, "timed-both");
  proxy.defer = undefined;
  log(
    `timed: ${2 * ITERATIONS} rounds in ${((performance.now() - timedStarted) / 1000).toFixed(1)} s, ` +
      `alternating: ${MODES.map((m) => `${m} = ${MODE_LABEL[m]}`).join("; ")}`,
  );

  printLatency(b, classify, "as-is");
  const ratios = printRatios(b, "as-is");
  printLatency(b, classify, "deferred");
  const deferredRatios = printRatios(b, "deferred");
  printRoundTrips(b, trips, classify);
  printExplain(b);

  const strays = proxy.requests.slice(firstMeasured).filter((r) => !r.call).length;
  if (unclassified())
    log(`\n${unclassified()} timed-pass SQL requests had a statement the held pass did not see on one path only`);
  log(
    `\nSQL requests outside any call (after the quiet wait): ${strays}; deferred requests let go by the 2 s ` +
      `timeout: ${proxy.deferTimeouts}; worker error/warn lines: ${errors.length}; unexpected responses: ${b.problems.length}`,
  );
  for (const p of b.problems.slice(0, 5)) log(`  ${p}`);

  const problems: string[] = [];
  for (const r of ratios) if (!(r.ratio <= r.aim)) problems.push(`${r.name} = ${r.ratio.toFixed(3)} > ${r.aim}`);
  for (const t of trips) {
    if (t.kind === "create" || t.kind === "floor") continue;
    const off = [...t.own.entries()].filter(([value]) => value !== AIM_ROUND_TRIPS);
    if (off.length)
      problems.push(
        `${SHORT[t.kind]}: ${off.map(([value, n]) => `${n} calls with ${value}`).join(", ")} response-path round trips (aim ${AIM_ROUND_TRIPS})`,
      );
  }
  if (b.problems.length) problems.push(`${b.problems.length} unexpected responses`);
  if (errors.length) problems.push(`${errors.length} worker error lines`);
  if (strays) problems.push(`${strays} SQL requests outside a call`);
  if (proxy.deferTimeouts) problems.push(`${proxy.deferTimeouts} deferred requests the response waited for`);

  log(
    `\n${problems.length ? `FAIL (${problems.join("; ")})` : "PASS"}: aims: p50 (b) links new user / (a) create <= ` +
      `${MAX_RATIO_NEW} (${ratios[0]?.ratio.toFixed(3)}), (c) links repeat / (a) create <= ${MAX_RATIO_REPEAT} ` +
      `(${ratios[1]?.ratio.toFixed(3)}), background work as it comes (with background SQL deferred: ` +
      `${deferredRatios.map((r) => r.ratio.toFixed(3)).join(" and ")}, not checked), and ${AIM_ROUND_TRIPS} ` +
      `Postgres round trip per links call on the response path (API key lookups after the caller cache expires ` +
      `counted apart).`,
  );
  log(
    `reproduce: npm run bench:links   (total ${((performance.now() - started) / 1000).toFixed(0)} s; ` +
      `${machine}, ${loadavg()[0]?.toFixed(2)} at the end)`,
  );
  return problems.length ? 1 : 0;
}

await runBench(main, teardown);
