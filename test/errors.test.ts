import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src";
import { ERROR_CODES } from "../src/lib/error-response";
import {
  ADMIN_TOKEN,
  admin,
  call,
  createAppspace,
  createReferral,
  databaseDown,
  uniqueDomain,
  uniqueUser,
} from "./support/api";
import { linkFixture, visit } from "./support/links";

/**
 * One error contract everywhere: `{ error, code, request_id, …extra }`, `code` from a documented
 * enum, `request_id` equal to the X-Request-Id header. One request per kind of failure.
 */
afterEach(() => vi.restoreAllMocks());

function expectContract(
  res: { status: number; headers: Headers; body: unknown },
  status: number,
  code: (typeof ERROR_CODES)[number],
) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = res.body as Record<string, unknown>;
  expect(typeof body.error).toBe("string");
  expect(body.code).toBe(code);
  expect(body.request_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers.get("x-request-id")).toBe(body.request_id);
}

describe("every error answers { error, code, request_id }", () => {
  it("400, 401, 403, 404, 405, 409, 413, 415 and 422 from the API", async () => {
    const space = await createAppspace();
    const referrer = uniqueUser("jane");
    const ref = await createReferral(space, { user_id: referrer });
    expectContract(await call("POST", "/v1/api/referral/create", { key: space.pk, body: {} }), 400, "invalid_request");
    expectContract(await call("GET", "/v1/api/referral/leaderboard"), 401, "unauthorized");
    expectContract(
      await call("POST", "/v1/api/referral/complete", {
        key: space.pk,
        body: { referral_code: ref.referral_code, referred_user_id: "f" },
      }),
      403,
      "forbidden",
    );
    expectContract(await call("GET", "/v1/api/referral/ZZZZZZZZZZ", { key: space.pk }), 404, "not_found");
    expectContract(await call("GET", "/v1/nowhere", { key: space.pk }), 404, "not_found");
    expectContract(await call("GET", "/v1/api/referral/create", { key: space.pk }), 405, "method_not_allowed");
    const self = await call("POST", "/v1/api/referral/complete", {
      key: space.sk,
      body: { referral_code: ref.referral_code, referred_user_id: referrer },
    });
    expectContract(self, 409, "conflict");
    expect(self.body).toMatchObject({ reason: "self_referral" });
    expectContract(
      await call("POST", "/v1/api/referral/create", {
        key: space.pk,
        body: { user_id: "u", user_name: "x".repeat(70_000) },
      }),
      413,
      "payload_too_large",
    );
    expectContract(
      await call("POST", "/v1/api/referral/create", {
        key: space.pk,
        body: JSON.stringify({ user_id: "u" }),
        headers: { "content-type": "text/plain" },
      }),
      415,
      "unsupported_media_type",
    );
    const key = `k-${crypto.randomUUID()}`;
    await call("POST", "/v1/api/referral/create", {
      key: space.pk,
      body: { user_id: uniqueUser("a") },
      headers: { "idempotency-key": key },
    });
    expectContract(
      await call("POST", "/v1/api/referral/create", {
        key: space.pk,
        body: { user_id: uniqueUser("b") },
        headers: { "idempotency-key": key },
      }),
      422,
      "idempotency_key_reused",
    );
  });

  it("specific codes where a status has several meanings", async () => {
    const domain = uniqueDomain("taken");
    await admin("POST", "/appspaces", { name: uniqueUser("a"), domains: [domain] });
    const taken = await admin("POST", "/appspaces", { name: uniqueUser("b"), domains: [domain] });
    expectContract(taken, 409, "domain_taken");
    expect(taken.body).toMatchObject({ field: "domains", domain });
  });

  it("429 from a rate limit, and the link domain's JSON files", async () => {
    const space = await createAppspace();
    vi.spyOn(env.API_LIMITER, "limit").mockResolvedValue({ success: false });
    expectContract(await call("GET", "/v1/api/referral/leaderboard", { key: space.sk }), 429, "rate_limited");
    vi.restoreAllMocks();
    const { host } = await linkFixture();
    const aasa = await visit(`https://${host}/.well-known/apple-app-site-association`);
    expectContract({ ...aasa, body: JSON.parse(aasa.body) }, 404, "not_found");
  });

  it("500: the request id in the answer is the one in the log line", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: unknown) => void lines.push(String(line)));
    const down = databaseDown(env);
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request("https://api.test/v1/admin/appspaces", {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ name: uniqueUser("down") }),
      }),
      down,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const body = (await res.json()) as Record<string, unknown>;
    expectContract({ status: res.status, headers: res.headers, body }, 500, "internal_error");
    expect(body.error).toBe("Internal server error");
    expect(lines.some((l) => l.includes(`"requestId":"${body.request_id}"`))).toBe(true);
  });
});

describe("the error contract in /openapi.json", () => {
  it("documents the code enum and request_id, and 429/500 on every operation (413/415 where a body is read)", async () => {
    const doc = (
      await call<{
        components: { schemas: { Error: { properties: Record<string, { enum?: string[] }>; required: string[] } } };
        paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>;
      }>("GET", "/openapi.json")
    ).body;
    const schema = doc.components.schemas.Error;
    expect(schema.properties.code?.enum).toEqual([...ERROR_CODES]);
    expect(schema.required).toEqual(expect.arrayContaining(["error", "code", "request_id"]));
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const codes = Object.keys(op.responses);
        expect(codes, `${method} ${path}`).toEqual(expect.arrayContaining(["429", "500"]));
        if (op.requestBody) expect(codes, `${method} ${path}`).toEqual(expect.arrayContaining(["413", "415"]));
      }
    }
  });
});
