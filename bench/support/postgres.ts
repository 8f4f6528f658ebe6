/**
 * The benchmarks' database: a throwaway PostgreSQL (scripts/pg-throwaway.sh) and the Neon-protocol
 * gateway in front of it, each started on a free loopback port and registered for cleanup.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Gateway, startGateway } from "../../scripts/gateway";
import { isAddressInUse, randomPort } from "./net";

type Register = (step: () => Promise<void> | void) => void;

export function startThrowawayPostgres(register: Register, log: (line: string) => void): string {
  const script = resolve("scripts/pg-throwaway.sh");
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), "edgeref-bench-pg-"));
    const port = randomPort(26000);
    try {
      const out = execFileSync(script, ["start", dir, String(port)], { encoding: "utf8" });
      const url = out.trim().split("\n").pop() ?? "";
      register(() => {
        log(`stopping throwaway PostgreSQL (${dir})`);
        execFileSync(script, ["stop", dir], { stdio: "inherit" });
      });
      log(`throwaway PostgreSQL on 127.0.0.1:${port} (${dir})`);
      return url;
    } catch (error) {
      lastError = error;
      execFileSync(script, ["stop", dir], { stdio: "ignore" });
      rmSync(dir, { recursive: true, force: true });
    }
  }
  throw new Error(`could not start a throwaway PostgreSQL: ${String(lastError)}`);
}

/** The gateway (which applies drizzle/) on a free loopback port. */
export async function startGatewayOnFreePort(
  databaseUrl: string | undefined,
  register: Register,
  log: (line: string) => void,
): Promise<Gateway> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 8; attempt++) {
    try {
      const gateway = await startGateway({
        port: randomPort(22000),
        databaseUrl,
        migrationsFolder: resolve("drizzle"),
        log,
      });
      register(() => gateway.close());
      return gateway;
    } catch (error) {
      lastError = error;
      if (!isAddressInUse(error)) throw error;
    }
  }
  throw lastError;
}
