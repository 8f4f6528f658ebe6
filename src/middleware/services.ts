import { createMiddleware } from "hono/factory";
import { loadConfig } from "../config";
import { getDb } from "../db/client";
import type { AppEnv } from "../types";

/** Parses config once and puts the database client on the context; handlers never build clients. */
export function services() {
  return createMiddleware<AppEnv>(async function services(c, next) {
    const config = loadConfig(c.env);
    c.set("config", config);
    c.set("db", getDb(config));
    await next();
  });
}
