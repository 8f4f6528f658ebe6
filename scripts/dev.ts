/**
 * `npm run dev`: the whole product on this machine with no cloud account.
 *  1. creates .dev.vars from .dev.vars.example when missing (fresh ADMIN_TOKEN / IP_HASH_SECRET
 *     and a fresh gateway password in DATABASE_URL), and gives an older .dev.vars whose
 *     DATABASE_URL still has the example's weak password a fresh one;
 *  2. starts the Neon-protocol gateway (PGlite in .data/, or the PostgreSQL in $DATABASE_URL),
 *     which only answers requests carrying that password;
 *  3. runs `wrangler dev` on http://127.0.0.1:8787, offline;
 *  4. fires the cron (`* * * * *` in wrangler.toml) once a minute, as production does: wrangler dev
 *     never triggers it by itself, and the outbox sweep, delivery re-sends and retention need it.
 * Ctrl-C stops everything it started.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { passwordOf, randomGatewayPassword, startGateway } from "./gateway";

const root = resolve(import.meta.dirname, "..");
const devVarsPath = resolve(root, ".dev.vars");
const PORT = Number(process.env.PORT ?? 8787);
const INSPECTOR_PORT = Number(process.env.INSPECTOR_PORT ?? 9230);

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
    console.log("dev: created .dev.vars with a fresh ADMIN_TOKEN (read it there for the admin API)");
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
  if (!line) throw new Error(".dev.vars has no DATABASE_URL (see .dev.vars.example)");
  const current = passwordOf(line);
  if (current && current.length >= 16 && !WEAK_PASSWORDS.has(current)) return devVars;
  const url = new URL(line);
  url.username ||= "local";
  url.password = randomGatewayPassword();
  const upgraded = devVars.replace(/^DATABASE_URL=.*$/m, `DATABASE_URL=${url.href}`);
  writeFileSync(devVarsPath, upgraded, { mode: 0o600 });
  console.log("dev: gave .dev.vars's DATABASE_URL a fresh password (the local gateway requires it)");
  return upgraded;
}

function gatewayPassword(devVars: string): string {
  const password = passwordOf(devVars.match(/^DATABASE_URL=(.*)$/m)?.[1]?.trim());
  if (!password) throw new Error(".dev.vars's DATABASE_URL has no password");
  return password;
}

function gatewayPort(devVars: string): number {
  const endpoint = devVars.match(/^NEON_LOCAL_ENDPOINT=(.*)$/m)?.[1]?.trim();
  if (!endpoint) throw new Error(".dev.vars has no NEON_LOCAL_ENDPOINT (see .dev.vars.example)");
  return Number(new URL(endpoint).port);
}

const devVars = ensureDevVars();
const gateway = await startGateway({
  port: gatewayPort(devVars),
  databaseUrl: process.env.DATABASE_URL || undefined,
  dataDir: resolve(root, ".data/pglite"),
  migrationsFolder: resolve(root, "drizzle"),
  password: gatewayPassword(devVars),
  log: (line) => console.log(`dev: ${line}`),
});

const wrangler = spawn(
  process.execPath,
  [
    resolve(root, "node_modules/wrangler/bin/wrangler.js"),
    "dev",
    "--local",
    "--ip",
    "127.0.0.1",
    "--port",
    String(PORT),
    "--inspector-port",
    String(INSPECTOR_PORT),
    // Exposes GET /__scheduled, which runs the scheduled handler (the cron below, or by hand).
    "--test-scheduled",
  ],
  {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  },
);

// The cron, every minute. A miss (the server still starting, a reload) is simply the next minute's.
const cron = setInterval(() => {
  fetch(`http://127.0.0.1:${PORT}/__scheduled?cron=*+*+*+*+*`).then(
    (res) => res.body?.cancel(),
    () => {},
  );
}, 60_000);

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  clearInterval(cron);
  if (wrangler.exitCode === null) wrangler.kill("SIGINT");
  await gateway.close().catch(() => {});
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
wrangler.on("exit", (code) => void stop(code ?? 0));
