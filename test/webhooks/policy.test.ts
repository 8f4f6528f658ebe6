import { describe, expect, it } from "vitest";
import { classifyResponse, MAX_ATTEMPTS, RETRY_DELAYS_SECONDS, retryDelay } from "../../src/webhooks/retry";
import { webhookUrlProblem } from "../../src/webhooks/url-policy";

describe("webhook URL rules (production: WEBHOOKS_ALLOW_PRIVATE unset)", () => {
  const strict = { allowPrivate: false };
  it.each([
    "https://example.com/hooks",
    "https://hooks.example.co.uk:8443/x?y=1",
    "https://93.184.216.34/hook",
    "https://[2606:4700:4700::1111]/hook",
  ])("accepts %s", (url) => {
    expect(webhookUrlProblem(url, strict)).toBeNull();
  });

  it.each([
    ["http://example.com/hooks", /https/],
    ["ftp://example.com", /https/],
    ["not a url", /absolute URL/],
    ["https://user:pass@example.com/", /credentials/],
    ["https://localhost/hook", /public host/],
    ["https://api.localhost/hook", /public host/],
    ["https://printer.local/hook", /public host/],
    ["https://db.internal/hook", /public host/],
    ["https://intranet/hook", /public host/],
    ["https://127.0.0.1/hook", /loopback/],
    ["https://127.1/hook", /loopback/],
    ["https://2130706433/hook", /loopback/],
    ["https://10.1.2.3/hook", /private/],
    ["https://172.16.0.1/hook", /private/],
    ["https://192.168.1.10/hook", /private/],
    ["https://169.254.169.254/latest/meta-data", /linkLocal/],
    ["https://100.64.0.1/hook", /carrierGradeNat/],
    ["https://0.0.0.0/hook", /unspecified/],
    ["https://[::1]/hook", /loopback/],
    ["https://[fd00::1]/hook", /uniqueLocal/],
    ["https://[fe80::1]/hook", /linkLocal/],
    ["https://[::ffff:10.0.0.1]/hook", /private/],
  ])("rejects %s", (url, message) => {
    expect(webhookUrlProblem(url, strict)).toMatch(message);
  });

  it("allows http and private hosts only when WEBHOOKS_ALLOW_PRIVATE=true", () => {
    const local = { allowPrivate: true };
    expect(webhookUrlProblem("http://127.0.0.1:9999/hooks/x", local)).toBeNull();
    expect(webhookUrlProblem("https://10.0.0.5/hook", local)).toBeNull();
    expect(webhookUrlProblem("ftp://127.0.0.1/", local)).toMatch(/https/);
  });
});

describe("retry schedule", () => {
  it("waits 60, 300 and 1800 s before attempts 2, 3 and 4", () => {
    expect(RETRY_DELAYS_SECONDS).toEqual([60, 300, 1800]);
    expect(MAX_ATTEMPTS).toBe(4);
    expect([1, 2, 3].map((attempt) => retryDelay(attempt))).toEqual([60, 300, 1800]);
  });

  it("classifies responses: 2xx success, 410 gone, everything else a failure", () => {
    for (const status of [200, 201, 204, 299]) expect(classifyResponse(status).kind).toBe("success");
    expect(classifyResponse(410).kind).toBe("gone");
    for (const status of [null, 301, 400, 404, 429, 500, 503]) expect(classifyResponse(status).kind).toBe("failure");
  });
});
