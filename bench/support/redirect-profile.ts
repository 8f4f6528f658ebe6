/**
 * Diagnostic for bench/redirect.ts: a CPU profile of the product's /ref/:code isolate under the
 * bench's load. Hosts src/index.ts (bundled unminified, so functions keep their names) in Miniflare
 * with workerd's inspector open, drives one click case with autocannon for a few seconds while
 * the V8 profiler samples, and prints the top functions by self time and by total time. Not a
 * pass/fail bench. Uses Node's WebSocket (behind a flag on Node 20):
 *
 *   NODE_OPTIONS=--experimental-websocket npx tsx bench/support/redirect-profile.ts [desktop|store]
 *   BENCH_SECONDS=8 NODE_OPTIONS=--experimental-websocket npx tsx bench/support/redirect-profile.ts store
 *
 * Self time of `(program)`/`(idle)`/`(garbage collector)` is workerd's own work outside
 * JavaScript (HTTP parsing, bindings' plumbing) and waiting.
 */
import { createCleanup, runBench } from "./cleanup";
import { CASES, measure, probe, seed, sharedOptions, startDatabase } from "./redirect-setup";
import { bundleWorker, hostWorker } from "./worker-host";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const INSPECTOR_PORT = Number(process.env.BENCH_INSPECTOR_PORT ?? 9329);
const log = (line: string) => console.log(line);
const cleanup = createCleanup();

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

type Socket = {
  send(data: string): void;
  close(): void;
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void;
};

function connect(url: string): Promise<{ call: (method: string, params?: object) => Promise<unknown>; close(): void }> {
  const WS = (globalThis as unknown as { WebSocket?: new (url: string) => Socket }).WebSocket;
  if (!WS) throw new Error("no WebSocket: run with NODE_OPTIONS=--experimental-websocket");
  const socket = new WS(url);
  let id = 0;
  const waiting = new Map<number, (value: unknown) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: unknown };
    if (message.id !== undefined)
      waiting.get(message.id)?.(message.error ? Promise.reject(message.error) : message.result);
  });
  return new Promise((ok, fail) => {
    socket.addEventListener("error", () => fail(new Error(`inspector: cannot connect to ${url}`)));
    socket.addEventListener("open", () =>
      ok({
        call: (method, params = {}) =>
          new Promise((resolve) => {
            const n = ++id;
            waiting.set(n, resolve);
            socket.send(JSON.stringify({ id: n, method, params }));
          }),
        close: () => socket.close(),
      }),
    );
  });
}

function report(profile: Profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const label = (n: ProfileNode) =>
    `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").pop() ?? ""}:${n.callFrame.lineNumber + 1}`;
  const selfBy = new Map<string, number>();
  const totalBy = new Map<string, number>();
  for (const [id, t] of self) {
    const node = byId.get(id);
    if (!node) continue;
    selfBy.set(label(node), (selfBy.get(label(node)) ?? 0) + t);
    // Inclusive time: each distinct function on the stack once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (!n) break;
      const l = label(n);
      if (seen.has(l)) continue;
      seen.add(l);
      totalBy.set(l, (totalBy.get(l) ?? 0) + t);
    }
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([l, t]) => `  ${((100 * t) / total).toFixed(1).padStart(5)}%  ${l}`)
      .join("\n");
  log(`\nself time (share of ${(total / 1e6).toFixed(1)} s sampled):\n${top(selfBy, 30)}`);
  log(`\ntotal time:\n${top(totalBy, 40)}`);
}

async function main(): Promise<number> {
  const which = process.argv[2] === "store" ? 1 : 0;
  const c = CASES[which];
  if (!c) throw new Error("no case");
  const { endpoint } = await startDatabase(cleanup);
  const bundle = await bundleWorker("src/index.ts", { minify: false });
  cleanup.addSync(() => bundle.remove());
  const worker = await hostWorker(
    { scriptPath: bundle.path },
    { ...sharedOptions(endpoint), inspectorPort: INSPECTOR_PORT },
    { basePort: 28000 },
  );
  cleanup.add(() => worker.dispose());
  const path = `/ref/${await seed(worker)}`;
  const first = await probe(worker.port, path, c.userAgent);
  if (first.status !== 302) throw new Error(`${c.name}: ${first.status}`);
  const target = { name: "product", worker };
  await measure(target, path, c.userAgent, { seconds: 2, connections: CONNECTIONS, settleMs: 500 });

  const list = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json()) as {
    webSocketDebuggerUrl: string;
    title?: string;
  }[];
  const entry = list.find((t) => !String(t.title ?? "").startsWith("core:")) ?? list[0];
  if (!entry) throw new Error("no inspector target");
  const inspector = await connect(entry.webSocketDebuggerUrl);
  await inspector.call("Profiler.enable");
  await inspector.call("Profiler.setSamplingInterval", { interval: 100 });
  await inspector.call("Profiler.start");
  const run = await measure(target, path, c.userAgent, { seconds: SECONDS, connections: CONNECTIONS, settleMs: 300 });
  const { profile } = (await inspector.call("Profiler.stop")) as { profile: Profile };
  inspector.close();
  log(`${c.name}: ${Math.round(run.rps)} req/s under the profiler (${entry.title ?? entry.webSocketDebuggerUrl})`);
  report(profile);
  return 0;
}

runBench(main, cleanup);
