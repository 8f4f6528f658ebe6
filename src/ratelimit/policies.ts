/**
 * Every rate limit the Worker applies, with the numbers its Rate Limiting binding is configured
 * with in wrangler.toml ([[ratelimits]]; keep the two in step: the headers quote these figures).
 * Cloudflare's binding allows periods of 10 or 60 s only.
 *
 * Offices, campuses and carrier NAT put many people behind one IP, so the per-IP limits on
 * link traffic are generous; crawlers, HEAD and `/continue` get budgets of their own so a flood of
 * them can't use up real visitors' clicks.
 */
export interface RateLimitPolicy {
  /** Named in the RateLimit-Policy header. */
  name: string;
  binding: RateLimitBindingName;
  limit: number;
  periodSeconds: 10 | 60;
  /** Says what the limit counts, in the 429 message. */
  per: string;
}

export type RateLimitBindingName =
  | "CLICK_LIMITER"
  | "CRAWLER_LIMITER"
  | "CONTINUE_LIMITER"
  | "PUBLIC_LIMITER"
  | "API_LIMITER"
  | "AUTH_FAIL_LIMITER";

export const POLICIES = {
  /** GET /ref/:code by people (counted clicks). */
  clicks: { name: "clicks", binding: "CLICK_LIMITER", limit: 300, periodSeconds: 60, per: "IP address" },
  /** Link-preview crawlers and HEAD on /ref/:code. */
  crawlers: { name: "crawlers", binding: "CRAWLER_LIMITER", limit: 120, periodSeconds: 60, per: "IP address" },
  /** /ref/:code/continue: each one writes a deferred-link record. */
  continue: { name: "continue", binding: "CONTINUE_LIMITER", limit: 60, periodSeconds: 60, per: "IP address" },
  /** Other anonymous routes: /.well-known files, /health, /docs, /openapi.json. */
  public: { name: "public", binding: "PUBLIC_LIMITER", limit: 300, periodSeconds: 60, per: "IP address" },
  /** Authenticated API calls (/v1/api/*, /api/deferred/*, /v1/admin/*) with a secret key or the admin token. */
  api: { name: "api", binding: "API_LIMITER", limit: 1200, periodSeconds: 60, per: "API key" },
  /**
   * The same with a publishable key, per key AND client IP: a publishable key ships inside every
   * copy of the app, so anyone can hold it; counted per key alone, one holder could spend the whole
   * app's budget and turn away every install's first-launch claim. Same binding and figure as `api`
   * (a distinct name, so distinct counters).
   */
  publishableApi: {
    name: "api-publishable",
    binding: "API_LIMITER",
    limit: 1200,
    periodSeconds: 60,
    per: "publishable key and IP address",
  },
  /** Failed authentications (a wrong or revoked key or admin token). */
  authFailures: {
    name: "auth-failures",
    binding: "AUTH_FAIL_LIMITER",
    limit: 20,
    periodSeconds: 60,
    per: "IP address",
  },
} as const satisfies Record<string, RateLimitPolicy>;
