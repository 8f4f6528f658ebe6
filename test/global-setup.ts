import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { type Gateway, randomGatewayPassword, startGateway } from "../scripts/gateway";
import { startReceiver } from "./support/node/receiver";

/**
 * Starts the Neon-protocol gateway for the whole run: in-memory PGlite by default, the real
 * PostgreSQL in DATABASE_URL when set (CI; the concurrency tests only mean something there).
 * The Worker under test reaches it through the NEON_LOCAL_ENDPOINT binding, with a DATABASE_URL
 * carrying this run's random gateway password (the gateway refuses any other).
 */
declare module "vitest" {
  export interface ProvidedContext {
    gatewayUrl: string;
    /** The Worker's DATABASE_URL: the gateway only answers connection strings with its password. */
    databaseUrl: string;
    databaseBackend: "pglite" | "postgres";
    receiverUrl: string;
  }
}

function candidatePorts(): number[] {
  // Loopback ports below 32768 (the ephemeral range is crowded on shared machines).
  const base = 20000 + (process.pid % 5000) * 2;
  return [base, base + 1, ...Array.from({ length: 8 }, () => 20000 + Math.floor(Math.random() * 10000))];
}

/**
 * workerd reports two things the suite provokes on purpose as if they were failures: every fetch
 * to a closed loopback port ("Network connection lost" — the "database away" and unreachable
 * provider tests; workerd prints it even when the code catches the rejection) and each test
 * runner's socket closing at the end of a file ("WebSocket peer disconnected"), each with workerd's
 * raw frame addresses. Those exact lines
 * are counted and left out of a run's output, so a green run is quiet and anything else workerd
 * says still shows. EDGEREF_TEST_VERBOSE=1 shows them all.
 */
const BENIGN_WORKERD_LINES = [
  /^uncaught exception; source = Uncaught \(in promise\); stack = Error: Network connection lost\.$/,
  /^uncaught exception; exception = workerd\/jsg\/.*disconnected: jsg\.Error: Network connection lost\.$/,
  /^exception = workerd\/api\/web-socket\.c\+\+:\d+: disconnected: WebSocket peer disconnected$/,
  /^exception = kj\/async-io-unix\.c\+\+:\d+: disconnected: connect\(\): Connection refused$/,
  // workerd's own frames (binary addresses) printed under those notices: nothing a reader can use.
  /^stack:( \S*workerd@[0-9a-f]+)+$/,
];

function quietBenignWorkerdLines(): () => number {
  if (process.env.EDGEREF_TEST_VERBOSE === "1") return () => 0;
  let hidden = 0;
  const restore: (() => void)[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) return write(chunk, ...rest);
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      const lines = text.split("\n");
      const kept = lines.filter((line) => {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes around the line
        const plain = line.replace(/\x1b\[[0-9;]*m/g, "").trim();
        const benign = BENIGN_WORKERD_LINES.some((pattern) => pattern.test(plain));
        if (benign) hidden++;
        return !benign;
      });
      if (kept.length === lines.length) return write(chunk, ...rest);
      const out = kept.join("\n");
      return out.trim() === "" ? true : write(out, ...rest);
    }) as typeof stream.write;
    restore.push(() => {
      stream.write = write as typeof stream.write;
    });
  }
  return () => {
    for (const undo of restore) undo();
    return hidden;
  };
}

export default async function setup(project: TestProject) {
  const stopQuieting = quietBenignWorkerdLines();
  let gateway: Gateway | undefined;
  let lastError: unknown;
  const password = randomGatewayPassword();
  for (const port of candidatePorts()) {
    try {
      gateway = await startGateway({
        port,
        databaseUrl: process.env.DATABASE_URL || undefined,
        migrationsFolder: resolve(import.meta.dirname, "../drizzle"),
        password,
      });
      break;
    } catch (error) {
      lastError = error;
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    }
  }
  if (!gateway) throw lastError;
  project.provide("gatewayUrl", gateway.url);
  project.provide("databaseUrl", gateway.connectionString);
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  for (const port of candidatePorts().slice(2)) {
    try {
      receiver = await startReceiver(port);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    }
  }
  if (!receiver) throw new Error("could not start the webhook receiver on a loopback port");
  project.provide("receiverUrl", receiver.url);
  project.provide("databaseBackend", gateway.backend);
  console.log(`[tests] database: ${gateway.backend} via gateway on port ${gateway.port}`);
  return async () => {
    await receiver?.close();
    await gateway?.close();
    const hidden = stopQuieting();
    if (hidden) {
      console.log(
        `[tests] ${hidden} workerd notices of closed loopback connections left out (the tests provoke them; EDGEREF_TEST_VERBOSE=1 shows them)`,
      );
    }
    // Said again at the end, where a reader of a green run looks (vitest.config.ts says it first).
    const chromium = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
    if (!existsSync(chromium) && process.env.CI !== "true") {
      console.warn(`[tests] browser project NOT run: no Chromium at ${chromium} (apt-get install chromium)`);
    }
    if (gateway?.backend === "pglite") {
      console.warn("[tests] database: PGlite — the concurrency tests prove nothing here; CI runs them on PostgreSQL");
    }
  };
}
