import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { isPgDataException } from "../../src/db/errors";
import { DATA_EXCEPTION_MESSAGE } from "../../src/lib/errors";
import { ADMIN_TOKEN, admin, call, createAppspace, sql, uniqueUser } from "../support/api";

/**
 * The input rules at the HTTP surface: what Postgres can't store (NUL, lone surrogates) is a 400
 * naming the field wherever it comes in (path, JSON text, jsonb); bodies are capped whether or
 * not they declare their size; and whatever Postgres still refuses as a data exception (SQLSTATE
 * class 22) is the caller's 400, never a 500.
 *
 * Bodies with a lone surrogate are sent as raw JSON text (`\ud800` escapes): that is how a client
 * would send one, and a JS string would not survive UTF-8 encoding on the way in.
 */

const UNSTORABLE = "must not contain NUL or unpaired surrogate characters";

const createRaw = (key: string, json: string) => call("POST", "/v1/api/referral/create", { key, body: json });

/** One field of a create body, as raw JSON text (so `\\u0000` and `\\ud800` stay escapes). */
const createBody = (fields: Record<string, string>) =>
  `{"user_id":"${uniqueUser()}",${Object.entries(fields)
    .map(([k, v]) => `"${k}":${v}`)
    .join(",")}}`;

function expectNamed(res: { status: number; body: Record<string, unknown> }, field: string) {
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ error: `${field}: ${UNSTORABLE}`, code: "invalid_request", field });
}

describe("unstorable characters are a 400 naming the field", () => {
  it("in a path parameter: GET /v1/api/referral/AB%00CD names `code`", async () => {
    const space = await createAppspace();
    const res = await call("GET", "/v1/api/referral/AB%00CD", { key: space.pk });
    expectNamed(res, "code");
  });

  it("in a text field: user_name with a NUL", async () => {
    const space = await createAppspace();
    expectNamed(await createRaw(space.pk, createBody({ user_name: '"Ja\\u0000ne"' })), "user_name");
  });

  it("in a text field: user_name with a lone surrogate", async () => {
    const space = await createAppspace();
    expectNamed(await createRaw(space.pk, createBody({ user_name: '"Ja\\ud800ne"' })), "user_name");
  });

  it("in jsonb: metadata.note with a lone surrogate, and with a NUL", async () => {
    const space = await createAppspace();
    expectNamed(await createRaw(space.pk, createBody({ metadata: '{"note":"x\\udc00y"}' })), "metadata.note");
    expectNamed(await createRaw(space.pk, createBody({ metadata: '{"note":"x\\u0000y"}' })), "metadata.note");
  });

  it("a valid surrogate pair (an emoji) is fine, in text and in jsonb", async () => {
    const space = await createAppspace();
    const res = await createRaw(
      space.pk,
      createBody({ user_name: '"J\\ud83d\\ude00"', metadata: '{"e":"\\ud83d\\ude00"}' }),
    );
    expect(res.status).toBe(200);
  });

  it("in appspace settings (jsonb): PATCH settings.og_title with a lone surrogate names settings.og_title", async () => {
    const space = await createAppspace();
    const res = await call("PATCH", `/v1/admin/appspaces/${space.id}`, {
      key: ADMIN_TOKEN,
      body: '{"settings":{"og_title":"Join \\ud800 me"}}',
    });
    expectNamed(res, "settings.og_title");
    // Nothing was stored.
    const after = await admin<{ settings: { og_title: string | null } }>("GET", `/appspaces/${space.id}`);
    expect(after.body.settings.og_title).toBeNull();
  });

  it("in appspace settings at creation: settings.og_title with a NUL", async () => {
    const res = await call("POST", "/v1/admin/appspaces", {
      key: ADMIN_TOKEN,
      body: `{"name":"input-${crypto.randomUUID()}","settings":{"og_title":"a\\u0000b"}}`,
    });
    expectNamed(res, "settings.og_title");
  });
});

const LIMIT = 64 * 1024;

/** A valid create body padded with whitespace to `size` bytes, as a chunked stream (no Content-Length). */
function chunkedCreate(key: string, size: number) {
  const head = `{"user_id":"${uniqueUser("stream")}"`;
  const text = `${head}${" ".repeat(size - head.length - 1)}}`;
  const bytes = new TextEncoder().encode(text);
  expect(bytes.byteLength).toBe(size);
  const chunk = 8 * 1024;
  let offset = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
  const request = new Request("https://api.test/v1/api/referral/create", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body,
  });
  expect(request.headers.get("content-length")).toBeNull();
  return exports.default.fetch(request);
}

describe("body limit on chunked bodies (no Content-Length)", () => {
  it("a stream over 64 KB is a 413 in the JSON error shape; the next request is served normally", async () => {
    const space = await createAppspace();
    // The same body would otherwise be a valid create (whitespace is valid JSON): only the limit refuses it.
    const res = await chunkedCreate(space.pk, 70 * 1024);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: expect.stringContaining("too large") });

    const next = await call("POST", "/v1/api/referral/create", { key: space.pk, body: { user_id: uniqueUser() } });
    expect(next.status).toBe(200);
    expect(next.body.referral_code).toEqual(expect.any(String));
  });

  it("a stream just under the limit is read whole and reaches the handler", async () => {
    const space = await createAppspace();
    const res = await chunkedCreate(space.pk, LIMIT - 16);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ referral_code: expect.any(String) });
  });
});

describe("class-22 backstop: a data exception raised by Postgres is a 400, not a 500", () => {
  /*
   * Request validation stops every request-borne value found to make Postgres raise a class-22
   * error (NUL and lone surrogates above; numbers, lengths and ids are all range-checked by the
   * schemas), so none reaches Postgres through HTTP alone. The stored settings are therefore
   * arranged in SQL (bypassing the settings schema) so that an ordinary, valid create makes
   * Postgres itself refuse a value: `max_referrals_per_user` reaches the statement as an `::int`
   * parameter, and 3 000 000 000 is out of range (SQLSTATE 22003). The real driver error, wrapped
   * by drizzle, goes through app.onError.
   */
  it("integer out of range (22003) inside the create statement answers 400 with the generic message", async () => {
    const space = await createAppspace();
    await sql(
      `update appspaces set settings = jsonb_set(settings, '{max_referrals_per_user}', '3000000000') where id = $1`,
      [space.id],
    );
    const res = await call("POST", "/v1/api/referral/create", { key: space.sk, body: { user_id: uniqueUser() } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: DATA_EXCEPTION_MESSAGE });
    // The message echoes neither SQL nor the value.
    expect(JSON.stringify(res.body)).not.toContain("3000000000");
  });

  it("isPgDataException: class 22 anywhere in the cause chain, and nothing else", () => {
    const pg = (code: string) => Object.assign(new Error("db"), { code });
    expect(isPgDataException(pg("22P02"))).toBe(true);
    expect(isPgDataException(new Error("drizzle: query failed", { cause: pg("22P02") }))).toBe(true);
    expect(isPgDataException(new Error("outer", { cause: new Error("middle", { cause: pg("22021") }) }))).toBe(true);
    expect(isPgDataException(pg("23505"))).toBe(false);
    expect(isPgDataException(new Error("drizzle", { cause: pg("40001") }))).toBe(false);
    expect(isPgDataException(Object.assign(new Error("node"), { code: "ECONNREFUSED" }))).toBe(false);
    expect(isPgDataException(new Error("no code"))).toBe(false);
  });
});
