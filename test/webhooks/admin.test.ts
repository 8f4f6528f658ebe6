import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, admin, call, createAppspace, sql } from "../support/api";
import { receiver, subscribe } from "../support/webhooks";

const MISSING = "00000000-0000-4000-8000-000000000000";

describe("webhook endpoints: happy paths", () => {
  it("creates an endpoint subscribed to all events by default, showing the secret once", async () => {
    const space = await createAppspace();
    const rx = receiver();
    const res = await admin<Record<string, unknown>>("POST", `/appspaces/${space.id}/webhooks`, { url: rx.url });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ url: rx.url, events: ["*"], active: true, appspace_id: space.id });
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const list = await admin<{ webhooks: Record<string, unknown>[] }>("GET", `/appspaces/${space.id}/webhooks`);
    expect(list.body.webhooks).toHaveLength(1);
    expect(list.body.webhooks[0]?.id).toBe(res.body.id);
    expect(JSON.stringify(list.body)).not.toContain(String(res.body.secret));
  });

  it("patches url, events and active; re-activating clears the disabled reason", async () => {
    const space = await createAppspace();
    const { hook } = await subscribe(space);
    await sql("update webhook_endpoints set active = false, disabled_reason = 'gone' where id = $1", [hook.id]);
    const other = receiver();
    const res = await admin("PATCH", `/webhooks/${hook.id}`, {
      url: other.url,
      events: ["referral.completed", "referral.created"],
      active: true,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      url: other.url,
      events: ["referral.completed", "referral.created"],
      active: true,
      disabled_reason: null,
    });
  });

  it("deletes an endpoint and its log", async () => {
    const space = await createAppspace();
    const { hook } = await subscribe(space);
    expect((await admin("DELETE", `/webhooks/${hook.id}`)).body).toEqual({ id: hook.id, deleted: true });
    expect((await admin("DELETE", `/webhooks/${hook.id}`)).status).toBe(404);
    expect((await admin("GET", `/webhooks/${hook.id}/deliveries`)).status).toBe(404);
  });
});

describe("webhook endpoints: errors", () => {
  it.each([
    [{}, "url", /url is required/],
    [{ url: "ftp://example.com/x" }, "url", /https/],
    [{ url: "https://user:pw@example.com/x" }, "url", /credentials/],
    [{ url: "nonsense" }, "url", /absolute URL/],
    [{ url: "https://example.com/x", events: [] }, "events", /events/],
    [{ url: "https://example.com/x", events: ["referral.exploded"] }, "events[0]", /events\[0\]/],
    [{ url: "https://example.com/x", events: ["*", "*"] }, "events", /repeat/],
    [{ url: "https://example.com/x", secret: "mine" }, "secret", /unknown field/],
  ])("400 for %j", async (body, field, message) => {
    const space = await createAppspace();
    const res = await admin("POST", `/appspaces/${space.id}/webhooks`, body);
    expect(res.status).toBe(400);
    expect(res.body.field).toBe(field);
    expect(res.body.error).toMatch(message);
  });

  it("404s name what is missing", async () => {
    expect(
      (await admin("POST", `/appspaces/${MISSING}/webhooks`, { url: "https://example.com/x" })).body,
    ).toMatchObject({
      error: "Appspace not found",
    });
    expect((await admin("GET", `/appspaces/${MISSING}/webhooks`)).status).toBe(404);
    for (const [method, path, body] of [
      ["PATCH", `/webhooks/${MISSING}`, { active: false }],
      ["DELETE", `/webhooks/${MISSING}`, undefined],
      ["GET", `/webhooks/${MISSING}/deliveries`, undefined],
      ["POST", `/webhooks/${MISSING}/rotate-secret`, undefined],
      ["POST", `/webhooks/${MISSING}/test`, undefined],
    ] as const) {
      const res = await admin(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body).toMatchObject({ error: "Webhook not found" });
    }
  });

  it("replay needs an event of the endpoint's own appspace", async () => {
    const space = await createAppspace();
    const other = await createAppspace();
    const { hook } = await subscribe(space);
    const [foreign] = await sql<{ id: string }>(
      "insert into events (appspace_id, type, data) values ($1, 'referral.created', '{}') returning id",
      [other.id],
    );
    const res = await admin("POST", `/webhooks/${hook.id}/replay`, { event_id: foreign?.id });
    expect(res.status).toBe(404);
    const bad = await admin("POST", `/webhooks/${hook.id}/replay`, { event_id: "nope" });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe("event_id");
  });
});

describe("webhook endpoints: security", () => {
  it("every webhook route needs the admin token; API keys don't do", async () => {
    const space = await createAppspace();
    const { hook } = await subscribe(space);
    const routes: [string, string][] = [
      ["POST", `/v1/admin/appspaces/${space.id}/webhooks`],
      ["GET", `/v1/admin/appspaces/${space.id}/webhooks`],
      ["PATCH", `/v1/admin/webhooks/${hook.id}`],
      ["DELETE", `/v1/admin/webhooks/${hook.id}`],
      ["GET", `/v1/admin/webhooks/${hook.id}/deliveries`],
      ["POST", `/v1/admin/webhooks/${hook.id}/replay`],
      ["POST", `/v1/admin/webhooks/${hook.id}/test`],
      ["POST", `/v1/admin/webhooks/${hook.id}/rotate-secret`],
    ];
    for (const [method, path] of routes) {
      for (const key of [undefined, space.sk, `${ADMIN_TOKEN}x`]) {
        const res = await call(method, path, { key, body: method === "GET" ? undefined : {} });
        expect(res.status, `${method} ${path}`).toBe(401);
      }
    }
    // Nothing changed.
    const list = await admin<{ webhooks: unknown[] }>("GET", `/appspaces/${space.id}/webhooks`);
    expect(list.body.webhooks).toHaveLength(1);
  });

  it("the signing secret is never returned after creation", async () => {
    const space = await createAppspace();
    const { hook } = await subscribe(space);
    for (const res of [
      await admin("GET", `/appspaces/${space.id}/webhooks`),
      await admin("PATCH", `/webhooks/${hook.id}`, { active: true }),
      await admin("GET", `/webhooks/${hook.id}/deliveries`),
    ]) {
      expect(JSON.stringify(res.body)).not.toContain(hook.secret);
      expect(JSON.stringify(res.body)).not.toContain("whsec_");
    }
  });
});
