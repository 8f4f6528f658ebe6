/**
 * Response headers on the JSON surface: every /v1/* answer is `Cache-Control: no-store` (keys,
 * webhook secrets and tenant data must not stay in a browser, proxy or CDN cache), whatever the
 * route and outcome; and JSON gets a Content-Security-Policy that lets nothing load or frame it.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_CSP, REDIRECT_HEADERS, SECURITY_HEADERS } from "../src/lib/security-headers";
import { ADMIN_TOKEN, admin, call, createAppspace, createReferral, uniqueUser } from "./support/api";
import { linkFixture, UA, visit } from "./support/links";
import { receiver } from "./support/webhooks";

const API_CSP = "default-src 'none'; frame-ancestors 'none'";

function expectNoStore(res: { status: number; headers: Headers }, what: string) {
  expect(res.headers.get("cache-control"), `${what} (${res.status})`).toBe("no-store");
}

describe("Cache-Control: no-store on /v1/*", () => {
  it("on the answers that carry secrets: appspace and key creation, webhook creation and rotation", async () => {
    const created = await call<{ id: string; secret_key: string }>("POST", "/v1/admin/appspaces", {
      key: ADMIN_TOKEN,
      body: { name: `headers-${crypto.randomUUID()}` },
    });
    expect(created.status).toBe(201);
    expect(created.body.secret_key).toMatch(/^sk_/);
    expectNoStore(created, "POST /v1/admin/appspaces");

    const id = created.body.id;
    const key = await admin("POST", `/appspaces/${id}/keys`, { type: "secret" });
    expect(key.status).toBe(201);
    expectNoStore(key, "POST /v1/admin/appspaces/:id/keys");

    const hook = await admin<{ id: string; secret: string }>("POST", `/appspaces/${id}/webhooks`, {
      url: receiver().url,
    });
    expect(hook.status).toBe(201);
    expect(hook.body.secret).toMatch(/^whsec_/);
    expectNoStore(hook, "POST /v1/admin/appspaces/:id/webhooks");

    const rotated = await admin("POST", `/webhooks/${hook.body.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expectNoStore(rotated, "POST /v1/admin/webhooks/:id/rotate-secret");

    for (const path of [`/appspaces/${id}`, `/appspaces/${id}/keys`, `/appspaces/${id}/webhooks`]) {
      const read = await admin("GET", path);
      expect(read.status).toBe(200);
      expectNoStore(read, `GET /v1/admin${path}`);
    }
  });

  it("on the referrals API, successes and errors alike", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space, { user_id: uniqueUser() });
    const lookup = await call("GET", `/v1/api/referral/${ref.referral_code}`, { key: space.pk });
    expect(lookup.status).toBe(200);
    expectNoStore(lookup, "GET /v1/api/referral/:code");

    const create = await call("POST", "/v1/api/referral/create", { key: space.pk, body: { user_id: uniqueUser() } });
    expect(create.status).toBe(200);
    expectNoStore(create, "POST /v1/api/referral/create");

    const invalid = await call("POST", "/v1/api/referral/create", { key: space.pk, body: {} });
    expect(invalid.status).toBe(400);
    expectNoStore(invalid, "400");

    const forbidden = await call("GET", "/v1/api/referral/leaderboard", { key: space.pk });
    expect(forbidden.status).toBe(403);
    expectNoStore(forbidden, "403");
  });

  it("on refusals and unknown paths: 401 without a key or token, 404", async () => {
    const unauthenticated = [
      await call("GET", "/v1/admin/appspaces"),
      await call("GET", "/v1/admin/appspaces", { key: "wrong-admin-token-0123456789" }),
      await call("POST", "/v1/api/referral/create", { body: { user_id: "x" } }),
    ];
    for (const res of unauthenticated) {
      expect(res.status).toBe(401);
      expectNoStore(res, "401");
    }
    const missing = await call("GET", "/v1/nothing-here");
    expect(missing.status).toBe(404);
    expectNoStore(missing, "404");
  });

  it("on the deferred-link API (a device's link), answers and refusals alike", async () => {
    const space = await createAppspace();
    const answers = [
      await call("GET", `/api/deferred/claim?token=${"t".repeat(32)}`, { key: space.pk }),
      await call("POST", "/api/deferred/match", { key: space.pk, body: { platform: "ios" } }),
      await call("GET", "/api/deferred/claim?token=x"),
    ];
    for (const res of answers) expectNoStore(res, `deferred ${res.status}`);
  });
});

describe("Content-Security-Policy on JSON", () => {
  it("lets nothing load or frame a JSON answer, API and public alike", async () => {
    const space = await createAppspace();
    const responses = [
      await admin("GET", `/appspaces/${space.id}`),
      await call("POST", "/v1/api/referral/create", { key: space.pk, body: {} }),
      await call("GET", "/v1/admin/appspaces"),
      await call("GET", "/openapi.json"),
      await call("GET", "/nothing-here"),
    ];
    for (const res of responses) {
      expect(res.headers.get("content-type")).toMatch(/application\/json/);
      expect(res.headers.get("content-security-policy"), String(res.status)).toBe(API_CSP);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });
});

/**
 * GET/HEAD /ref/:code answers outside the app (src/routes/links/ref.ts) with the middleware's
 * headers as constants: they must be exactly what the middleware sets — no header missing, none
 * with another value — on every page, HEAD and error; its redirects carry the subset that applies
 * to a bodiless 302 (REDIRECT_HEADERS).
 */
