import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import type { Config } from "../config";

export type Db = NeonHttpDatabase<Record<string, never>>;

let cached: { key: string; db: Db } | undefined;

/**
 * One Drizzle client per isolate over Neon's HTTP driver: no connection to hold, each query or
 * `db.batch` is one HTTPS round trip, and a batch is one transaction.
 */
export function getDb(config: Pick<Config, "databaseUrl" | "neonLocalEndpoint">): Db {
  const key = `${config.databaseUrl}|${config.neonLocalEndpoint ?? ""}`;
  if (cached?.key === key) return cached.db;
  const local = config.neonLocalEndpoint;
  if (local) {
    // Local development/tests only: send the driver's HTTP queries to scripts/gateway.ts.
    neonConfig.fetchEndpoint = () => local;
    // The driver leaves the content type to fetch, which says text/plain for a string body — a
    // type any web page may POST blind. The gateway only accepts application/json, so say so.
    neonConfig.fetchFunction = (url: string, init: RequestInit) => {
      const headers = new Headers(init.headers);
      headers.set("content-type", "application/json");
      return fetch(url, { ...init, headers });
    };
  }
  // READ COMMITTED for batches, stated rather than inherited: create relies on each statement
  // of its batch seeing rows committed before its advisory lock was granted.
  const client = neon(config.databaseUrl, { isolationLevel: "ReadCommitted" });
  const db = drizzle({ client, casing: "snake_case" });
  cached = { key, db };
  return db;
}
