import { describe, expect, it } from "vitest";
import packageJson from "../package.json";
import { DOCS_ASSETS } from "../src/docs/page";
import { call } from "./support/api";

interface Operation {
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
  tags?: string[];
}

interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: Record<string, { type: string; scheme?: string; in?: string; name?: string }>;
    schemas: Record<string, Schema>;
  };
}

interface Schema {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, unknown>;
}

/** A schema's property names, following `$ref` and `allOf` (how `.extend()` is rendered). */
function propertiesOf(doc: OpenApiDoc, schema: Schema | undefined): string[] {
  if (!schema) return [];
  if (schema.$ref) return propertiesOf(doc, doc.components.schemas[schema.$ref.replace("#/components/schemas/", "")]);
  return [...Object.keys(schema.properties ?? {}), ...(schema.allOf ?? []).flatMap((s) => propertiesOf(doc, s))];
}

const REFERRAL_PATHS: [string, string][] = [
  ["/v1/api/referral/create", "post"],
  ["/v1/api/referral/leaderboard", "get"],
  ["/v1/api/referral/by-user/{userId}", "get"],
  ["/v1/api/referral/{code}", "get"],
  ["/v1/api/referral/milestone", "post"],
  ["/v1/api/referral/complete", "post"],
  ["/v1/api/referral/claim-reward", "post"],
  ["/v1/api/referral/claim-referee-reward", "post"],
];

const ADMIN_PATHS: [string, string][] = [
  ["/v1/admin/appspaces", "post"],
  ["/v1/admin/appspaces", "get"],
  ["/v1/admin/appspaces/{id}", "get"],
  ["/v1/admin/appspaces/{id}", "patch"],
  ["/v1/admin/appspaces/{id}/keys", "post"],
  ["/v1/admin/appspaces/{id}/keys", "get"],
  ["/v1/admin/keys/{id}", "delete"],
];

async function getDoc(): Promise<OpenApiDoc> {
  const res = await call<OpenApiDoc>("GET", "/openapi.json");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  return res.body;
}

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document, served without authentication", async () => {
    const doc = await getDoc();
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info.title).toBe("string");
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each(REFERRAL_PATHS)("lists the referral API's %s (%s), secured by API key", async (path, method) => {
    const doc = await getDoc();
    const op = doc.paths[path]?.[method];
    expect(op, `${method.toUpperCase()} ${path}`).toBeDefined();
    const schemes = (op?.security ?? []).flatMap((s) => Object.keys(s));
    expect(schemes).toContain("bearerKey");
    expect(schemes).toContain("apiKeyHeader");
    expect(schemes).not.toContain("adminToken");
  });

  it.each(ADMIN_PATHS)("lists the admin API's %s (%s), secured by the admin token", async (path, method) => {
    const doc = await getDoc();
    const op = doc.paths[path]?.[method];
    expect(op, `${method.toUpperCase()} ${path}`).toBeDefined();
    expect(op?.security).toEqual([{ adminToken: [] }]);
    expect(Object.keys(op?.responses ?? {})).toContain("401");
  });

  it("documents only the JSON API: /v1/api/*, /api/deferred and /v1/admin", async () => {
    const doc = await getDoc();
    for (const path of Object.keys(doc.paths)) {
      expect(path).toMatch(
        /^\/(v1\/(api\/(referral|promotions|links|conversions|users|emails|analytics)|admin)|api\/deferred)(\/|$)/,
      );
    }
    expect(
      Object.keys(doc.paths)
        .filter((p) => p.startsWith("/api/deferred/"))
        .sort(),
    ).toEqual(["/api/deferred/claim", "/api/deferred/claim-code", "/api/deferred/match"]);
    const admin = Object.keys(doc.paths).filter((p) => p.startsWith("/v1/admin/"));
    expect(admin.sort()).toEqual(
      [
        "/v1/admin/appspaces",
        "/v1/admin/appspaces/{id}",
        "/v1/admin/appspaces/{id}/keys",
        "/v1/admin/appspaces/{id}/identity-secret",
        "/v1/admin/keys/{id}",
        "/v1/admin/appspaces/{id}/webhooks",
        "/v1/admin/webhooks/{id}",
        "/v1/admin/webhooks/{id}/rotate-secret",
        "/v1/admin/webhooks/{id}/deliveries",
        "/v1/admin/webhooks/{id}/replay",
        "/v1/admin/webhooks/{id}/test",
      ].sort(),
    );
  });

  it("declares the security schemes", async () => {
    const { components } = await getDoc();
    expect(components.securitySchemes.bearerKey).toMatchObject({ type: "http", scheme: "bearer" });
    expect(components.securitySchemes.apiKeyHeader).toMatchObject({ type: "apiKey", in: "header", name: "X-API-Key" });
    expect(components.securitySchemes.adminToken).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("documents every appspace setting, and keys only in the create response", async () => {
    const doc = await getDoc();
    const props = (name: string) => propertiesOf(doc, doc.components.schemas[name]);
    const settings = props("AppspaceSettings");
    expect(settings.sort()).toEqual(
      [
        "expiration_days",
        "max_referrals_per_user",
        "milestones",
        "referee_reward_type",
        "referee_reward_value",
        "referrals_enabled",
        "reward_milestone",
        "reward_type",
        "reward_value",
        "ios_app_store_url",
        "android_package",
        "web_fallback_url",
        "og_title",
        "og_description",
        "og_image_url",
        "ios_pasteboard_claim",
        "match_window_minutes",
        "match_strategy",
        "match_min_confidence",
        "apple_team_id",
        "ios_bundle_ids",
        "android_sha256_cert_fingerprints",
        "require_user_hash",
      ].sort(),
    );
    expect(props("AppspaceSettingsPatch").sort()).toEqual(settings);
    const created = props("CreatedAppspace");
    expect(created).toEqual(
      expect.arrayContaining(["id", "name", "domains", "settings", "publishable_key", "secret_key"]),
    );
    const appspace = props("Appspace");
    expect(appspace).toEqual(expect.arrayContaining(["id", "name", "domains", "settings"]));
    expect(appspace).not.toContain("publishable_key");
    expect(appspace).not.toContain("secret_key");
    const keyInfo = props("ApiKey");
    expect(keyInfo).toEqual(expect.arrayContaining(["id", "type", "start", "revoked_at"]));
    expect(keyInfo).not.toContain("key");
    expect(keyInfo).not.toContain("key_hash");
  });
});

