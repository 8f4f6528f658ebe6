/**
 * `npm run dev`: the whole product on this machine with no cloud account.
 *  1. creates .dev.vars from .dev.vars.example when missing (fresh ADMIN_TOKEN / IP_HASH_SECRET
 *     and a fresh gateway password in DATABASE_URL), and gives an older .dev.vars whose
 *     DATABASE_URL still has the example's weak password a fresh one;
 *  2. checks that its three loopback ports are free (the gateway's, from NEON_LOCAL_ENDPOINT;
 *     PORT, default 8787; INSPECTOR_PORT, default 9230), else says in one line which one is
 *     taken, by what process when it can tell, and how to pick another, and exits 1;
 *  3. starts the Neon-protocol gateway (PGlite in .data/, or the PostgreSQL in $DATABASE_URL),
 *     which only answers requests carrying that password;
 *  4. runs `wrangler dev` on http://127.0.0.1:$PORT, offline;
 *  5. fires the cron (`* * * * *` in wrangler.toml) once a minute, as production does: wrangler dev
 *     never triggers it by itself, and the outbox sweep, delivery re-sends and retention need it.
 *
 * Stopping: SIGINT (Ctrl-C), SIGTERM or SIGHUP stop everything it started: wrangler runs in its
 * own process group (so its workerd and esbuild go with it; SIGKILL after 5 s) and the gateway
 * is closed. `npm run dev` does not pass SIGTERM on to this process (npm signals only the `sh`
 * running the script, which dies without relaying it) nor SIGHUP at all, so on Linux this script
 * also watches the processes that launched it (tsx, that `sh`, npm) and stops when one is gone.
 * When wrangler exits by itself, the gateway is closed and this exits with wrangler's code.
 * (A SIGINT to npm alone is held by that `sh` until the script ends.) Wrangler runs in a session
 * of its own, so a terminal hang-up reaches only this script, which passes it on; it still reads
 * the terminal for its keyboard shortcuts, in raw mode, where Ctrl-C is a key: wrangler shuts
 * down and this script follows.
 *
 * Environment: PORT, INSPECTOR_PORT; DATABASE_URL (a real PostgreSQL for the gateway);
 * DEV_VARS_PATH (another .dev.vars, created when missing and handed to wrangler as --env-file);
 * PGLITE_DIR (PGlite's data directory, relative to the project root, or memory://).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { constants } from "node:os";
import { basename, isAbsolute, relative, resolve } from "node:path";
import { type Gateway, passwordOf, randomGatewayPassword, startGateway } from "./gateway";

const root = resolve(import.meta.dirname, "..");
const devVarsPath = resolve(process.env.DEV_VARS_PATH || resolve(root, ".dev.vars"));
/** How messages name the vars file: `.dev.vars` unless DEV_VARS_PATH points elsewhere. */
const devVarsName = (() => {
  const path = relative(root, devVarsPath);
  return path.startsWith("..") || isAbsolute(path) ? devVarsPath : path;
})();
const pgliteDir = process.env.PGLITE_DIR?.startsWith("memory://")
  ? process.env.PGLITE_DIR
  : resolve(root, process.env.PGLITE_DIR || ".data/pglite");
const linux = process.platform === "linux";
/** Wrangler leads its own process group (not on Windows, which has none). */
const detached = process.platform !== "win32";
const STOP_GRACE_MS = 5_000;

// Output may be gone (a closed terminal: EIO); stopping must not die of it.
process.stdout.on("error", () => {});
process.stderr.on("error", () => {});
const say = (line: string) => console.log(line);
/** Failures: one line on stderr. */
const complain = (line: string) => console.error(line);

// ---------------------------------------------------------------------------------------------
// .dev.vars

function ensureDevVars(): string {
  if (!existsSync(devVarsPath)) {
    const example = readFileSync(resolve(root, ".dev.vars.example"), "utf8");
    const secret = () => randomBytes(24).toString("base64url");
    writeFileSync(
      devVarsPath,
      example
        .replace(/^ADMIN_TOKEN=.*$/m, `ADMIN_TOKEN=${secret()}`)
        .replace(/^IP_HASH_SECRET=.*$/m, `IP_HASH_SECRET=${secret()}`),
      { mode: 0o600 },
    );
    say(`dev: created ${devVarsName} with a fresh ADMIN_TOKEN (read it there for the admin API)`);
  }
  return ensureGatewayPassword(readFileSync(devVarsPath, "utf8"));
}

/** Passwords that are not a secret: the example's, and the one older checkouts were given. */
const WEAK_PASSWORDS = new Set(["local", "replace-me-with-a-long-random-password"]);

/**
 * The gateway runs any SQL for whoever knows this password, so it must be this checkout's own:
 * a missing, short or well-known one is replaced (in .dev.vars) by a fresh random one.
 */