describe("security headers on /ref/:code, which skips the middleware", () => {
  /** Headers an answer has for reasons of its own, not security. */
  const OWN = new Set(["content-type", "content-length", "cache-control", "x-request-id", "location", "vary"]);

  it("equal the app's secureHeaders output on pages, HEAD and unknown codes; the redirect subset on 302s", async () => {
    const fromMiddleware = await call("GET", "/nothing-here");
    const expected = Object.fromEntries([...fromMiddleware.headers].filter(([name]) => !OWN.has(name)));
    expect(expected).toEqual(SECURITY_HEADERS);
    expect(Object.keys(REDIRECT_HEADERS).sort()).toEqual([
      "cross-origin-resource-policy",
      "referrer-policy",
      "strict-transport-security",
      "x-content-type-options",
    ]);
    for (const [name, value] of Object.entries(REDIRECT_HEADERS)) expect(value).toBe(SECURITY_HEADERS[name]);

    const { host, code } = await linkFixture();
    const answers = [
      await visit(`https://${host}/ref/${code}`, { ua: UA.desktop }),
      await visit(`https://${host}/ref/${code}`, { ua: UA.android }),
      await visit(`https://${host}/ref/${code}`, { ua: UA.iphone }),
      await visit(`https://${host}/ref/${code}`, { ua: UA.instagramIos }),
      await visit(`https://${host}/ref/${code}`, { ua: UA.facebookexternalhit }),
      await visit(`https://${host}/ref/${code}`, { ua: UA.desktop, method: "HEAD" }),
      await visit(`https://${host}/ref/ZZZZZZZZZZ`, { ua: UA.desktop }),
      await visit(`https://${host}/ref/not-a-code`, { ua: UA.desktop }),
    ];
    expect(answers.map((res) => res.status)).toEqual([302, 302, 200, 200, 200, 200, 302, 302]);
    for (const res of answers) {
      const redirected = res.status === 302;
      const own = Object.fromEntries([...res.headers].filter(([name]) => !OWN.has(name)));
      if (redirected) {
        expect(own, "a 302").toEqual(REDIRECT_HEADERS);
        continue;
      }
      // Pages bring their own policy (hashes of their inline code); everything else is the middleware's.
      const html = res.headers.get("content-type")?.startsWith("text/html") && res.body !== "";
      expect({ ...own, ...(html ? { "content-security-policy": DEFAULT_CSP } : {}) }, `a ${res.status}`).toEqual(
        SECURITY_HEADERS,
      );
    }
  });
});
