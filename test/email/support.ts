import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { vi } from "vitest";
import worker from "../../src";
import type { EmailMessage } from "../../src/services/email-outbox";
import type { EmailProviderName } from "../../src/services/email-providers";
import { sql, type TestAppspace } from "../support/api";
import type { LinkResponse } from "../support/link-api";

/**
 * The email pipeline's test kit. Requests go through the Worker's real `fetch` with an explicit
 * environment, and return once their `waitUntil` work (the outbox dispatch) is done. With the
 * suite's own environment, the dispatch reaches the real local EMAILS queue and the Worker's
 * consumer captures the email (no provider is configured); with `recordingEmails()` in its place,
 * the messages stay with the test, which hands them to the consumer itself.
 */

export type TestEnv = typeof env;

export interface EmailRow {
  id: string;
  appspace_id: string;
  user_id: string | null;
  link_code: string | null;
  to_address: string;
  subject: string | null;
  text: string | null;
  html: string | null;
  status: string;
  attempts: number;
  last_error: string | null;
  provider_message_id: string | null;
  sent_at: string | null;
}

/** An EMAILS queue that only records what is sent to it. */
export function recordingEmails() {
  const sent: EmailMessage[] = [];
  const queue = {
    send: async (body: EmailMessage) => {
      sent.push(body);
    },
    sendBatch: async (messages: Iterable<MessageSendRequest<EmailMessage>>) => {
      for (const m of messages) sent.push(m.body);
    },
  } as unknown as Queue<EmailMessage>;
  return { queue, sent, ids: () => sent.map((m) => m.email_id) };
}

export async function request(
  environment: TestEnv,
  method: string,
  url: string,
  options: { key?: string; body?: string | Record<string, unknown>; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { "cf-connecting-ip": "203.0.113.20", ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] ??= "application/json";
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  }
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(url, { method, headers, body, redirect: "manual" }),
    environment,
    ctx,
  );
  const text = await response.text();
  await waitOnExecutionContext(ctx);
  return { status: response.status, headers: response.headers, text };
}

/** POST /v1/api/links in `environment` (consent given). */
export async function createLinkIn(environment: TestEnv, space: TestAppspace, body: Record<string, unknown>) {
  const res = await request(environment, "POST", "https://api.test/v1/api/links", {
    key: space.sk,
    body: { consent: true, ...body },
  });
  return { status: res.status, body: JSON.parse(res.text) as LinkResponse };
}

// The test helper's rows are text: numbers are read back as numbers.
const typed = (row: (Omit<EmailRow, "attempts"> & { attempts: string | number }) | undefined) =>
  row ? { ...row, attempts: Number(row.attempts) } : undefined;

export async function emailOf(linkCode: string): Promise<EmailRow> {
  const [row] = await sql<EmailRow>("select * from emails where link_code = $1 and kind = 'link'", [linkCode]);
  const email = typed(row);
  if (!email) throw new Error(`no email for link ${linkCode}`);
  return email;
}

export async function emailById(id: string): Promise<EmailRow> {
  const [row] = await sql<EmailRow>("select * from emails where id = $1", [id]);
  const email = typed(row);
  if (!email) throw new Error(`no email ${id}`);
  return email;
}

/** Waits until the email of a link reaches `status` (the real queue delivers asynchronously). */
export function waitForEmail(linkCode: string, status: string, timeout = 15_000): Promise<EmailRow> {
  return vi.waitFor(
    async () => {
      const row = await emailOf(linkCode);
      if (row.status !== status) throw new Error(`email of ${linkCode}: ${row.status}, waiting for ${status}`);
      return row;
    },
    { timeout, interval: 100 },
  );
}

export function message(body: EmailMessage, attempts = 1) {
  return { id: crypto.randomUUID(), timestamp: new Date(), body, attempts, ack: vi.fn(), retry: vi.fn() };
}

export type TestMessage = ReturnType<typeof message>;

export function consume(environment: TestEnv, queue: string, ...messages: TestMessage[]) {
  const batch = { queue, messages, ackAll: vi.fn(), retryAll: vi.fn() } as unknown as MessageBatch<unknown>;
  return worker.queue(batch, environment);
}

export interface ProviderRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  answered: number;
}

/** A fresh email-provider endpoint on the loopback receiver (test/support/node/receiver.ts). */
export async function providerEndpoint(
  options: { responses?: number[]; delayMs?: number; errorMessage?: string } = {},
) {
  const name = `mail-${crypto.randomUUID().slice(0, 8)}`;
  const res = await fetch(`${env.RECEIVER_URL}/_control/${name}`, { method: "PUT", body: JSON.stringify(options) });
  if (!res.ok) throw new Error(`receiver configure: ${res.status}`);
  return {
    name,
    apiBase: `${env.RECEIVER_URL}/provider/${name}`,
    async requests(): Promise<ProviderRequest[]> {
      const got = await fetch(`${env.RECEIVER_URL}/_control/${name}`);
      return ((await got.json()) as { requests: ProviderRequest[] }).requests;
    },
  };
}

export const EMAIL_API_KEY = "re_test_DoNotLeakThisKey_0123456789";

/** The suite's environment with an email provider configured (and `overrides`). */
export function providerEnv(
  provider: EmailProviderName,
  apiBase: string,
  overrides: Record<string, unknown> = {},
): TestEnv {
  return {
    ...env,
    EMAIL_PROVIDER: provider,
    EMAIL_API_KEY,
    EMAIL_API_BASE: apiBase,
    EMAIL_FROM: "Edgeref Mailer <mailer@edgeref.test>",
    ...overrides,
  } as unknown as TestEnv;
}
