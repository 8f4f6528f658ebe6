import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import worker from "../../src";
import { ADMIN_TOKEN, admin, createAppspace, createReferral } from "../support/api";
import { receiver } from "../support/webhooks";

/**
 * Walks the Worker's own `/openapi.json` and throws generated requests at every operation: nasty
 * strings (NUL, lone surrogates, huge, odd unicode) in path params, query strings, headers and
 * JSON bodies (nested, keys included), wrong types, extra fields, broken JSON. Whatever comes in,
 * the answer is below 500 and every error is `{ "error": string }`.
 *
 * Deterministic (fixed seed) and bounded (RUNS per operation) so it stays well under a minute.
 * Everything it creates hangs off its own appspace; generated domains live under a name no other
 * test uses, and the only valid webhook URL it generates is its own endpoint on the loopback receiver.
 */

const SEED = 20_240_607;
/** Runs per operation. Admin routes share one API budget with every other test (1200/min): fewer. */
const RUNS = { admin: 25, api: 100 };

interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  example?: unknown;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  items?: Schema;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
}

interface Parameter {
  $ref?: string;
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  security?: Record<string, unknown>[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
}

interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas?: Record<string, Schema>; parameters?: Record<string, Parameter> };
}

interface Fixture {
  suffix: string;
  /** The loopback receiver: deliveries the fuzz triggers go nowhere else. */
  hookUrl: string;
  appspaceId: string;
  pk: string;
  sk: string;
  keyId: string;
  webhookId: string;
  code: string;
  userId: string;
}

interface GeneratedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((n) => String.fromCharCode(n));

/** The strings that broke things before, and their relatives. */
const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "AB\u0000CD",
    "\ud800",
    "x\udc00y",
    "\ud83d\ude00",
    "\u202e\ufeff\u200b",
    "null",
    "-1",
    "1e309",
    "NaN",
    "../../etc/passwd",
    "%00",
    "%",
    "<script>alert(1)</script>",
    "' or 1=1 --",
    "$1",
    "https://",
    "https://apps.apple.com\u0000.evil",
    "x".repeat(300),
    "é".repeat(5000),
  ),
  fc.string({ unit: "binary", maxLength: 24 }),
  fc.string({ unit: fc.oneof(lone, fc.constantFrom("\u0000", "a", "é", "\ud83d\ude00")), maxLength: 8 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
);

const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: "small" },
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(nastyString, nastyString, { maxKeys: 3 }),
  fc.array(nastyString, { maxLength: 3 }),
  fc.constantFrom(null, true, 0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, [], {}),
);

function resolve(doc: OpenApiDoc, schema: Schema): Schema {
  let current = schema;
  for (let i = 0; current.$ref && i < 10; i++) {
    const name = current.$ref.split("/").pop() ?? "";
    current = doc.components.schemas?.[name] ?? {};
  }
  return current;
}

/**
 * Values for a schema. `plausible`: only values of the right shape (what a real client sends),
 * the base that `inject` then spoils in one place, so the spoiled string gets past every other
 * check and reaches what stores it. Otherwise each leaf is sometimes nasty or of the wrong type.
 */
function fromSchema(
  doc: OpenApiDoc,
  raw: Schema,
  fixture: Fixture,
  plausible: boolean,
  name = "",
  depth = 0,
): fc.Arbitrary<unknown> {
  const schema = resolve(doc, raw);
  const choices: fc.Arbitrary<unknown>[] = [];
  if (schema.enum) choices.push(fc.constantFrom(...schema.enum));
  if (schema.const !== undefined) choices.push(fc.constant(schema.const));
  // Examples are real-looking values; a webhook URL's example host must not be called.
  if (schema.example !== undefined && name !== "url") choices.push(fc.constant(schema.example));
  for (const alt of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) {
    choices.push(fromSchema(doc, alt, fixture, plausible, name, depth + 1));
  }
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  // With an example or an enum, a plausible value is one of those (random text would fail a refinement).
  const typed = !plausible || choices.length === 0;
  for (const type of typed ? types : []) {
    if (type === "null") choices.push(fc.constant(null));
    if (type === "boolean") choices.push(fc.boolean());
    if (type === "integer" || type === "number") {
      choices.push(fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 }));
      if (!plausible) choices.push(fc.constantFrom(0, -1, 1e21, 0.5, Number.MAX_SAFE_INTEGER));
    }
    if (type === "string") choices.push(stringFor(schema, fixture, name, plausible));
    if (type === "array" && depth < 4) {
      const items =
        name === "domains" || name === "allowed_hosts"
          ? domain(fixture, plausible)
          : fromSchema(doc, schema.items ?? {}, fixture, plausible, name, depth + 1);
      choices.push(fc.array(items, { maxLength: Math.min(schema.maxItems ?? 4, 4) }));
    }
    if (type === "object" && depth < 4) choices.push(objectFor(doc, schema, fixture, plausible, depth));
  }
  if (choices.length === 0) choices.push(plausible ? fc.string({ maxLength: 12 }) : anyJson);
  if (plausible) return fc.oneof(...choices);
  const wrong = depth > 3 ? fc.constant(null) : anyJson;
  return fc.oneof({ arbitrary: fc.oneof(...choices), weight: 4 }, { arbitrary: wrong, weight: 1 });
}

