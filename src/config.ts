import { z } from "zod";

/**
 * Secrets and settings from the Worker's bindings, parsed once per `env` object. A missing or
 * malformed secret fails loudly with its *name* (never its value).
 */
const configSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// connection string"),
  ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters"),
  IP_HASH_SECRET: z.string().min(16, "must be at least 16 characters"),
  NEON_LOCAL_ENDPOINT: z.url().optional(),
});

export interface Config {
  databaseUrl: string;
  adminToken: string;
  ipHashSecret: string;
  /** Only in local development/tests: the gateway that speaks Neon's HTTP protocol. */
  neonLocalEndpoint?: string;
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
  };
  cache.set(env, config);
  return config;
}
