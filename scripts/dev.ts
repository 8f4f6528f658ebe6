/**
 * `npm run dev`: the whole product on this machine with no cloud account.
 *  1. creates .dev.vars from .dev.vars.example when missing (fresh ADMIN_TOKEN / IP_HASH_SECRET);
 *  2. starts the Neon-protocol gateway (PGlite in .data/, or the PostgreSQL in $DATABASE_URL);
 *  3. runs `wrangler dev` on http://127.0.0.1:8787, offline.
 * Ctrl-C stops everything it started.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { startGateway } from "./gateway";

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
  return readFileSync(devVarsPath, "utf8");
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
  ],
  {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  },
);

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  if (wrangler.exitCode === null) wrangler.kill("SIGINT");
  await gateway.close().catch(() => {});
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
wrangler.on("exit", (code) => void stop(code ?? 0));