function ensureGatewayPassword(devVars: string): string {
  const line = devVars.match(/^DATABASE_URL=(.*)$/m)?.[1]?.trim();
  if (!line) throw new Error(`${devVarsName} has no DATABASE_URL (see .dev.vars.example)`);
  const current = passwordOf(line);
  if (current && current.length >= 16 && !WEAK_PASSWORDS.has(current)) return devVars;
  const url = new URL(line);
  url.username ||= "local";
  url.password = randomGatewayPassword();
  const upgraded = devVars.replace(/^DATABASE_URL=.*$/m, `DATABASE_URL=${url.href}`);
  writeFileSync(devVarsPath, upgraded, { mode: 0o600 });
  say(`dev: gave ${devVarsName}'s DATABASE_URL a fresh password (the local gateway requires it)`);
  return upgraded;
}

function gatewayPassword(devVars: string): string {
  const password = passwordOf(devVars.match(/^DATABASE_URL=(.*)$/m)?.[1]?.trim());
  if (!password) throw new Error(`${devVarsName}'s DATABASE_URL has no password`);
  return password;
}

function gatewayPort(devVars: string): number {
  const endpoint = devVars.match(/^NEON_LOCAL_ENDPOINT=(.*)$/m)?.[1]?.trim();
  if (!endpoint) throw new Error(`${devVarsName} has no NEON_LOCAL_ENDPOINT (see .dev.vars.example)`);
  let port = "";
  try {
    port = new URL(endpoint).port;
  } catch {
    // reported below
  }
  return portNumber(port, `NEON_LOCAL_ENDPOINT's port in ${devVarsName}`);
}

