import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";

export const ADMIN_TOKEN = "test-admin-token-0123456789";

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export interface CallOptions {
  body?: unknown;
  /** An API key sent as `Authorization: Bearer`, or the admin token for admin routes. */
  key?: string;
  headers?: Record<string, string>;
}

/** Calls the Worker through its public HTTP surface (the real `fetch` handler, in workerd). */
export async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] ??= "application/json";
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  }
  const response = await exports.default.fetch(new Request(`https://api.test${path}`, { method, headers, body }));
  // Binary answers (a PNG asset) are read as bytes: workerd warns when one is read as text.
  const type = response.headers.get("content-type") ?? "";
  const binary = /^(image|font|audio|video)\/|^application\/octet-stream/.test(type);
  let text = "";
  if (binary) await response.arrayBuffer();
  else text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (HTML docs page): keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

export const admin = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
  call<T>(method, `/v1/admin${path}`, { key: ADMIN_TOKEN, body });

export interface TestAppspace {
  id: string;
  pk: string;
  sk: string;
  domains: string[];
}

let counter = 0;

/** A fresh tenant per test: tests never share data, so order never matters. */
export async function createAppspace(
  options: { domains?: string[]; settings?: Record<string, unknown>; name?: string } = {},
): Promise<TestAppspace> {
  const res = await admin<{ id: string; publishable_key: string; secret_key: string; domains: string[] }>(
    "POST",
    "/appspaces",
    {
      name: options.name ?? `test-${++counter}-${crypto.randomUUID()}`,
      domains: options.domains,
      settings: options.settings,
    },
  );
  if (res.status !== 201) throw new Error(`createAppspace: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, pk: res.body.publishable_key, sk: res.body.secret_key, domains: res.body.domains };
}

export const uniqueUser = (label = "user") => `${label}_${crypto.randomUUID().slice(0, 8)}`;

/**
 * A link domain no other test (nor an earlier run against the same database) holds: a domain
 * belongs to one appspace only, so fixed names would collide across tests.
 */
export const uniqueDomain = (label = "links") => `${label}-${crypto.randomUUID().slice(0, 12)}.example.com`;

export async function createReferral(
  space: TestAppspace,
  body: Record<string, unknown> = {},
  key = space.pk,
): Promise<{ referral_code: string; referral_url: string | null; referral_id: string }> {
  const res = await call<{ referral_code: string; referral_url: string | null; referral_id: string }>(
    "POST",
    "/v1/api/referral/create",
    { key, body: { user_id: uniqueUser("referrer"), ...body } },
  );
  if (res.status !== 200) throw new Error(`createReferral: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * Direct SQL through the same gateway the Worker uses — only to *arrange* what the HTTP
 * surface cannot (moving a referral back in time to test lazy expiry) and to inspect what was
 * stored (no raw IPs, outbox rows). Never used to fake an API result.
 */
export async function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
  const response = await fetch(env.NEON_LOCAL_ENDPOINT, {
    method: "POST",
    // The gateway answers only requests carrying its password, as the Neon driver sends it.
    headers: { "content-type": "application/json", "neon-connection-string": env.DATABASE_URL },
    body: JSON.stringify({ query, params }),
  });
  const result = (await response.json()) as { fields: { name: string }[]; rows: unknown[][]; message?: string };
  if (!response.ok) throw new Error(`sql: ${result.message}`);
  return result.rows.map((row) => Object.fromEntries(result.fields.map((f, i) => [f.name, row[i]])) as T);
}

export const isPostgres = () => env.DATABASE_BACKEND === "postgres";

/** Moves a referral back in time by `days` (the HTTP surface can't wait for expiry). */
export async function ageReferral(code: string, days: number): Promise<void> {
  await sql(
    `update referrals set created_at = created_at - make_interval(days => $2::int),
                          expires_at = expires_at - make_interval(days => $2::int)
      where code = $1`,
    [code, days],
  );
}

/** The same Worker environment with the database away: the gateway's address refuses connections. */
export const databaseDown = <E extends object>(environment: E): E =>
  ({ ...environment, NEON_LOCAL_ENDPOINT: "http://127.0.0.1:9/sql" }) as E;
