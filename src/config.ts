import { z } from "zod";
import { RETRY_DELAYS_SECONDS } from "./webhooks/retry";

/**
 * Secrets and settings from the Worker's bindings, parsed once per `env` object. A missing or
 * malformed secret fails loudly with its *name* (never its value).
 */
const configSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// connection string"),
  ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters"),
  IP_HASH_SECRET: z.string().min(16, "must be at least 16 characters"),
  NEON_LOCAL_ENDPOINT: z.url().optional(),
  WEBHOOKS_ALLOW_PRIVATE: z.enum(["true", "false"]).optional(),
  WEBHOOK_RETRY_DELAYS: z
    .string()
    .regex(/^\d+(,\d+){2}$/, "must be three comma-separated seconds, e.g. 60,300,1800")
    .optional(),
  WEBHOOK_LOG_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).optional(),
});

export interface Config {
  databaseUrl: string;
  adminToken: string;
  ipHashSecret: string;
  /** Only in local development/tests: the gateway that speaks Neon's HTTP protocol. */
  neonLocalEndpoint?: string;
  /** Local development/tests only: lets webhooks go to http:// and private/loopback hosts. */
  webhooksAllowPrivate: boolean;
  /** Seconds before attempts 2, 3 and 4 (production: 60, 300, 1800). */
  webhookRetryDelays: readonly number[];
  webhookLogRetentionDays: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const cache = new WeakMap<object, Config>();

export function loadConfig(env: Partial<Record<keyof z.input<typeof configSchema>, unknown>>): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const parsed = configSchema.safeParse({
    ...env,
    NEON_LOCAL_ENDPOINT: env.NEON_LOCAL_ENDPOINT || undefined,
    WEBHOOKS_ALLOW_PRIVATE: env.WEBHOOKS_ALLOW_PRIVATE || undefined,
    WEBHOOK_RETRY_DELAYS: env.WEBHOOK_RETRY_DELAYS || undefined,
    WEBHOOK_LOG_RETENTION_DAYS: env.WEBHOOK_LOG_RETENTION_DAYS || undefined,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.join(".")} ${i.input === undefined ? "is not set" : i.message}`,
    );
    throw new ConfigError(`Server misconfigured: ${problems.join("; ")}`);
  }
  const config: Config = {
    databaseUrl: parsed.data.DATABASE_URL,
    adminToken: parsed.data.ADMIN_TOKEN,
    ipHashSecret: parsed.data.IP_HASH_SECRET,
    neonLocalEndpoint: parsed.data.NEON_LOCAL_ENDPOINT,
    webhooksAllowPrivate: parsed.data.WEBHOOKS_ALLOW_PRIVATE === "true",
    webhookRetryDelays: parsed.data.WEBHOOK_RETRY_DELAYS?.split(",").map(Number) ?? RETRY_DELAYS_SECONDS,
    webhookLogRetentionDays: parsed.data.WEBHOOK_LOG_RETENTION_DAYS ?? 30,
  };
  cache.set(env, config);
  return config;
}
