import { z } from "zod";
import type { EmailProviderConfig } from "./services/email-providers";
import { RETRY_DELAYS_SECONDS } from "./webhooks/retry";

function retentionDays(min: number, message?: string) {
  return z.coerce.number().int().min(min, message).max(3650).optional();
}

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
  EVENT_RETENTION_DAYS: retentionDays(1),
  CLICK_RETENTION_DAYS: retentionDays(1),
  // A claim must outlive the deferred record it claims (24 h), or that record could be claimed again.
  DEFERRED_CLAIM_RETENTION_DAYS: retentionDays(
    2,
    "must be at least 2 (claims must outlive the 24 h deferred-link window)",
  ),
  RETENTION_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).optional(),
  RETENTION_MAX_BATCHES: z.coerce.number().int().min(1).max(100).optional(),
  SHARED_LINK_HOSTS: z
    .string()
    .regex(/^[a-z0-9.:[\]-]+(,[a-z0-9.:[\]-]+)*$/i, "must be comma-separated host names, e.g. go.example.com,localhost")
    .optional(),
  // Transactional email (src/services/email-outbox.ts). No provider: every email is captured in the outbox.
  EMAIL_PROVIDER: z.enum(["resend", "postmark"], { error: 'must be "resend", "postmark" or empty' }).optional(),
  EMAIL_API_KEY: z.string().trim().min(1).optional(),
  EMAIL_FROM: z
    .string()
    .max(400)
    .refine((value) => parseFromAddress(value) !== null, 'must be an email address or "Name <address>"')
    .optional(),
  EMAIL_API_BASE: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
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
  /** What the cron prunes, and how much per run (see src/db/retention.ts). */
  retention: RetentionConfig;
  /**
   * Operator-wide link hosts that serve every appspace's codes (a shared short domain, the local
   * dev hosts). Any other host serves only the codes of the appspace that owns it.
   */
  sharedLinkHosts: ReadonlySet<string>;
  email: EmailConfig;
  /**
   * Where this Worker is reached when an appspace has no domain of its own: the base of the
   * unsubscribe and link URLs in its emails (no trailing slash).
   */
  publicBaseUrl: string;
}

export interface EmailConfig {
  /** null: no provider, so every email is captured in the outbox (rendered, never sent). */
  provider: EmailProviderConfig | null;
  /** EMAIL_FROM: the sender address, and the display name used when a promotion sets none. */
  from: { name: string | null; address: string };
}

/** Used while no EMAIL_FROM is set and nothing is sent (capture mode). */
export const DEFAULT_EMAIL_FROM = "edgeref <noreply@example.com>";
export const DEFAULT_PUBLIC_BASE_URL = "http://localhost:8787";

const fromAddressSchema = z.email();

/**
 * `ann@example.com`, `Ann <ann@example.com>` or `"Acme, Inc." <ann@example.com>`: the display
 * name (unquoted) and the address, or null when it is neither.
 */
export function parseFromAddress(value: string): { name: string | null; address: string } | null {
  const m = /^\s*(?:([^<>]*?)\s*<([^<>\s]+)>|([^<>\s]+))\s*$/.exec(value);
  if (!m) return null;
  const address = m[2] ?? m[3] ?? "";
  if (!fromAddressSchema.safeParse(address).success) return null;
  let name = m[1]?.trim() ?? "";
  if (/^"(?:[^"\\]|\\.)*"$/.test(name)) name = name.slice(1, -1).replace(/\\(.)/g, "$1");
  // A header value: no line breaks or other control characters may come from configuration.
  if ([...name].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) return null;
  return { name: name || null, address };
}

/** Local development hosts: `wrangler dev`, the browser tests. */
export const DEFAULT_SHARED_LINK_HOSTS = "localhost,127.0.0.1";

