import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      main: "./src/index.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        cf: false,
        // Test secrets: fixed, non-production values. `.dev.vars` is not read here.
        bindings: {
          ADMIN_TOKEN: "test-admin-token-0123456789",
          IP_HASH_SECRET: "test-ip-hash-secret-0123456789",
          DATABASE_URL: "postgres://test:test@127.0.0.1:5432/edgeref",
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
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