function portNumber(value: string | undefined, name: string): number {
  const port = Number(value);
  if (!value || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a port number (1-65535), not "${value ?? ""}"`);
  }
  return port;
}

// ---------------------------------------------------------------------------------------------
// Processes, from /proc (Linux; everything here is best effort and quietly gives up elsewhere)

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  /** Start time (clock ticks since boot): tells a reused pid apart. */
  start: string;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
    // cutime cstime priority nice num_threads itrealvalue starttime ..."; comm may hold spaces.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return {
      pid,
      state: fields[0] ?? "",
      ppid: Number(fields[1]),
      pgid: Number(fields[2]),
      start: fields[19] ?? "",
    };
  } catch {
    return undefined;
  }
}

const gone = (stat: ProcStat | undefined) => !stat || stat.state === "Z" || stat.state === "X";

function readdir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

const pids = () => readdir("/proc").filter((entry) => /^\d+$/.test(entry));

function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** A command line, short: programs and scripts by their file name, at most ~60 characters. */
function shortCommand(pid: number): string {
  const text = commandLine(pid)
    .map((arg) => (arg.startsWith("/") && !arg.includes(" ") ? basename(arg) : arg))
    .join(" ");
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** What launches this script (`npm run dev` → `sh -c …` → tsx → node), by command line. */
function launcherKind(pid: number): "runner" | "wrapper" | undefined {
  const words = commandLine(pid).join(" ").split(/\s+/);
  const names = words.slice(0, 2).map((word) => basename(word));
  if (names.some((name) => /^(npm|npx|pnpm|yarn|bun)(-cli)?(\.c?js)?$/.test(name))) return "runner";
  if (names.includes("tsx")) return "wrapper";
  if (/^(sh|dash|bash|zsh)$/.test(names[0] ?? "") && words[1] === "-c" && /dev\.ts/.test(words.join(" "))) {
    return "wrapper";
  }
  return undefined;
}

/** The outermost process of a dev session (`npm run dev`, `npx wrangler dev`, …) that `pid` is part of. */
function sessionOf(pid: number): number | undefined {
  let outermost: number | undefined;
  let current = pid;
  for (let depth = 0; depth < 10 && current > 1; depth++) {
    if (!/\b(npm|npx|pnpm|yarn|bun|tsx|wrangler|workerd)\b|dev\.ts/.test(commandLine(current).join(" "))) break;
    outermost = current;
    const stat = procStat(current);
    if (!stat) break;
    current = stat.ppid;
  }
  return outermost;
}

/** The process listening on 127.0.0.1:`port` (or on all addresses), from the socket's inode. */
function listenerOf(port: number): number | undefined {
  if (!linux) return undefined;
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
      if (state !== "0A" || !local || !inode || inode === "0") continue; // 0A: LISTEN
      if (Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port) inodes.add(inode);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of pids()) {
    for (const fd of readdir(`/proc/${pid}/fd`)) {
      let target = "";
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return Number(pid);
    }
  }
  return undefined;
}

/** ` by workerd (pid 12) of "npm run dev" (pid 9)`, ` by python3 (pid 7, "python3 -m http.server")`, or "". */
function holderOf(port: number): string {
  try {
    const pid = listenerOf(port);
    if (pid === undefined) return "";
    const name = readFileSync(`/proc/${pid}/comm`, "utf8").trim() || "a process";
    const session = sessionOf(pid);
    if (session !== undefined && session !== pid)
      return ` by ${name} (pid ${pid}) of "${shortCommand(session)}" (pid ${session})`;
    const command = shortCommand(pid);
    return command ? ` by ${name} (pid ${pid}, "${command}")` : ` by ${name} (pid ${pid})`;
  } catch {
    return "";
  }
}

// ---------------------------------------------------------------------------------------------
// Ports

interface PortUse {
  port: number;
  what: string;
  /** How to use `free` instead. */
  instead: (free: number) => string;
}

/** Listens on 127.0.0.1:`port` for a moment: undefined when free, else the error (EADDRINUSE, …). */
function probe(port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((done) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => done(error));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => done(undefined)));
  });
}

async function freePortNear(port: number, taken: number[]): Promise<number> {
  for (let candidate = port + 1; candidate < Math.min(port + 50, 65536); candidate++) {
    if (!taken.includes(candidate) && !(await probe(candidate))) return candidate;
  }
  return port + 1;
}

const isAddressInUse = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code === "EADDRINUSE";

/** The one line that says a port is taken, by what if it can tell, and what to do. */
async function portLine(use: PortUse, error: NodeJS.ErrnoException, all: PortUse[]): Promise<string> {
  const free = await freePortNear(
    use.port,
    all.map((other) => other.port),
  );
  if (!isAddressInUse(error)) {
    return `dev: cannot listen on 127.0.0.1:${use.port} (${use.what}): ${error.code ?? error.message}; pick another: ${use.instead(free)}`;
  }
  return `dev: port ${use.port} (${use.what}) is in use${holderOf(use.port)}; stop it, or pick another: ${use.instead(free)}`;
}

/** The first of `uses` that cannot be listened on, with its line. */
async function firstBusy(uses: PortUse[], all: PortUse[]): Promise<string | undefined> {
  for (const use of uses) {
    const error = await probe(use.port);
    if (error) return portLine(use, error, all);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Running and stopping

let stopping = false;
let wrangler: ChildProcess | undefined;
let gatewayStart: Promise<Gateway> | undefined;
let cron: NodeJS.Timeout | undefined;
let watchdog: NodeJS.Timeout | undefined;

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

function wranglerAlive(): boolean {
  const child = wrangler;
  if (!child?.pid) return false;
  if (!detached) return child.exitCode === null && child.signalCode === null;
  try {
    process.kill(-child.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  // A process group also "exists" while only zombies are left in it (reaped by whoever adopted them).
  const pgid = child.pid;
  return (
    !linux ||
    pids().some((pid) => {
      const stat = procStat(Number(pid));
      return stat?.pgid === pgid && !gone(stat);
    })
  );
}

function signalWrangler(signal: NodeJS.Signals) {
  const child = wrangler;
  if (!child?.pid) return;
  try {
    if (detached) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
}

/** SIGTERM to wrangler's whole process group (workerd, esbuild); SIGKILL if it outlives the grace. */
async function stopWrangler() {
  if (!wranglerAlive()) return;
  signalWrangler("SIGTERM");
  if (await until(() => !wranglerAlive(), STOP_GRACE_MS)) return;
  say(`dev: wrangler still running after ${STOP_GRACE_MS / 1000} s; killing it`);
  signalWrangler("SIGKILL");
  await until(() => !wranglerAlive(), 2_000);
}

async function closeGateway() {
  if (!gatewayStart) return;
  // Still starting (PGlite opening, migrations): let it finish, then close it cleanly.
  const gateway = await Promise.race([gatewayStart.catch(() => undefined), sleep(20_000).then(() => undefined)]);
  if (gateway) await Promise.race([gateway.close().catch(() => {}), sleep(5_000)]);
}

/** Stops everything this started, then exits with `code`. */
async function stop(code: number, reason?: string) {
  if (stopping) return;
  stopping = true;
  clearInterval(cron);
  clearInterval(watchdog);
  if (reason && (wrangler || gatewayStart)) say(`dev: ${reason}; stopping wrangler and the gateway`);
  await Promise.all([stopWrangler(), closeGateway()]);
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stop(0, signal));
// Last resort (an uncaught error): never leave wrangler's process group behind.
process.on("exit", () => {
  if (wrangler?.pid && wrangler.exitCode === null) signalWrangler("SIGTERM");
});

/**
 * npm passes SIGTERM to the `sh` running the script (which dies without relaying it) and SIGHUP
 * to nobody: when a process that launched this one (tsx, that `sh`, npm) is gone, stop too.
 */
function watchLaunchers(): NodeJS.Timeout {
  const parent = process.ppid;
  const launchers: { stat: ProcStat; command: string }[] = [];
  if (linux) {
    let pid = parent;
    for (let depth = 0; depth < 5 && pid > 1; depth++) {
      const kind = launcherKind(pid);
      const stat = procStat(pid);
      if (!kind || !stat) break;
      launchers.push({ stat, command: shortCommand(pid) });
      if (kind === "runner") break;
      pid = stat.ppid;
    }
  }
  const timer = setInterval(() => {
    for (const { stat, command } of launchers) {
      const now = procStat(stat.pid);
      if (gone(now) || now?.start !== stat.start) {
        void stop(0, `"${command}" (pid ${stat.pid}) is gone`);
        return;
      }
    }
    if (process.ppid !== parent) void stop(0, `its parent (pid ${parent}) is gone`);
  }, 500);
  timer.unref();
  return timer;
}

async function main() {
  watchdog = watchLaunchers();
  const devVars = ensureDevVars();
  const gatewayUse: PortUse = {
    port: gatewayPort(devVars),
    what: `the database gateway, NEON_LOCAL_ENDPOINT in ${devVarsName}`,
    instead: (free) => `change NEON_LOCAL_ENDPOINT's port in ${devVarsName} (${free} is free)`,
  };
  const workerUse: PortUse = {
    port: portNumber(process.env.PORT || "8787", "PORT"),
    what: "PORT, the Worker",
    instead: (free) => `PORT=${free} npm run dev`,
  };
  const inspectorUse: PortUse = {
    port: portNumber(process.env.INSPECTOR_PORT || "9230", "INSPECTOR_PORT"),
    what: "INSPECTOR_PORT, the Worker's debugger",
    instead: (free) => `INSPECTOR_PORT=${free} npm run dev`,
  };
  const uses = [gatewayUse, workerUse, inspectorUse];
  const names = ["the gateway (NEON_LOCAL_ENDPOINT)", "PORT", "INSPECTOR_PORT"];
  for (const [i, use] of uses.entries()) {
    const j = uses.findIndex((other) => other.port === use.port);
    if (j !== i) throw new Error(`${names[j]} and ${names[i]} are both port ${use.port}; give them different ports`);
  }

  const busy = await firstBusy(uses, uses);
  if (busy) {
    complain(busy);
    return stop(1);
  }
  if (stopping) return;

  gatewayStart = startGateway({
    port: gatewayUse.port,
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir: pgliteDir,
    migrationsFolder: resolve(root, "drizzle"),
    password: gatewayPassword(devVars),
    log: (line) => say(`dev: ${line}`),
  });
  try {
    await gatewayStart;
  } catch (error) {
    gatewayStart = undefined;
    if (!isAddressInUse(error)) throw error;
    // Taken since the check above.
    complain(await portLine(gatewayUse, error as NodeJS.ErrnoException, uses));
    return stop(1);
  }
  if (stopping) return;

  const child = spawn(
    process.execPath,
    [
      resolve(root, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      "--local",
      "--ip",
      "127.0.0.1",
      "--port",
      String(workerUse.port),
      "--inspector-port",
      String(inspectorUse.port),
      // Exposes GET /__scheduled, which runs the scheduled handler (the cron below, or by hand).
      "--test-scheduled",
      // Otherwise wrangler reads the project's .dev.vars itself.
      ...(process.env.DEV_VARS_PATH ? ["--env-file", devVarsPath] : []),
    ],
    {
      cwd: root,
      // Its own process group (in a session of its own: no controlling terminal, so no SIGTTIN for
      // reading it), so that stopping the group stops its workerd and esbuild too.
      detached,
      stdio: "inherit",
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
    },
  );
  wrangler = child;
  child.on("error", (error) => {
    complain(`dev: could not start wrangler: ${error.message}`);
    void stop(1);
  });
  child.on("exit", (code, signal) => {
    if (stopping) return;
    const status = code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1);
    if (status === 0) {
      void stop(0);
      return;
    }
    // Its error is above; if a port was taken since the check, say which in the same words.
    void (async () => {
      await stopWrangler();
      const line = await firstBusy([workerUse, inspectorUse], uses);
      if (line) complain(line);
      await stop(status);
    })();
  });

  // The cron, every minute. A miss (the server still starting, a reload) is simply the next minute's.
  cron = setInterval(() => {
    fetch(`http://127.0.0.1:${workerUse.port}/__scheduled?cron=*+*+*+*+*`).then(
      (res) => res.body?.cancel(),
      () => {},
    );
  }, 60_000);
}

main().catch((error: unknown) => {
  complain(`dev: ${error instanceof Error ? error.message : String(error)}`);
  void stop(1);
});
