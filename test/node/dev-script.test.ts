import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";

/**
 * `npm run dev` (scripts/dev.ts), run for real as a developer would: a busy port is one clear line
 * and exit 1; a signal to the npm process alone (what IDEs and process managers send) stops
 * wrangler, its workerd and the gateway, and frees every port.
 *
 * Every run gets its own ports, a .dev.vars in a temp directory (DEV_VARS_PATH: the repository's
 * own is neither read nor created) and an in-memory database (PGLITE_DIR=memory://).
 */
const root = resolve(import.meta.dirname, "../..");
const linux = process.platform === "linux";
const work = mkdtempSync(join(tmpdir(), "edgeref-dev-script-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Listens on 127.0.0.1:`port` for a moment: is it free? */
function isFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once("error", () => done(false));
    server.listen(port, "127.0.0.1", () => server.close(() => done(true)));
  });
}

/** Distinct free loopback ports below 32768 (Linux's ephemeral range starts there). */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (!ports.includes(port) && (await isFree(port))) ports.push(port);
  }
  return ports;
}

let runs = 0;
/** A .dev.vars like the one `npm run dev` makes, with the gateway on `gatewayPort`. */
function devVars(gatewayPort: number): string {
  const secret = () => `test-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}-0123456789`;
  const text = readFileSync(resolve(root, ".dev.vars.example"), "utf8")
    .replace(/^ADMIN_TOKEN=.*$/m, `ADMIN_TOKEN=${secret()}`)
    .replace(/^IP_HASH_SECRET=.*$/m, `IP_HASH_SECRET=${secret()}`)
    .replace(/^DATABASE_URL=.*$/m, `DATABASE_URL=postgres://local:${secret()}@127.0.0.1:${gatewayPort}/edgeref`)
    .replace(/^NEON_LOCAL_ENDPOINT=.*$/m, `NEON_LOCAL_ENDPOINT=http://127.0.0.1:${gatewayPort}/sql`);
  const path = join(work, `dev-vars-${++runs}`);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

interface Ports {
  gateway: number;
  worker: number;
  inspector: number;
}

type Env = Record<string, string | undefined>;

function devEnv(ports: Ports): Env {
  // DATABASE_URL left out: the gateway on PGlite, not on a PostgreSQL the suite may have.
  const { DATABASE_URL: _, ...env } = process.env;
  return {
    ...env,
    PORT: String(ports.worker),
    INSPECTOR_PORT: String(ports.inspector),
    DEV_VARS_PATH: devVars(ports.gateway),
    PGLITE_DIR: "memory://",
  };
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm run dev`, in its own process group (as a terminal or an IDE would start it). */
function npmRunDev(env: Env, silent = false): Run {
  const child = spawn("npm", ["run", ...(silent ? ["--silent"] : []), "dev"], {
    cwd: root,
    // (This tsconfig also types the Worker's bindings as process.env.)
    env: env as NodeJS.ProcessEnv,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  return { child, output: () => output, exited };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function within<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((done) => {
    timer = setTimeout(() => done("timeout"), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// --- processes, from /proc -------------------------------------------------------------------

interface Proc {
  pid: number;
  ppid: number;
  state: string;
  start: string;
  name: string;
}

function proc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pid, ppid: Number(fields[1]), state: fields[0] ?? "", start: fields[19] ?? "", name };
  } catch {
    return undefined;
  }
}

function descendants(of: number): Proc[] {
  const all = readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => proc(Number(entry)))
    .filter((p): p is Proc => p !== undefined);
  const found: Proc[] = [];
  const parents = new Set([of]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/** Still running: the same process (same start time), not a zombie. */
function alive(p: Proc): boolean {
  const now = proc(p.pid);
  return now !== undefined && now.start === p.start && now.state !== "Z" && now.state !== "X";
}

// Whatever a failed test leaves running is stopped: SIGTERM to npm's group (dev.ts then stops
// wrangler's), then SIGKILL to any process of the run still alive.
let leftovers: { run?: Run; procs: Proc[] } = { procs: [] };
afterEach(async () => {
  const { run, procs } = leftovers;
  leftovers = { procs: [] };
  const pid = run?.child.pid;
  if (!pid) return;
  const all = linux ? [...procs, ...descendants(pid)] : procs;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // gone
    }
  };
  if (run.child.exitCode === null || all.some(alive)) signalGroup("SIGTERM");
  const deadline = Date.now() + 10_000;
  while ((run.child.exitCode === null || all.some(alive)) && Date.now() < deadline) await sleep(200);
  for (const p of all) if (alive(p)) process.kill(p.pid, "SIGKILL");
  if (run.child.exitCode === null) signalGroup("SIGKILL");
}, 30_000);

describe("npm run dev: a port already in use", () => {
  const holders: Server[] = [];
  afterAll(() => {
    for (const server of holders) server.close();
  });

  it.each([
    ["worker", "PORT, the Worker", /pick another: PORT=(\d+) npm run dev$/],
    ["inspector", "INSPECTOR_PORT, the Worker's debugger", /pick another: INSPECTOR_PORT=(\d+) npm run dev$/],
    [
      "gateway",
      "the database gateway, NEON_LOCAL_ENDPOINT in",
      /change NEON_LOCAL_ENDPOINT's port in \S+ \((\d+) is free\)$/,
    ],
  ] as const)(
    "held %s port: one line naming it, its holder and another port; exit 1",
    async (which, what, hint) => {
      const [gateway, worker, inspector] = (await freePorts(3)) as [number, number, number];
      const ports: Ports = { gateway, worker, inspector };
      const held = ports[which];
      const holder = createServer();
      holders.push(holder);
      await new Promise<void>((done) => holder.listen(held, "127.0.0.1", () => done()));

      const started = Date.now();
      const run = npmRunDev(devEnv(ports), true);
      leftovers.run = run;
      const code = await within(run.exited, 20_000);
      expect(code, run.output()).toBe(1);
      expect(Date.now() - started).toBeLessThan(20_000);

      const lines = run.output().trim().split("\n");
      expect(lines, run.output()).toHaveLength(1);
      const line = lines[0] ?? "";
      expect(line).toContain(`dev: port ${held} (${what}`);
      expect(line).toContain("is in use");
      // This test's own process holds it: found through /proc/net/tcp and /proc/*/fd.
      if (linux) expect(line).toContain(`(pid ${process.pid}`);
      const other = Number(hint.exec(line)?.[1]);
      expect(line).toMatch(hint);
      expect(other).not.toBe(held);
      expect(Object.values(ports)).not.toContain(other);
      // Nothing was started: the other ports are still free.
      for (const [name, port] of Object.entries(ports)) if (name !== which) expect(await isFree(port)).toBe(true);
    },
    60_000,
  );
});

describe.skipIf(!linux)("npm run dev: a signal to the npm process alone stops everything it started", () => {
  it.each(["SIGTERM", "SIGHUP", "SIGINT"] as const)(
    "%s",
    async (signal) => {
      const [gateway, worker, inspector] = (await freePorts(3)) as [number, number, number];
      const run = npmRunDev(devEnv({ gateway, worker, inspector }));
      leftovers.run = run;
      const npmPid = run.child.pid ?? 0;
      expect(npmPid).toBeGreaterThan(0);

      // Up: /health is 200 only once the Worker reaches the gateway (through the temp .dev.vars).
      const deadline = Date.now() + 100_000;
      let status = 0;
      while (status !== 200) {
        if (run.child.exitCode !== null) throw new Error(`npm run dev exited early:\n${run.output()}`);
        if (Date.now() > deadline) throw new Error(`no 200 from /health in time (last ${status}):\n${run.output()}`);
        status = await fetch(`http://127.0.0.1:${worker}/health`, { signal: AbortSignal.timeout(3_000) }).then(
          (res) => res.body?.cancel().then(() => res.status) ?? res.status,
          () => 0,
        );
        if (status !== 200) await sleep(500);
      }

      const procs = descendants(npmPid);
      leftovers.procs = procs;
      const names = procs.map((p) => p.name);
      expect(names, names.join(", ")).toContain("workerd");

      process.kill(npmPid, signal);
      const stoppedBy = Date.now() + 15_000;
      expect(await within(run.exited, 15_000), run.output()).not.toBe("timeout");
      while (procs.some(alive) && Date.now() < stoppedBy) await sleep(200);
      const survivors = procs.filter(alive).map((p) => `${p.name} (pid ${p.pid})`);
      expect(survivors, run.output()).toEqual([]);
      for (const port of [gateway, worker, inspector]) expect(await isFree(port), `port ${port}`).toBe(true);
    },
    150_000,
  );
});
