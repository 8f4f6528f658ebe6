import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { configDefaults, defineConfig } from "vitest/config";

// The browser project needs Debian's Chromium. CI always installs it and always runs it; on a
// machine without it, `npm test` says so loudly and runs everything else.
const chromium = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const runBrowserTests = existsSync(chromium) || process.env.CI === "true";
if (!runBrowserTests) {
  console.warn(
    `\n[tests] browser project NOT run: no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)\n`,
  );
}

/**
 * Dependencies the workers project pre-bundles (Vite's SSR optimizer): each test file imports the
 * Worker afresh inside workerd, and evaluating one bundled file per package instead of hundreds of
 * small modules cut the suite's import time by about 40%. A package imported under several
 * subpaths must have every one of them pre-bundled, or two copies of it would load and
 * `instanceof` (hono's HTTPException) would fail across them — so hono's subpaths are read from
 * the imports themselves, not listed by hand.
 */
function prebundled(): string[] {
  const hono = new Set(["hono", "@hono/zod-openapi"]);
  for (const dir of ["src", "test"]) {
    for (const file of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".ts")) continue;
      const text = readFileSync(join(dir, file), "utf8");
      for (const m of text.matchAll(/^import (?!type )[^;]*? from "(hono\/[^"]+)"/gm)) if (m[1]) hono.add(m[1]);
    }
  }
  return [
    ...hono,
    "zod",
    "drizzle-orm",
    "@neondatabase/serverless",
    "ua-parser-js",
    "bowser",
    "isbot",
    "inapp-spy",
    "ipaddr.js",
    "standardwebhooks",
    "mustache",
    "resend",
    "postmark",
  ];
}

/**
 * Three projects, all run by `npm test`:
 * - "workers": everything under test/ except test/browser and test/node, inside workerd (vitest-pool-workers).
 * - "node": test/node, in Node: the local tools themselves (the database gateway).
 * - "browser": test/browser, in Node: a real headless Chromium loads pages from the Worker, which
 *   those tests host themselves with Miniflare (see test/browser/support.ts).
 */
export default defineConfig({
  test: {
    // The product's own log lines (retries, refusals the tests provoke) are shown for failing
    // tests only: a green run is quiet.
    silent: "passed-only",
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              cf: false,
              // The whole suite shares a few client IPs and the admin token: lift the limits it would
              // trip as a side effect. The limits themselves are tested with spies on these bindings
              // (test/trust/ratelimit.test.ts), and their figures against wrangler.toml
              // (test/node/wrangler-config.test.ts).
              ratelimits: Object.fromEntries(
                [
                  "CLICK_LIMITER",
                  "CRAWLER_LIMITER",
                  "CONTINUE_LIMITER",
                  "PUBLIC_LIMITER",
                  "API_LIMITER",
                  "AUTH_FAIL_LIMITER",
                ].map((name) => [name, { simple: { limit: 1_000_000, period: 60 } }]),
              ),
              // Test secrets: fixed, non-production values. `.dev.vars` is not read here.
              bindings: {
                ADMIN_TOKEN: "test-admin-token-0123456789",
                IP_HASH_SECRET: "test-ip-hash-secret-0123456789",
                // Carries this run's random gateway password (test/global-setup.ts).
                DATABASE_URL: inject("databaseUrl"),
                NEON_LOCAL_ENDPOINT: inject("gatewayUrl"),
                DATABASE_BACKEND: inject("databaseBackend"),
                RECEIVER_URL: inject("receiverUrl"),
                // Loopback receiver; short retry delays so one live retry runs through real local Queues.
                WEBHOOKS_ALLOW_PRIVATE: "true",
                WEBHOOK_RETRY_DELAYS: "1,1,1",
              },
            },
          })),
        ],
        test: {
          name: "workers",
          deps: { optimizer: { ssr: { enabled: true, include: prebundled() } } },
          exclude: [...configDefaults.exclude, "test/browser/**", "test/node/**"],
          globalSetup: ["./test/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Node-side tools the Worker relies on locally (the database gateway).
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      ...(runBrowserTests
        ? [
            {
              test: {
                name: "browser",
                environment: "node",
                include: ["test/browser/**/*.test.ts"],
                testTimeout: 30_000,
                hookTimeout: 60_000,
              },
            },
          ]
        : []),
    ],
  },
});
