import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createAppspace, createReferral, uniqueUser } from "./support/api";

/**
 * Request checks are strict and every refusal keeps the one JSON shape: an unknown field is a 400
 * naming it (a typo is never silently dropped), a body that isn't JSON is a 415 that says what to
 * send, and a documented path asked with the wrong method is a 405 with `Allow`.
 */
describe("unknown fields", () => {
  it("on every referral body: 400 naming the field, nothing stored", async () => {
    const space = await createAppspace();
    const user = uniqueUser("typo");
    const create = await call("POST", "/v1/api/referral/create", {
      key: space.pk,
      body: { user_id: user, userName: "Jane" },
    });
    expect([create.status, create.body]).toMatchObject([400, { error: "unknown field: userName", field: "userName" }]);
    const lookup = await call("GET", `/v1/api/referral/by-user/${encodeURIComponent(user)}`, { key: space.sk });
    expect(lookup.status === 404 || (lookup.body as { referrals?: unknown[] }).referrals?.length === 0).toBe(true);

    const ref = await createReferral(space);
    const bodies: [string, Record<string, unknown>, string][] = [
      [
        "/v1/api/referral/complete",
        { referral_code: ref.referral_code, referred_user_id: "f", referredUserId: "f" },
        "referredUserId",
      ],
      ["/v1/api/referral/milestone", { referral_code: ref.referral_code, milestone: "signed_up", note: "x" }, "note"],
      ["/v1/api/referral/claim-reward", { referral_code: ref.referral_code, extra: 1 }, "extra"],
    ];
    for (const [path, body, field] of bodies) {
      const res = await call("POST", path, { key: space.sk, body });
      expect([res.status, res.body], path).toMatchObject([400, { error: `unknown field: ${field}`, field }]);
    }
  });

  it("on the deferred match and webhook bodies too", async () => {
    const space = await createAppspace();
    const match = await call("POST", "/api/deferred/match", {
      key: space.pk,
      body: { timezone: "Europe/Berlin", language: "de-DE", screen_width: 393, screen_height: 852, screenWidth: 393 },
    });
    expect([match.status, match.body]).toMatchObject([
      400,
      { error: "unknown field: screenWidth", field: "screenWidth" },
    ]);
    const hook = await call("POST", `/v1/admin/appspaces/${space.id}/webhooks`, {
      key: ADMIN_TOKEN,
      body: { url: "https://example.com/hooks", event: ["*"] },
    });
    expect([hook.status, hook.body]).toMatchObject([400, { error: "unknown field: event", field: "event" }]);
  });
});

describe("content type", () => {
  it("a body that isn't declared JSON is a 415 in the error shape, saying what to send", async () => {
    const space = await createAppspace();
    for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
      const res = await call("POST", "/v1/api/referral/create", {
        key: space.pk,
        body: JSON.stringify({ user_id: "u" }),
        headers: { "content-type": type },
      });
      expect(res.status, type).toBe(415);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ error: "Request body must be JSON: send Content-Type: application/json" });
    }
  });
});

describe("methods", () => {
  it("a documented path with the wrong method is a 405 with Allow, not another route's answer", async () => {
    const space = await createAppspace();
    const get = await call("GET", "/v1/api/referral/create", { key: space.pk });
    expect([get.status, get.headers.get("allow"), get.body]).toMatchObject([
      405,
      "POST",
      { error: "Method GET not allowed on /v1/api/referral/create: use POST" },
    ]);
    const del = await call("DELETE", "/v1/admin/appspaces", { key: ADMIN_TOKEN });
    expect([del.status, del.headers.get("allow")]).toEqual([405, "GET, HEAD, POST"]);
    const put = await call("PUT", `/v1/admin/appspaces/${space.id}`, { key: ADMIN_TOKEN, body: {} });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toContain("PATCH");
    // Codes are still looked up, and unknown paths are still 404.
    const ref = await createReferral(space);
    expect((await call("GET", `/v1/api/referral/${ref.referral_code}`, { key: space.pk })).status).toBe(200);
    expect((await call("GET", "/v1/api/nothing", { key: space.pk })).status).toBe(404);
  });
});
