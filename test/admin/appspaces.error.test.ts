import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, admin, call, createAppspace, sql, uniqueDomain } from "../support/api";
import { type AppspaceBody, DEFAULT_SETTINGS, type ErrorBody, expectBadRequest, uniqueName } from "./support";

const create = (body: unknown) => admin<ErrorBody>("POST", "/appspaces", body);

describe("POST /v1/admin/appspaces: invalid input is a 400 naming the field", () => {
  it("requires a name", async () => {
    expectBadRequest(await create({}), "name");
    expectBadRequest(await create({ domains: ["a.example.com"] }), "name");
  });

  it.each([
    ["empty", ""],
    ["blank", "   "],
    ["a number", 42],
    ["null", null],
    ["too long", "x".repeat(201)],
  ])("rejects a name that is %s", async (_label, name) => {
    expectBadRequest(await create({ name }), "name");
  });

  it("accepts a 200-character name (the limit)", async () => {
    const name = `${crypto.randomUUID()}${"n".repeat(164)}`;
    expect(name).toHaveLength(200);
    const res = await admin<AppspaceBody>("POST", "/appspaces", { name });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe(name);
  });

  it.each([
    ["a scheme", "https://links.example.com"],
    ["a port", "links.example.com:8443"],
    ["a path", "links.example.com/ref"],
    ["a query", "links.example.com?x=1"],
    ["a space", "links example.com"],
    ["an underscore", "links_x.example.com"],
    ["a leading hyphen", "-links.example.com"],
    ["an empty label", "links..example.com"],
    ["credentials", "user@links.example.com"],
    ["the empty string", ""],
  ])("rejects a domain with %s", async (_label, domain) => {
    expectBadRequest(await create({ name: uniqueName(), domains: [domain] }), "domains[0]");
  });

  it("names the index of the bad domain", async () => {
    const res = await create({
      name: uniqueName(),
      domains: ["ok.example.com", "good.example.org", "http://bad.example"],
    });
    expectBadRequest(res, "domains[2]");
  });

  it("rejects domains that are not a list of strings", async () => {
    expectBadRequest(await create({ name: uniqueName(), domains: "links.example.com" }), "domains");
    expectBadRequest(await create({ name: uniqueName(), domains: [42] }), "domains[0]");
  });

  it("rejects the same domain twice, even in different case", async () => {
    const res = await create({ name: uniqueName(), domains: ["a.example.com", "A.Example.com"] });
    expectBadRequest(res, "domains");
  });

  it.each([
    ["expiration_days", 0],
    ["expiration_days", 366],
    ["expiration_days", 1.5],
    ["expiration_days", "30"],
    ["expiration_days", null],
    ["referrals_enabled", "yes"],
    ["referrals_enabled", 1],
    ["max_referrals_per_user", 0],
    ["max_referrals_per_user", -1],
    ["max_referrals_per_user", 2.5],
    ["max_referrals_per_user", "10"],
    ["milestones", "signed_up"],
    ["milestones", ["signed_up", "signed_up"]],
    ["reward_milestone", ""],
    ["reward_milestone", "has space"],
    ["reward_type", "cash"],
    ["reward_type", null],
    ["referee_reward_type", "POINTS"],
    ["reward_value", true],
    ["reward_value", { amount: 1 }],
    ["referee_reward_value", [1]],
    ["reward_value", "x".repeat(65)],
  ])("rejects settings.%s = %j", async (key, value) => {
    const res = await create({ name: uniqueName(), settings: { [key]: value } });
    expectBadRequest(res, `settings.${key}`);
  });

  it("names the bad milestone's index", async () => {
    const res = await create({ name: uniqueName(), settings: { milestones: ["ok", "not ok"] } });
    expectBadRequest(res, "settings.milestones[1]");
  });

  it("rejects unknown setting keys, naming them", async () => {
    const res = await create({ name: uniqueName(), settings: { expiration_dayz: 10 } });
    expectBadRequest(res, "settings.expiration_dayz", /^settings/);
  });

  it("rejects settings that are not an object", async () => {
    expectBadRequest(await create({ name: uniqueName(), settings: "defaults" }), "settings");
    expectBadRequest(await create({ name: uniqueName(), settings: [] }), "settings");
  });

  it("creates nothing when the input is invalid", async () => {
    const name = uniqueName("rejected");
    const res = await create({ name, settings: { expiration_days: 0 } });
    expect(res.status).toBe(400);
    expect(await sql("select id from appspaces where name = $1", [name])).toHaveLength(0);
  });

  it("rejects malformed JSON with a 400 JSON error", async () => {
    const res = await call<ErrorBody>("POST", "/v1/admin/appspaces", { key: ADMIN_TOKEN, body: '{"name": ' });
    expect(res.status).toBe(400);
    expect(typeof res.body.error).toBe("string");
  });

  it("rejects a body that is not a JSON object", async () => {
    const res = await call<ErrorBody>("POST", "/v1/admin/appspaces", { key: ADMIN_TOKEN, body: "[1, 2]" });
    expect(res.status).toBe(400);
    expect(typeof res.body.error).toBe("string");
  });
});