function objectFor(
  doc: OpenApiDoc,
  schema: Schema,
  fixture: Fixture,
  plausible: boolean,
  depth: number,
): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const known = Object.fromEntries(
    Object.entries(properties).map(([key, value]) => [key, fromSchema(doc, value, fixture, plausible, key, depth + 1)]),
  );
  const base = fc.record(known, { requiredKeys: Object.keys(properties).filter((k) => required.has(k)) });
  const freeForm = schema.additionalProperties !== undefined && schema.additionalProperties !== false;
  if (plausible && !freeForm) return base;
  // Free-form records (metadata) get keys and nested values; any object gets extra fields sometimes.
  const extra = plausible
    ? fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 })
    : fc.dictionary(nastyString, anyJson, { maxKeys: freeForm ? 4 : 1 });
  return fc.tuple(base, fc.option(extra, { freq: 3 })).map(([known, more]) => ({ ...(more ?? {}), ...known }));
}

/** `value` with one string (a value or an object key, at any depth) replaced by `nasty`. */
function inject(value: unknown, nasty: string, pick: number): unknown {
  const copy = structuredClone(value);
  const slots: (() => void)[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        if (typeof child === "string") slots.push(() => (node[i] = nasty));
        else walk(child);
      });
    } else if (node && typeof node === "object") {
      const record = node as Record<string, unknown>;
      for (const [key, child] of Object.entries(record)) {
        slots.push(() => {
          delete record[key];
          record[nasty] = child;
        });
        if (typeof child === "string") slots.push(() => (record[key] = nasty));
        else walk(child);
      }
    }
  };
  walk(copy);
  const slot = slots[pick % Math.max(slots.length, 1)];
  if (!slot) return typeof copy === "string" ? nasty : copy;
  slot();
  return copy;
}

/** Domains only under this run's own suffix (or invalid): a valid generated one can't take another test's. */
const domain = (fixture: Fixture, plausible: boolean) => {
  const own = fc.stringMatching(/^[a-z0-9]{1,10}$/).map((label) => `${label}.${fixture.suffix}.fuzz.test`);
  return plausible ? own : fc.oneof(own, nastyString);
};

function stringFor(schema: Schema, fixture: Fixture, name: string, plausible: boolean): fc.Arbitrary<string> {
  const valid: fc.Arbitrary<string>[] = [];
  // Webhook URLs: only the loopback receiver (deliveries must not leave the machine).
  if (name === "url") valid.push(fc.constant(fixture.hookUrl));
  else if (schema.format === "uuid") valid.push(fc.uuid());
  else if (schema.format === "uri") valid.push(fc.webUrl(), fc.constant("https://apps.apple.com/app/id1"));
  else if (schema.format === "email") valid.push(fc.emailAddress());
  else if (schema.pattern) valid.push(fc.stringMatching(new RegExp(schema.pattern)));
  else valid.push(fc.string({ maxLength: schema.maxLength ? Math.min(schema.maxLength, 40) : 40 }));
  if (name === "referral_code" || name === "code") valid.push(fc.constant(fixture.code));
  if (name.includes("user_id") || name === "userId") valid.push(fc.constant(fixture.userId));
  return plausible ? fc.oneof(...valid) : fc.oneof(...valid, nastyString);
}

const asText = (value: unknown) => (typeof value === "string" ? value : (JSON.stringify(value) ?? ""));

