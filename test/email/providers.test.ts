import { describe, expect, it } from "vitest";
import {
  type EmailProviderConfig,
  type EmailProviderName,
  type OutgoingEmail,
  sendEmail,
} from "../../src/services/email-providers";
import { providerEndpoint } from "./support";

const API_KEY = "sk_test_DoNotLeakThisKey_0123456789";
const RECIPIENT = "Grace.Hopper+ref@Example.com";
const PROVIDERS: EmailProviderName[] = ["resend", "postmark"];

function config(provider: EmailProviderName, apiBase: string | null): EmailProviderConfig {
  return { provider, apiKey: API_KEY, apiBase };
}

function email(overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    idempotencyKey: `email-outbox-${crypto.randomUUID()}`,
    from: "Acme Rewards <rewards@acme.test>",
    replyTo: "help@acme.test",
    to: RECIPIENT,
    subject: "Your referral link for Spring",
    text: "Hi Grace, here is your link: https://go.acme.test/r/ABCD",
    html: '<p>Hi Grace, here is <a href="https://go.acme.test/r/ABCD">your link</a></p>',
    headers: {
      "List-Unsubscribe": "<https://go.acme.test/u/tok123>",
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
    ...overrides,
  };
}

function expectNoSecrets(error: string) {
  expect(error.length).toBeLessThanOrEqual(300);
  expect(error).not.toContain(API_KEY);
  expect(error.toLowerCase()).not.toContain(RECIPIENT.toLowerCase());
  expect(error.toLowerCase()).not.toContain("grace.hopper");
}

describe("sendEmail via Resend", () => {
  it("POSTs /emails with the bearer key, the idempotency key and every field", async () => {
    const ep = await providerEndpoint();
    const message = email();
    const outcome = await sendEmail(config("resend", ep.apiBase), message);
    const [request, ...more] = await ep.requests();
    expect(more).toHaveLength(0);
    expect(outcome).toEqual({ kind: "sent", providerMessageId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe(`/provider/${ep.name}/emails`);
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers["idempotency-key"]).toBe(message.idempotencyKey);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request?.body ?? "")).toEqual({
      from: message.from,
      to: RECIPIENT,
      reply_to: "help@acme.test",
      subject: message.subject,
      text: message.text,
      html: message.html,
      headers: {
        "List-Unsubscribe": "<https://go.acme.test/u/tok123>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      },
    });
  });

  it("sends no reply_to when there is none, and the same idempotency key on a retry", async () => {
    const ep = await providerEndpoint({ responses: [503, 200] });
    const message = email({ replyTo: null });
    expect((await sendEmail(config("resend", ep.apiBase), message)).kind).toBe("retry");
    expect((await sendEmail(config("resend", ep.apiBase), message)).kind).toBe("sent");
    const requests = await ep.requests();
    expect(requests.map((r) => r.headers["idempotency-key"])).toEqual([message.idempotencyKey, message.idempotencyKey]);
    expect(JSON.parse(requests[0]?.body ?? "")).not.toHaveProperty("reply_to");
  });
});

describe("sendEmail via Postmark", () => {
  it("POSTs /email with the server token, the custom headers and the outbound stream", async () => {
    const ep = await providerEndpoint();
    const message = email();
    const outcome = await sendEmail(config("postmark", ep.apiBase), message);
    const [request, ...more] = await ep.requests();
    expect(more).toHaveLength(0);
    expect(outcome).toEqual({ kind: "sent", providerMessageId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe(`/provider/${ep.name}/email`);
    expect(request?.headers["x-postmark-server-token"]).toBe(API_KEY);
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.headers.accept).toBe("application/json");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request?.body ?? "")).toEqual({
      From: message.from,
      To: RECIPIENT,
      ReplyTo: "help@acme.test",
      Subject: message.subject,
      TextBody: message.text,
      HtmlBody: message.html,
      Headers: [
        { Name: "List-Unsubscribe", Value: "<https://go.acme.test/u/tok123>" },
        { Name: "List-Unsubscribe-Post", Value: "List-Unsubscribe=One-Click" },
      ],
      MessageStream: "outbound",
    });
  });

  it("sends no ReplyTo when there is none", async () => {
    const ep = await providerEndpoint();
    await sendEmail(config("postmark", ep.apiBase), email({ replyTo: null }));
    const [request] = await ep.requests();
    expect(JSON.parse(request?.body ?? "")).not.toHaveProperty("ReplyTo");
  });

  it("keeps an https base and its path prefix", async () => {
    // Nothing listens there with TLS: the send fails as a network error, it does not throw.
    const outcome = await sendEmail(config("postmark", "https://127.0.0.1:1/some/prefix/"), email());
    expect(outcome).toMatchObject({ kind: "retry", status: null });
  });
});

