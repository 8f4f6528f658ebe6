import { describe, expect, it } from "vitest";
import { call, createAppspace } from "../support/api";
import { createPromotion } from "../support/link-api";

describe("promotions", () => {
  it("create with defaults, get, list, update, archive", async () => {
    const space = await createAppspace();
    const created = await call("POST", "/v1/api/promotions", {
      key: space.sk,
      body: {
        name: "Spring",
        target_url: "https://shop.example.com/welcome?src=ref",
        reward_type: "credit",
        reward_value: 10,
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: "Spring",
      reward_receiver: "both",
      reward_type: "credit",
      reward_value: "10",
      referee_reward_type: "none",
      referee_reward_value: null,
      target_url: "https://shop.example.com/welcome?src=ref",
      allowed_hosts: ["shop.example.com"],
      product_id: null,
      starts_at: null,
      ends_at: null,
      attribution_days: 30,
      app_routing: false,
      email: { subject: null, text: null, html: null, from_name: null, reply_to: null },
      active: true,
      archived_at: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const id = created.body.id as string;
    expect((await call("GET", `/v1/api/promotions/${id}`, { key: space.sk })).body).toEqual(created.body);

    const updated = await call("PATCH", `/v1/api/promotions/${id}`, {
      key: space.sk,
      body: { name: "Summer", reward_receiver: "referrer", email: { subject: "Hi {{name}}" } },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      name: "Summer",
      reward_receiver: "referrer",
      email: { subject: "Hi {{name}}" },
    });

    const archived = await call("POST", `/v1/api/promotions/${id}/archive`, { key: space.sk });
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ active: false, archived_at: expect.any(String) });
    const again = await call("POST", `/v1/api/promotions/${id}/archive`, { key: space.sk });
    expect(again.body.archived_at).toBe(archived.body.archived_at);

    const listed = await call<{ promotions: { id: string }[] }>("GET", "/v1/api/promotions", { key: space.sk });
    expect(listed.body.promotions).toEqual([]);
    const all = await call<{ promotions: { id: string }[] }>("GET", "/v1/api/promotions?include_archived=true", {
      key: space.sk,
    });
    expect(all.body.promotions.map((p) => p.id)).toEqual([id]);
  });

  it("paginates newest first with a cursor, and only shows the caller's promotions", async () => {
    const space = await createAppspace();
    const other = await createAppspace();
    await createPromotion(other);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createPromotion(space, { name: `P${i}` })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { promotions: { id: string }[]; next_cursor: string | null } } = await call(
        "GET",
        `/v1/api/promotions?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        { key: space.sk },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.promotions.map((p) => p.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const bad = await call("GET", "/v1/api/promotions?cursor=nope", { key: space.sk });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ field: "cursor" });
    // Another appspace's promotion is not found.
    expect((await call("GET", `/v1/api/promotions/${ids[0]}`, { key: other.sk })).status).toBe(404);
  });

  it("refuses bad input with a 400 naming the field", async () => {
    const space = await createAppspace();
    const cases: [Record<string, unknown>, string][] = [
      [{ target_url: "https://shop.example.com" }, "name"],
      [{ name: "x", target_url: "http://shop.example.com" }, "target_url"],
      [{ name: "x", target_url: "https://shop.example.com", allowed_hosts: ["other.example.com"] }, "target_url"],
      [{ name: "x", target_url: "https://shop.example.com", reward_receiver: "nobody" }, "reward_receiver"],
      [{ name: "x", target_url: "https://shop.example.com", attribution_days: 0 }, "attribution_days"],
      [
        {
          name: "x",
          target_url: "https://shop.example.com",
          starts_at: "2027-01-02T00:00:00Z",
          ends_at: "2027-01-01T00:00:00Z",
        },
        "ends_at",
      ],
      [{ name: "x", target_url: "https://shop.example.com", email: { html: "<p>{{name}</p>" } }, "email.html"],
      [{ name: "x", target_url: "https://shop.example.com", email: { html: "<p>{{{name}}}</p>" } }, "email.html"],
      [{ name: "x", target_url: "https://shop.example.com", email: { subject: "{{password}}" } }, "email.subject"],
      [{ name: "x", target_url: "https://shop.example.com", colour: "red" }, "colour"],
    ];
    for (const [body, field] of cases) {
      const res = await call("POST", "/v1/api/promotions", { key: space.sk, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body, JSON.stringify(body)).toMatchObject({ code: "invalid_request", field });
    }
  });

  it("needs a secret key", async () => {
    const space = await createAppspace();
    const res = await call("POST", "/v1/api/promotions", {
      key: space.pk,
      body: { name: "x", target_url: "https://shop.example.com" },
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: "forbidden", error: expect.stringContaining("secret key") });
    expect((await call("GET", "/v1/api/promotions")).status).toBe(401);
  });
});