/** encodeURIComponent throws on lone surrogates; a client could still send their UTF-8-ish bytes. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(value.replace(/\p{Cs}/gu, "\ufffd")).replace(/%EF%BF%BD/g, "%ED%A0%80");
  }
}

function pathParam(name: string, fixture: Fixture, path: string): fc.Arbitrary<string> {
  const real: string[] = [];
  if (name === "id" && path.includes("/keys/")) real.push(fixture.keyId);
  else if (name === "id" && path.includes("/webhooks/")) real.push(fixture.webhookId);
  else if (name === "id") real.push(fixture.appspaceId);
  if (name === "code") real.push(fixture.code);
  if (name === "userId") real.push(fixture.userId);
  return fc.oneof(fc.constantFrom(...(real.length ? real : ["x"])), fc.uuid(), nastyString).map(encode);
}

/** Header values: what a client can actually send (HTTP refuses NUL, CR and LF in a header). */
const headerValue = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((n) => String.fromCharCode(n)), maxLength: 40 }),
  fc.constantFrom("", " ", "x".repeat(300), "%00", "\\u0000"),
);

const rawBody = fc.constantFrom("{", "[]", "null", '"x"', '{"a":}', "\u0000", `${"[".repeat(5000)}${"]".repeat(5000)}`);

function operationRequest(
  doc: OpenApiDoc,
  method: string,
  template: string,
  op: Operation,
  fixture: Fixture,
): fc.Arbitrary<GeneratedRequest> {
  const params = (op.parameters ?? []).map((p) =>
    p.$ref ? (doc.components.parameters?.[p.$ref.split("/").pop() ?? ""] ?? p) : p,
  );
  const pathParams = params.filter((p) => p.in === "path");
  const queryParams = params.filter((p) => p.in === "query");
  const headerParams = params.filter((p) => p.in === "header");
  const adminOnly = (op.security ?? []).some((s) => "adminToken" in s);
  const auth = adminOnly
    ? fc.constantFrom<Record<string, string>>({ authorization: `Bearer ${ADMIN_TOKEN}` })
    : fc.oneof(
        { arbitrary: fc.constant({ authorization: `Bearer ${fixture.sk}` }), weight: 6 },
        { arbitrary: fc.constant({ "x-api-key": fixture.pk }), weight: 3 },
        { arbitrary: headerValue.map((v) => ({ authorization: `Bearer sk_${v}` })), weight: 1 },
      );
  const path = fc
    .tuple(...pathParams.map((p) => pathParam(p.name, fixture, template)))
    .map((values) => pathParams.reduce((acc, p, i) => acc.replace(`{${p.name}}`, values[i] ?? ""), template));
  const query = fc
    .tuple(
      ...queryParams.map((p) =>
        fc.option(fc.oneof(fromSchema(doc, p.schema ?? {}, fixture, false, p.name).map(asText), nastyString), {
          freq: 3,
        }),
      ),
      fc.option(fc.tuple(nastyString, nastyString), { freq: 4 }),
    )
    .map((values) => {
      const pairs: string[] = [];
      queryParams.forEach((p, i) => {
        const v = values[i];
        if (typeof v === "string") pairs.push(`${encode(p.name)}=${encode(v)}`);
      });
      const extra = values[queryParams.length];
      if (Array.isArray(extra)) pairs.push(`${encode(String(extra[0]))}=${encode(String(extra[1]))}`);
      return pairs.length ? `?${pairs.join("&")}` : "";
    });
  const headers = fc
    .tuple(...headerParams.map(() => fc.option(headerValue, { freq: 2 })))
    .map((values) =>
      Object.fromEntries(
        headerParams.flatMap((p, i) => (typeof values[i] === "string" ? [[p.name.toLowerCase(), values[i]]] : [])),
      ),
    );
  const schema = op.requestBody?.content?.["application/json"]?.schema;
  const body: fc.Arbitrary<{ text?: string; type?: string }> =
    method === "get"
      ? fc.constant({})
      : schema
        ? fc.oneof(
            {
              arbitrary: fc
                .tuple(fromSchema(doc, schema, fixture, true), nastyString, fc.nat())
                .map(([v, nasty, pick]) => ({ text: JSON.stringify(inject(v, nasty, pick)) ?? "null" })),
              weight: 6,
            },
            {
              arbitrary: fromSchema(doc, schema, fixture, false).map((v) => ({ text: JSON.stringify(v) ?? "null" })),
              weight: 4,
            },
            { arbitrary: rawBody.map((text) => ({ text })), weight: 1 },
            { arbitrary: nastyString.map((text) => ({ text, type: "text/plain" })), weight: 1 },
          )
        : fc.oneof(
            { arbitrary: fc.constant({}), weight: 4 },
            { arbitrary: anyJson.map((v) => ({ text: JSON.stringify(v) })), weight: 1 },
          );
  return fc.record({ auth, path, query, headers, body }).map((r) => ({
    method: method.toUpperCase(),
    path: `${r.path}${r.query}`,
    headers: {
      ...r.auth,
      ...r.headers,
      // Its own client address: the fuzz's failed authentications count against no other test.
      "cf-connecting-ip": `198.51.100.${fixture.suffix.length % 200}`,
      ...(r.body.text !== undefined ? { "content-type": r.body.type ?? "application/json" } : {}),
    },
    body: r.body.text,
  }));
}