async function sha256Source(content: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(content)));
  return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
}

function parsePolicy(header: string | null): Map<string, string[]> {
  return new Map(
    (header ?? "")
      .split(";")
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name = "", ...sources]) => [name, sources]),
  );
}

describe("GET /docs", () => {
  it("returns the HTML API reference, pointing at /openapi.json", async () => {
    const res = await call<string>("GET", "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(typeof res.body).toBe("string");
    expect(res.body).toMatch(/<html/i);
    expect(res.body).toContain("/openapi.json");
  });

  it("loads nothing from another origin: its script and stylesheet are this Worker's", async () => {
    const { body } = await call<string>("GET", "/docs");
    // No absolute or protocol-relative URL anywhere in the page.
    expect(body).not.toMatch(/https?:|["'(]\/\//i);
    const sources = [...body.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"/gi)].map((m) => m[1]);
    expect(sources.sort()).toEqual(["/docs/favicon-32x32.png", "/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"]);
    // Swagger UI would otherwise send the document to validator.swagger.io.
    expect(body).toContain("validatorUrl:null");
  });

  it("has a strict Content-Security-Policy: same-origin code plus the initialiser's hash", async () => {
    const res = await call<string>("GET", "/docs");
    const header = res.headers.get("content-security-policy");
    expect(header).not.toMatch(/unsafe-|\*|https?:/);
    const policy = parsePolicy(header);
    const inline = [...res.body.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? "");
    expect(inline).toHaveLength(1);
    expect(policy.get("script-src")?.sort()).toEqual(["'self'", await sha256Source(inline[0] ?? "")].sort());
    expect(res.body).not.toMatch(/<style/i);
    expect(policy.get("style-src")).toEqual(["'self'"]);
    expect(policy.get("connect-src")).toEqual(["'self'"]);
    expect(policy.get("img-src")?.sort()).toEqual(["'self'", "data:"]);
    for (const name of ["default-src", "base-uri", "form-action", "frame-ancestors"]) {
      expect(policy.get(name), name).toEqual(["'none'"]);
    }
  });

  it("serves the pinned Swagger UI files itself (Workers static assets)", async () => {
    const pinned = packageJson.dependencies["swagger-ui-dist"];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    const bundle = await call<string>("GET", "/docs/swagger-ui-bundle.js");
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toMatch(/javascript/);
    expect(bundle.body).toContain("SwaggerUIBundle");
    expect(bundle.body).toContain(`PACKAGE_VERSION:"${pinned}"`);
    expect(bundle.headers.get("x-content-type-options")).toBe("nosniff");
    const css = await call<string>("GET", "/docs/swagger-ui.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toMatch(/text\/css/);
    expect(css.body).toContain(".swagger-ui");
  });

  it("serves every file it lists (so the copy step made them all), and nothing else", async () => {
    for (const file of DOCS_ASSETS) {
      const res = await call("GET", `/docs/${file}`);
      expect(res.status, file).toBe(200);
    }
    for (const path of ["/docs/swagger-ui-bundle.js.map", "/docs/index.html", "/docs/swagger-initializer.js"]) {
      const res = await call("GET", path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/application\/json/);
    }
  });
});
