import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src";
import { log, redact } from "../../src/lib/log";
import { ADMIN_TOKEN, databaseDown } from "../support/api";

/**
 * Logs never carry parameters or secrets. Drizzle's error message is the failed statement with
 * its parameters; with the database away, every statement fails that way, so each test below
 * sends something recognisable and asserts it never reaches a console line.
 */
const down = databaseDown(env);

function captureConsole() {
  const lines: string[] = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    });
  }
  return lines;
}

afterEach(() => vi.restoreAllMocks());

describe("logs", () => {
  it("a failed request logs the error's code and statement fingerprint, never its parameters", async () => {
    const lines = captureConsole();
    const name = `Secretname-${crypto.randomUUID()}`;
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request("https://api.test/v1/admin/appspaces", {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ name, domains: [] }),
      }),
      down,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBeGreaterThanOrEqual(500);
    const body = await res.text();
    expect(body).not.toContain(name);
    expect(lines.length).toBeGreaterThan(0);
    const all = lines.join("\n");
    expect(all).not.toContain(name);
    // The generated key hashes and identity secret were parameters of that insert too.
    expect(all).not.toMatch(/idsec_[A-Za-z0-9]{8}/);
    // What is logged: the driver's error by name and why it failed, nothing of the statement.
    expect(all).toContain('"error":{"name":"NeonDbError"');
  });

  it("an error leaving a queue handler is logged and rethrown without its parameters", async () => {
    const lines = captureConsole();
    const marker = `dead-${crypto.randomUUID()}`;
    const batch = {
      queue: "edgeref-webhooks-dlq",
      messages: [
        {
          id: marker,
          timestamp: new Date(),
          body: { series: marker, event_id: crypto.randomUUID(), endpoint_id: crypto.randomUUID() },
          attempts: 11,
          ack: vi.fn(),
          retry: vi.fn(),
        },
      ],
      ackAll: vi.fn(),
      retryAll: vi.fn(),
    } as unknown as MessageBatch<unknown>;
    const thrown = await worker.queue(batch, down).then(
      () => null,
      (error: unknown) => error as Error,
    );
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown?.message).toMatch(/^queue edgeref-webhooks-dlq failed/);
    expect(thrown?.message).not.toContain(marker);
    expect(lines.join("\n")).not.toContain(marker);
  });

  it("anything shaped like a credential is masked, whatever field carries it", () => {
    const secrets = [
      `pk_${"a1B2c3D4e5".repeat(4)}`,
      `sk_${"Z9y8X7w6V5".repeat(4)}`,
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      `idsec_${"q".repeat(43)}`,
    ];
    for (const secret of secrets) expect(redact(`x ${secret} y`)).not.toContain(secret.slice(6));
    expect(redact("authorization: Bearer abc.def-123")).toBe("authorization: Bearer [redacted]");
    const lines = captureConsole();
    log.error("oops", { header: `Bearer ${secrets[1]}`, nested: { note: `key ${secrets[0]}` } });
    for (const secret of secrets.slice(0, 2)) expect(lines.join("\n")).not.toContain(secret.slice(3));
  });
});