describe.each(PROVIDERS)("sendEmail outcomes (%s)", (provider) => {
  it.each([503, 500, 429])("%i → retry", async (status) => {
    const ep = await providerEndpoint({ responses: [status] });
    const outcome = await sendEmail(config(provider, ep.apiBase), email());
    expect(outcome).toMatchObject({ kind: "retry", status });
    if (outcome.kind !== "sent") expectNoSecrets(outcome.error);
    expect(await ep.requests()).toHaveLength(1);
  });

  it.each([422, 401, 400])("%i → failed", async (status) => {
    const ep = await providerEndpoint({ responses: [status] });
    const outcome = await sendEmail(config(provider, ep.apiBase), email());
    expect(outcome).toMatchObject({ kind: "failed", status });
    if (outcome.kind !== "sent") {
      expect(outcome.error).toContain(provider);
      expect(outcome.error).toContain(String(status));
      expectNoSecrets(outcome.error);
    }
  });

  it("422 errors quoting the recipient come back without it", async () => {
    const ep = await providerEndpoint({ responses: [422] });
    const outcome = await sendEmail(config(provider, ep.apiBase), email());
    expect(outcome.kind).toBe("failed");
    // The receiver, like the real APIs, quotes the address in its message.
    const [request] = await ep.requests();
    expect(request?.answered).toBe(422);
    if (outcome.kind === "failed") {
      expectNoSecrets(outcome.error);
      expect(outcome.error).toMatch(/\[redacted\]|\[address\]/);
    }
  });

  it("an error echoing the key and the address (in any case) is scrubbed and cut to 300 chars", async () => {
    const echo = `bad key ${API_KEY} for ${RECIPIENT.toUpperCase()} <${RECIPIENT.toLowerCase()}> ${"x".repeat(600)}`;
    const ep = await providerEndpoint({ responses: [401, 500], errorMessage: echo });
    const failed = await sendEmail(config(provider, ep.apiBase), email());
    const retry = await sendEmail(config(provider, ep.apiBase), email());
    expect(failed.kind).toBe("failed");
    expect(retry.kind).toBe("retry");
    for (const outcome of [failed, retry]) {
      if (outcome.kind === "sent") continue;
      expectNoSecrets(outcome.error);
      expect(outcome.error.length).toBeLessThanOrEqual(300);
    }
  });

  it("an unreachable base URL → retry with no status", async () => {
    // Port 1 on loopback: connection refused.
    const outcome = await sendEmail(config(provider, "http://127.0.0.1:1/provider/nowhere"), email());
    expect(outcome).toMatchObject({ kind: "retry", status: null });
    if (outcome.kind !== "sent") {
      expect(outcome.error).toContain(provider);
      expectNoSecrets(outcome.error);
    }
  });

  it("a provider slower than the timeout → retry with no status", async () => {
    const ep = await providerEndpoint({ delayMs: 3_000 });
    const started = Date.now();
    const outcome = await sendEmail(config(provider, ep.apiBase), email(), { timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(outcome).toMatchObject({ kind: "retry", status: null });
    if (outcome.kind !== "sent") {
      expect(outcome.error).toBe(`${provider} timed out after 300 ms`);
      expectNoSecrets(outcome.error);
    }
  });

  it("a bad config fails without a request (and never throws)", async () => {
    const ep = await providerEndpoint();
    expect(await sendEmail({ provider, apiKey: " ", apiBase: ep.apiBase }, email())).toEqual({
      kind: "failed",
      status: null,
      error: `${provider}: missing API key`,
    });
    for (const apiBase of ["not a url", "ftp://127.0.0.1/x"]) {
      expect(await sendEmail(config(provider, apiBase), email())).toMatchObject({ kind: "failed", status: null });
    }
    expect(await ep.requests()).toHaveLength(0);
  });
});
