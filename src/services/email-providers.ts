import { ServerClient } from "postmark";
import { Resend } from "resend";

export type EmailProviderName = "resend" | "postmark";

export interface EmailProviderConfig {
  provider: EmailProviderName;
  apiKey: string;
  /** e.g. "http://127.0.0.1:1234/provider/x" in tests; null = the provider's real API. */
  apiBase: string | null;
}

export interface OutgoingEmail {
  /** Stable per outbox row: a retried send must not become a second email. */
  idempotencyKey: string;
  from: string;
  replyTo: string | null;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** e.g. List-Unsubscribe, List-Unsubscribe-Post. */
  headers: Record<string, string>;
}

export type SendOutcome =
  | { kind: "sent"; providerMessageId: string | null }
  /** 429, 5xx, network error, timeout. */
  | { kind: "retry"; status: number | null; error: string }
  /** Any other 4xx: never retried. */
  | { kind: "failed"; status: number | null; error: string };

export const DEFAULT_SEND_TIMEOUT_MS = 10_000;
const MAX_ERROR_CHARS = 300;
const RESEND_API = "https://api.resend.com";

/** Sends one email. Never throws: every problem becomes an outcome. */
export async function sendEmail(
  config: EmailProviderConfig,
  email: OutgoingEmail,
  options: { timeoutMs?: number } = {},
): Promise<SendOutcome> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  const secrets = { apiKey: config.apiKey, to: email.to };
  const problem = configProblem(config);
  // Checked here, not left to the SDKs: an empty key makes Resend fall back to process.env.
  if (problem) return { kind: "failed", status: null, error: `${config.provider}: ${problem}` };
  try {
    const outcome =
      config.provider === "resend"
        ? await sendWithResend(config, email, timeoutMs)
        : await sendWithPostmark(config, email, timeoutMs);
    return outcome.kind === "sent" ? outcome : { ...outcome, error: cleanError(outcome.error, secrets) };
  } catch (error) {
    // An SDK bug or a bad config (e.g. an empty key): retrying the same input would not help.
    return { kind: "failed", status: null, error: cleanError(`${config.provider}: ${describe(error)}`, secrets) };
  }
}

async function sendWithResend(config: EmailProviderConfig, email: OutgoingEmail, timeoutMs: number) {
  // Always explicit: otherwise the SDK reads RESEND_BASE_URL from process.env (bindings, with nodejs_compat).
  const resend = new Resend(config.apiKey, { baseUrl: trimSlash(config.apiBase ?? RESEND_API) });
  const signal = AbortSignal.timeout(timeoutMs);
  const { data, error, headers } = await resend.emails.send(
    {
      from: email.from,
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      headers: email.headers,
      ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    },
    // Sent as the Idempotency-Key header: Resend answers a repeat with the first send's result.
    { idempotencyKey: email.idempotencyKey, signal },
  );
  if (!error) return sent(data?.id);
  // The SDK never throws: network errors and timeouts come back as statusCode null.
  const status = typeof error.statusCode === "number" ? error.statusCode : null;
  if (status === null) {
    // No headers = no HTTP answer at all; otherwise an error body without a statusCode.
    const reason = signal.aborted
      ? `timed out after ${timeoutMs} ms`
      : headers === null
        ? `network error: ${error.message}`
        : `error without status: ${error.name}: ${error.message}`;
    return { kind: "retry" as const, status, error: `resend ${reason}` };
  }
  const text = `resend ${status} ${error.name}: ${error.message}`;
  // 409 concurrent_idempotent_requests: the first request with this key is still running.
  if (error.name === "concurrent_idempotent_requests") return { kind: "retry" as const, status, error: text };
  return classify(status, text);
}

async function sendWithPostmark(config: EmailProviderConfig, email: OutgoingEmail, timeoutMs: number) {
  let signal: AbortSignal | null | undefined;
  const client = new ServerClient(config.apiKey, {
    ...postmarkTarget(config.apiBase),
    timeout: timeoutMs / 1000, // seconds
    // Plain fetch; kept only to tell the SDK's own timeout from other network errors afterwards.
    fetch: (input, init) => {
      signal = init?.signal;
      return fetch(input, init);
    },
  });
  try {
    const response = await client.sendEmail({
      From: email.from,
      To: email.to,
      Subject: email.subject,
      TextBody: email.text,
      HtmlBody: email.html,
      ...(email.replyTo ? { ReplyTo: email.replyTo } : {}),
      Headers: Object.entries(email.headers).map(([Name, Value]) => ({ Name, Value })),
      MessageStream: "outbound",
    });
    return sent(response.MessageID);
  } catch (error) {
    // PostmarkError: statusCode 0 = no HTTP answer (network error, timeout); code = Postmark's ErrorCode.
    const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
    if (typeof statusCode !== "number") throw error;
    if (statusCode === 0) {
      const reason = signal?.aborted ? `timed out after ${timeoutMs} ms` : `network error: ${describe(error)}`;
      return { kind: "retry" as const, status: null, error: `postmark ${reason}` };
    }
    return classify(statusCode, `postmark ${statusCode} (ErrorCode ${String(code)}): ${describe(error)}`);
  }
}

/**
 * Postmark's SDK builds URLs as `${useHttps ? "https" : "http"}://${requestHost}${path}`, so a
 * host with a path prefix points it anywhere without wrapping its fetch.
 */
function postmarkTarget(apiBase: string | null): { useHttps: boolean; requestHost: string } {
  if (apiBase === null) return { useHttps: true, requestHost: "api.postmarkapp.com" };
  const url = new URL(apiBase);
  return { useHttps: url.protocol === "https:", requestHost: trimSlash(url.host + url.pathname) };
}

function configProblem(config: EmailProviderConfig): string | null {
  if (config.provider !== "resend" && config.provider !== "postmark") return "unknown email provider";
  if (config.apiKey.trim() === "") return "missing API key";
  if (config.apiBase !== null) {
    const url = URL.parse(config.apiBase);
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) return "apiBase is not an http(s) URL";
  }
  return null;
}

function sent(id: string | null | undefined): SendOutcome {
  return { kind: "sent", providerMessageId: typeof id === "string" && id !== "" ? id : null };
}

function classify(status: number, error: string): SendOutcome {
  if (status === 408 || status === 429 || status >= 500) return { kind: "retry", status, error };
  return { kind: "failed", status, error };
}

/** Outcome errors land in an outbox row's last_error: no key, no address, short. */
function cleanError(error: string, secrets: { apiKey: string; to: string }): string {
  let text = error;
  for (const secret of [secrets.apiKey.trim(), secrets.to.trim()]) {
    if (secret.length >= 3) text = text.replace(new RegExp(escapeRegExp(secret), "gi"), "[redacted]");
  }
  // Providers quote addresses in several spellings ("Name <a@b>", lower-cased, …): drop them all.
  text = text.replace(/[^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+/g, "[address]");
  text = text.replace(/\s+/g, " ").trim();
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
