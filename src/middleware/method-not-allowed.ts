import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { errorJson } from "../lib/error-response";
import type { AppEnv } from "../types";

interface PathMethods {
  pattern: RegExp;
  isStatic: boolean;
  methods: Set<string>;
}

/**
 * 405 for a documented path asked with a method it doesn't have, with `Allow` — instead of a
 * misleading answer from another route (`GET /v1/api/referral/create` would otherwise be the
 * lookup of a code named "create": "Referral not found"). A static path wins over a parameter
 * path that also matches, as it does for clients reading the reference. Built from the OpenAPI
 * registry (call once every router is mounted), so it can't drift from the routes.
 */
export function methodNotAllowed(app: OpenAPIHono<AppEnv>): MiddlewareHandler<AppEnv> {
  const byPath = new Map<string, PathMethods>();
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== "route") continue;
    const { path, method } = definition.route;
    let entry = byPath.get(path);
    if (!entry) {
      const source = path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}/]+\}/g, "[^/]+");
      entry = { pattern: new RegExp(`^${source}/?$`), isStatic: !path.includes("{"), methods: new Set() };
      byPath.set(path, entry);
    }
    entry.methods.add(method.toUpperCase());
    if (method === "get") entry.methods.add("HEAD");
  }
  const paths = [...byPath.values()];
  return async (c, next) => {
    const matching = paths.filter((p) => p.pattern.test(c.req.path));
    const statics = matching.filter((p) => p.isStatic);
    const candidates = statics.length ? statics : matching;
    const allowed = new Set(candidates.flatMap((p) => [...p.methods]));
    if (allowed.size === 0 || allowed.has(c.req.method) || c.req.method === "OPTIONS") return next();
    const allow = [...allowed].sort().join(", ");
    return errorJson(c, 405, `Method ${c.req.method} not allowed on ${c.req.path}: use ${allow}`, {}, { allow });
  };
}
