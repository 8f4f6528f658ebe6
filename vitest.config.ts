import { existsSync } from "node:fs";
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
 * Three projects, all run by `npm test`:
 * - "workers": everything under test/ except test/browser and test/node, inside workerd (vitest-pool-workers).
 * - "node": test/node, in Node: the local tools themselves (the database gateway).
 * - "browser": test/browser, in Node: a real headless Chromium loads pages from the Worker, which
 *   those tests host themselves with Miniflare (see test/browser/support.ts).
 */
export default defineConfig({
  test: {
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
