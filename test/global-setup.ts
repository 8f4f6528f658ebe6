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

export default async function setup(project: TestProject) {
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