describe("PATCH /v1/admin/appspaces/:id: invalid input", () => {
  it.each([
    [{ name: "" }, "name"],
    [{ name: "  " }, "name"],
    [{ name: null }, "name"],
    [{ domains: ["https://x.example.com"] }, "domains[0]"],
    [{ domains: ["ok.example.com", "bad:80"] }, "domains[1]"],
    [{ settings: { expiration_days: 0 } }, "settings.expiration_days"],
    [{ settings: { expiration_days: 400 } }, "settings.expiration_days"],
    [{ settings: { referrals_enabled: "false" } }, "settings.referrals_enabled"],
    [{ settings: { reward_type: "gift" } }, "settings.reward_type"],
    [{ settings: { milestones: ["a", "a"] } }, "settings.milestones"],
    [{ settings: { max_referrals_per_user: 0 } }, "settings.max_referrals_per_user"],
    [{ settings: { reward_milestone: null } }, "settings.reward_milestone"],
  ])("rejects %j naming %s", async (patch, field) => {
    const space = await createAppspace();
    expectBadRequest(await admin("PATCH", `/appspaces/${space.id}`, patch), field);
  });

  it("rejects unknown setting keys, naming them", async () => {
    const space = await createAppspace();
    const res = await admin("PATCH", `/appspaces/${space.id}`, { settings: { referals_enabled: false } });
    expectBadRequest(res, "settings.referals_enabled", /^settings/);
  });

  it("changes nothing when any part of the patch is invalid", async () => {
    const space = await createAppspace({ domains: [uniqueDomain("keep")], settings: { expiration_days: 12 } });
    const before = await admin<AppspaceBody>("GET", `/appspaces/${space.id}`);
    const res = await admin("PATCH", `/appspaces/${space.id}`, {
      name: uniqueName("should-not-stick"),
      domains: [uniqueDomain("other")],
      settings: { reward_type: "points", expiration_days: 0 },
    });
    expect(res.status).toBe(400);
    const after = await admin<AppspaceBody>("GET", `/appspaces/${space.id}`);
    expect(after.body).toEqual(before.body);
    expect(after.body.settings).toEqual({ ...DEFAULT_SETTINGS, expiration_days: 12 });
  });
});

describe("ids", () => {
  it.each([
    ["GET", "/appspaces/not-a-uuid"],
    ["PATCH", "/appspaces/not-a-uuid"],
    ["GET", "/appspaces/12345"],
    ["GET", "/appspaces/0b9f7c1e-8a51-4a55-9a3c-2b5a0c1f9e1"],
    ["GET", "/appspaces/0b9f7c1e-8a51-4a55-9a3c-2b5a0c1f9e11x"],
    ["GET", "/appspaces/'%20or%201=1--"],
  ])("%s %s → 400 naming id", async (method, path) => {
    const res = await admin(method, path, method === "PATCH" ? { name: "x" } : undefined);
    expectBadRequest(res, "id");
  });

  it("GET an unknown appspace → 404", async () => {
    const res = await admin("GET", `/appspaces/${crypto.randomUUID()}`);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: "Appspace not found" });
  });

  it("PATCH an unknown appspace → 404", async () => {
    const res = await admin("PATCH", `/appspaces/${crypto.randomUUID()}`, { name: uniqueName() });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: "Appspace not found" });
  });

  it("PATCH an unknown appspace with settings → 404", async () => {
    const res = await admin("PATCH", `/appspaces/${crypto.randomUUID()}`, { settings: { expiration_days: 5 } });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: "Appspace not found" });
  });
});

describe("list query", () => {
  it.each(["0", "501", "-1", "abc", "1.5"])("rejects limit=%s naming limit", async (limit) => {
    expectBadRequest(await admin("GET", `/appspaces?limit=${limit}`), "limit");
  });
});

describe("routing", () => {
  it("an unknown admin path is a JSON 404", async () => {
    const res = await admin<ErrorBody>("GET", "/nothing-here");
    expect(res.status).toBe(404);
    expect(typeof res.body.error).toBe("string");
  });

  it("DELETE on an appspace is not a route: 405 with the methods it has", async () => {
    const space = await createAppspace();
    const res = await admin("DELETE", `/appspaces/${space.id}`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, PATCH");
    const still = await admin("GET", `/appspaces/${space.id}`);
    expect(still.status).toBe(200);
  });
});

describe("decisions beyond the contract", () => {
  it("rejects misplaced fields instead of ignoring them (a setting outside `settings`)", async () => {
    const created = await admin<{ id: string }>("POST", "/appspaces", { name: "x", referrals_enabled: false });
    expect(created.status).toBe(400);
    expect(created.body).toMatchObject({ field: "referrals_enabled" });
    const space = await admin<{ id: string }>("POST", "/appspaces", { name: "x" });
    const patched = await admin("PATCH", `/appspaces/${space.body.id}`, { referrals_enabled: false });
    expect(patched.status).toBe(400);
    expect(patched.body.error).toContain("referrals_enabled");
  });

  it("names the unknown setting in `field`", async () => {
    const res = await admin("POST", "/appspaces", { name: "x", settings: { colour: "blue" } });
    expect(res.body).toMatchObject({ field: "settings.colour" });
  });

  it("rejects IP literals and single-label hosts as domains", async () => {
    for (const domain of ["203.0.113.7", "localhost"]) {
      const res = await admin("POST", "/appspaces", { name: "x", domains: [domain] });
      expect(res.status, domain).toBe(400);
      expect(res.body.field).toBe("domains[0]");
    }
  });

  it("stores an empty reward value as null", async () => {
    const res = await admin<{ settings: { reward_value: unknown } }>("POST", "/appspaces", {
      name: "x",
      settings: { reward_type: "custom", reward_value: "" },
    });
    expect(res.body.settings.reward_value).toBeNull();
  });
});
