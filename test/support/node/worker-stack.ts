/**
 * The product as `npm run dev` serves it, hosted from Node for tests that drive it over a real
 * socket (curl, a shell script): the Neon-protocol gateway (in-memory PGlite, or the PostgreSQL in
 * DATABASE_URL) and the Worker bundled from src/index.ts, run by Miniflare with wrangler.toml's
 * bindings — KV, rate limits, vars, and the queues *with their consumers*, so background work
 * happens as it does locally (the click consumer writes the deferred-link records, the email
 * consumer captures emails).
 * test/browser/support.ts hosts the Worker the same way, without the consumers.
 */
import { resolve } from "node:path";
import { onFreePort } from "../../../bench/support/net";
import { bundleWorker, type HostedWorker, hostWorker } from "../../../bench/support/worker-host";
import { type Gateway, startGateway } from "../../../scripts/gateway";
import { POLICIES } from "../../../src/ratelimit/policies";

const ROOT = resolve(import.meta.dirname, "../../..");

export interface WorkerStack {
  /** e.g. http://127.0.0.1:12345 */
  origin: string;
  /** The Worker's error and warning log lines so far (for failure messages). */
  errors: string[];
  close(): Promise<void>;
}

/** wrangler.toml's queue consumers, as Miniflare options. */
const consumer = (deadLetterQueue?: string) => ({
  maxBatchSize: 100,
  maxBatchTimeout: 2,
  maxRetries: 10,
  ...(deadLetterQueue ? { deadLetterQueue } : {}),
});

export async function startWorkerStack({ adminToken }: { adminToken: string }): Promise<WorkerStack> {
  const [gateway, bundle] = await Promise.all([
    onFreePort<Gateway>(20000, (port) =>
      startGateway({
        port,
        databaseUrl: process.env.DATABASE_URL || undefined,
        migrationsFolder: resolve(ROOT, "drizzle"),
      }),
    ),
    bundleWorker(resolve(ROOT, "src/index.ts")),
  ]);
  let worker: HostedWorker;
  try {
    worker = await hostWorker(
      { scriptPath: bundle.path },
      {
        bindings: {
          ADMIN_TOKEN: adminToken,
          IP_HASH_SECRET: "test-ip-hash-secret-0123456789",
          // The gateway's random password rides in the connection string, as the driver sends it.
          DATABASE_URL: gateway.connectionString,
          NEON_LOCAL_ENDPOINT: gateway.url,
          WEBHOOKS_ALLOW_PRIVATE: "true",
          SHARED_LINK_HOSTS: "localhost,127.0.0.1",
        },
        kvNamespaces: ["LINKS"],
        queueProducers: {
          WEBHOOKS: { queueName: "edgeref-webhooks" },
          CLICKS: { queueName: "edgeref-clicks" },
          EMAILS: { queueName: "edgeref-emails" },
        },
        queueConsumers: {
          "edgeref-webhooks": { ...consumer("edgeref-webhooks-dlq"), maxBatchSize: 10, maxBatchTimeout: 1 },
          "edgeref-webhooks-dlq": { ...consumer(), maxBatchSize: 10, maxBatchTimeout: 1 },
          "edgeref-clicks": consumer("edgeref-clicks-dlq"),
          "edgeref-clicks-dlq": consumer(),
          "edgeref-emails": { ...consumer("edgeref-emails-dlq"), maxBatchSize: 10, maxBatchTimeout: 1 },
          "edgeref-emails-dlq": { ...consumer(), maxBatchSize: 10, maxBatchTimeout: 1 },
        },
        // wrangler.toml's figures (test/node/wrangler-config.test.ts keeps the two in step).
        ratelimits: Object.fromEntries(
          Object.values(POLICIES).map((p) => [p.binding, { simple: { limit: p.limit, period: p.periodSeconds } }]),
        ),
      },
      { basePort: 14000 },
    );
  } catch (error) {
    bundle.remove();
    await gateway.close();
    throw error;
  }
  return {
    origin: worker.origin,
    errors: worker.errors,
    async close() {
      await worker.dispose();
      await gateway.close();
      bundle.remove();
    },
  };
}
