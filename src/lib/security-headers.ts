import type { secureHeaders } from "hono/secure-headers";

/** The strictest policy: for responses that bring none of their own (JSON, redirects, assets). */
export const DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * What the app's `secureHeaders` middleware (src/app.ts) is configured with. HTML pages set their
 * own Content-Security-Policy (hashes of their inline code), which `overwrite: false` keeps.
 */
export const SECURE_HEADERS_OPTIONS: Parameters<typeof secureHeaders>[0] = {
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  overwrite: false,
};

/**
 * The headers that middleware adds with these options, as constants for `GET /ref/:code`, which
 * answers outside Hono (src/routes/links/ref.ts: the middleware chain cost a fifth of the click's
 * CPU). Not derived at run time because that would be the per-request work this avoids;
 * test/headers.test.ts compares them with what the middleware sets on the API, so a change on
 * either side fails there.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": DEFAULT_CSP,
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "origin-agent-cluster": "?1",
  "referrer-policy": "no-referrer",
  "strict-transport-security": "max-age=15552000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-dns-prefetch-control": "off",
  "x-download-options": "noopen",
  "x-frame-options": "SAMEORIGIN",
  "x-permitted-cross-domain-policies": "none",
  "x-xss-protection": "0",
};

/**
 * The ones that still mean something on `/ref/:code`'s bodiless 302: HSTS (honoured on any HTTPS
 * response), Referrer-Policy (it decides the Referer of the redirected request: none, so the code
 * doesn't travel to the store or landing page), CORP (checked on each redirect of a no-cors load)
 * and nosniff. The others govern a rendered document or a download — CSP, X-Frame-Options, COOP,
 * Origin-Agent-Cluster, X-XSS-Protection, X-Download-Options, X-DNS-Prefetch-Control,
 * X-Permitted-Cross-Domain-Policies — and a redirect has neither: each header costs the click
 * ~3 µs of workerd time (bench/README.md, the ablation), and the click is the product's hottest
 * path. Every page the link domain renders carries them all.
 */
export const REDIRECT_HEADERS: Readonly<Record<string, string>> = Object.fromEntries(
  ["strict-transport-security", "referrer-policy", "cross-origin-resource-policy", "x-content-type-options"].map(
    (name) => [name, SECURITY_HEADERS[name] as string],
  ),
);