export interface RetentionConfig {
  /** Dispatched outbox events older than this go (with their delivery log); undispatched ones never do. */
  eventDays: number;
  clickDays: number;
  deferredClaimDays: number;
  /** Rows per delete statement, and statements per table per cron run. */
  batchSize: number;
  maxBatches: number;
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
    EVENT_RETENTION_DAYS: env.EVENT_RETENTION_DAYS || undefined,
    CLICK_RETENTION_DAYS: env.CLICK_RETENTION_DAYS || undefined,
    DEFERRED_CLAIM_RETENTION_DAYS: env.DEFERRED_CLAIM_RETENTION_DAYS || undefined,
    RETENTION_BATCH_SIZE: env.RETENTION_BATCH_SIZE || undefined,
    RETENTION_MAX_BATCHES: env.RETENTION_MAX_BATCHES || undefined,
    SHARED_LINK_HOSTS: env.SHARED_LINK_HOSTS || undefined,
    EMAIL_PROVIDER: env.EMAIL_PROVIDER || undefined,
    EMAIL_API_KEY: env.EMAIL_API_KEY || undefined,
    EMAIL_FROM: env.EMAIL_FROM || undefined,
    EMAIL_API_BASE: env.EMAIL_API_BASE || undefined,
    PUBLIC_BASE_URL: env.PUBLIC_BASE_URL || undefined,
  });
  if (!parsed.success) {
    // zod 4 leaves `input` out of its issues, so whether a binding is missing is read from `env`.
    const problems = parsed.error.issues.map((i) => {
      const name = i.path.join(".");
      const given = (env as Record<string, unknown>)[name];
      return `${name} ${given === undefined || given === "" ? "is not set" : i.message}`;
    });
    throw new ConfigError(`Server misconfigured: ${problems.join("; ")}`);
  }
  const webhookLogRetentionDays = parsed.data.WEBHOOK_LOG_RETENTION_DAYS ?? 30;
  const eventRetentionDays = parsed.data.EVENT_RETENTION_DAYS ?? 90;
  if (eventRetentionDays < webhookLogRetentionDays) {
    // Deleting an event deletes its delivery log (ON DELETE CASCADE): the log would not last as promised.
    throw new ConfigError(
      "Server misconfigured: EVENT_RETENTION_DAYS must be at least WEBHOOK_LOG_RETENTION_DAYS (an event's delivery log goes with it)",
    );
  }
  const provider = parsed.data.EMAIL_PROVIDER;
  if (provider && !parsed.data.EMAIL_API_KEY) {
    throw new ConfigError(
      `Server misconfigured: EMAIL_API_KEY is not set (required when EMAIL_PROVIDER is ${provider})`,
    );
  }
  if (provider && !parsed.data.EMAIL_FROM) {
    throw new ConfigError(`Server misconfigured: EMAIL_FROM is not set (required when EMAIL_PROVIDER is ${provider})`);
  }
  const from = parseFromAddress(parsed.data.EMAIL_FROM ?? DEFAULT_EMAIL_FROM);
  if (!from) throw new Error("unreachable: EMAIL_FROM was validated");
  const config: Config = {
    databaseUrl: parsed.data.DATABASE_URL,
    adminToken: parsed.data.ADMIN_TOKEN,
    ipHashSecret: parsed.data.IP_HASH_SECRET,
    neonLocalEndpoint: parsed.data.NEON_LOCAL_ENDPOINT,
    webhooksAllowPrivate: parsed.data.WEBHOOKS_ALLOW_PRIVATE === "true",
    webhookRetryDelays: parsed.data.WEBHOOK_RETRY_DELAYS?.split(",").map(Number) ?? RETRY_DELAYS_SECONDS,
    webhookLogRetentionDays,
    retention: {
      eventDays: eventRetentionDays,
      clickDays: parsed.data.CLICK_RETENTION_DAYS ?? 400,
      deferredClaimDays: parsed.data.DEFERRED_CLAIM_RETENTION_DAYS ?? 7,
      batchSize: parsed.data.RETENTION_BATCH_SIZE ?? 1000,
      maxBatches: parsed.data.RETENTION_MAX_BATCHES ?? 5,
    },
    sharedLinkHosts: new Set(
      (parsed.data.SHARED_LINK_HOSTS ?? DEFAULT_SHARED_LINK_HOSTS).toLowerCase().split(",").filter(Boolean),
    ),
    email: {
      provider: provider
        ? { provider, apiKey: parsed.data.EMAIL_API_KEY ?? "", apiBase: parsed.data.EMAIL_API_BASE ?? null }
        : null,
      from,
    },
    publicBaseUrl: (parsed.data.PUBLIC_BASE_URL ?? DEFAULT_PUBLIC_BASE_URL).replace(/\/+$/, ""),
  };
  cache.set(env, config);
  return config;
}