/**
 * The Worker's own fetch handler, called directly inside workerd. Not `exports.default.fetch`:
 * under vitest-pool-workers 0.15 every call through it gets slower than the last (measured:
 * 100 requests to a 404 took 0.3 s, then 1.1 s, then 2.3 s), which would put a fuzz of this size
 * past a minute. Same handler, same middleware; background work is awaited per request.
 */
async function send(request: GeneratedRequest) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`https://api.test${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    }),
    env,
    ctx,
  );
  const text = await response.text();
  await waitOnExecutionContext(ctx);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

async function fixture(): Promise<Fixture> {
  const suffix = crypto.randomUUID().slice(0, 8);
  const space = await createAppspace({ domains: [`links.${suffix}.fuzz.test`] });
  const key = await admin<{ id: string }>("POST", `/appspaces/${space.id}/keys`, { type: "publishable" });
  const hookUrl = receiver(`fuzz-${suffix}`).url;
  const hook = await admin<{ id: string }>("POST", `/appspaces/${space.id}/webhooks`, { url: hookUrl });
  if (key.status !== 201 || hook.status !== 201) throw new Error(`fixture: ${key.status} ${hook.status}`);
  const userId = `fuzz_${suffix}`;
  const { referral_code } = await createReferral(space, { user_id: userId });
  return {
    suffix,
    hookUrl,
    appspaceId: space.id,
    pk: space.pk,
    sk: space.sk,
    keyId: key.body.id,
    webhookId: hook.body.id,
    code: referral_code,
    userId,
  };
}

describe("fuzz: every operation in /openapi.json", () => {
  it("answers every generated request below 500, errors as { error }", async () => {
    const spec = await send({ method: "GET", path: "/openapi.json", headers: {} });
    expect(spec.status).toBe(200);
    const doc = spec.json as OpenApiDoc;
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method, path, op })),
    );
    // The fuzz means nothing if the spec came back (nearly) empty.
    expect(operations.length).toBeGreaterThanOrEqual(20);
    const data = await fixture();
    const failures: string[] = [];
    const reachedHandler = new Map<string, boolean>();
    for (const { method, path, op } of operations) {
      const name = `${method.toUpperCase()} ${path}`;
      reachedHandler.set(name, false);
      const result = await fc.check(
        fc.asyncProperty(operationRequest(doc, method, path, op, data), async (request) => {
          const res = await send(request);
          if (res.status !== 401 && res.status !== 403 && res.status !== 429) reachedHandler.set(name, true);
          if (res.status >= 500) return false;
          if (res.status >= 400) {
            const body = res.json as { error?: unknown } | undefined;
            if (typeof body?.error !== "string") return false;
          }
          return true;
        }),
        { seed: SEED, numRuns: path.startsWith("/v1/admin") ? RUNS.admin : RUNS.api, endOnFailure: true },
      );
      if (result.failed) {
        const request = result.counterexample?.[0];
        const res = request ? await send(request) : undefined;
        failures.push(`${name}: ${JSON.stringify(request)} → ${res?.status} ${res?.text.slice(0, 300)}`);
      }
    }
    expect(failures).toEqual([]);
    // Each operation got past authentication at least once, so validation and handlers were exercised.
    expect([...reachedHandler].filter(([, reached]) => !reached).map(([name]) => name)).toEqual([]);
  }, 120_000);
});
