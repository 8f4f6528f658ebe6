import { createMiddleware } from "hono/factory";
import type { RateLimitPolicy } from "../ratelimit/policies";
import { clientKey, rateLimitedJson, withinLimit } from "../services/rate-limiter";
import type { AppEnv } from "../types";

/** Per-IP limit for anonymous routes (IPv6 by /64). */
export function ipRateLimit(policy: RateLimitPolicy) {
  return createMiddleware<AppEnv>(async function ipRateLimit(c, next) {
    if (!(await withinLimit(c.env, policy, clientKey(c.req.header("cf-connecting-ip"))))) {
      return rateLimitedJson(c, policy);
    }
    await next();
  });
}
