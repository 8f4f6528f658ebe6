import { describe, expect, it } from "vitest";
import { call, createAppspace, isPostgres, sql } from "../support/api";
import { createLink, createPromotion, linkApiSpace, uniqueEmail } from "../support/link-api";

describe("POST /v1/api/links", () => {
  it("signs up the user, creates the link, records consent, queues the email — then reuses it", async () => {
    const { space, domain, promotionId } = await linkApiSpace();
    const email = uniqueEmail();
    const first = await createLink(space, {
      email: `  ${email.toUpperCase()} `,
      promotion_id: promotionId,
      consent: { granted: true, text_version: "2026-01" },
      name: "Ann",
    });
    expect(first.status).toBe(201);
    const code = first.body.link.code;
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    expect(first.body).toEqual({
      user: { id: expect.any(String), email, created: true },
      link: { code, url: `https://${domain}/ref/${code}`, created: true },
      promotion_id: promotionId,
      reward_receiver: "both",
      target_url: "https://shop.example.com/welcome",
      email: { status: "queued" },
    });

    const repeat = await createLink(space, { email, promotion_id: promotionId });
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual({
      ...first.body,
      user: { ...first.body.user, created: false },
      link: { ...first.body.link, created: false },
      email: { status: "skipped" },
    });

    const consents = await sql<{ text_version: string | null; source: string }>(
      "select text_version, source from consents where user_id = $1 order by granted_at",
      [first.body.user.id],
    );
    expect(consents.map((c) => c.text_version)).toEqual(["2026-01", null]);
    expect(consents[0]?.source).toMatch(/^api:links/);
    const emails = await sql<{ to_address: string; link_code: string }>(
      "select to_address, link_code from emails where user_id = $1",
      [first.body.user.id],
    );
    expect(emails).toEqual([{ to_address: email, link_code: code }]);
    const events = await sql<{ data: string }>(
      "select data::text as data from events where appspace_id = $1 and type = 'link.created'",
      [space.id],
    );
    expect(events.map((e) => JSON.parse(e.data))).toEqual([
      {
        link_code: code,
        user_id: first.body.user.id,
        promotion_id: promotionId,
        link_url: `https://${domain}/ref/${code}`,
      },
    ]);

    const detail = await call("GET", `/v1/api/links/${code.toLowerCase()}`, { key: space.sk });
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ code, user_id: first.body.user.id, clicks: 0, referrals: 0, conversions: 0 });

    const user = await call("GET", `/v1/api/users/${first.body.user.id}`, { key: space.sk });
    expect(user.body).toMatchObject({ id: first.body.user.id, email, name: "Ann", unsubscribed_at: null });
    const byEmail = await call("GET", `/v1/api/users?email=${encodeURIComponent(email.toUpperCase())}`, {
      key: space.sk,
    });
    expect(byEmail.body).toMatchObject({ id: first.body.user.id });
  });

  it("one link per user and promotion; another promotion gets another link", async () => {
    const { space, promotionId } = await linkApiSpace();
    const other = await createPromotion(space, { name: "Other" });
    const email = uniqueEmail();
    const a = await createLink(space, { email, promotion_id: promotionId });
    const b = await createLink(space, { email, promotion_id: other.id, send_email: false });
    expect(b.status).toBe(201);
    expect(b.body.user).toEqual({ ...a.body.user, created: false });
    expect(b.body.link.code).not.toBe(a.body.link.code);
    expect(b.body.email.status).toBe("skipped");
  });

  it("refuses without consent and stores nothing", async () => {
    const { space, promotionId } = await linkApiSpace();
    const email = uniqueEmail();
    for (const consent of [undefined, false, { granted: false }]) {
      const res = await call("POST", "/v1/api/links", {
        key: space.sk,
        body: { email, promotion_id: promotionId, ...(consent === undefined ? {} : { consent }) },
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: "Consent is required", field: "consent" });
    }
    expect(await sql("select 1 from users where appspace_id = $1", [space.id])).toEqual([]);
  });

  it("unknown, archived, not yet started and ended promotions → 404; nothing stored", async () => {
    const space = await createAppspace();
    const archived = await createPromotion(space);
    await call("POST", `/v1/api/promotions/${archived.id}/archive`, { key: space.sk });
    const future = await createPromotion(space, { starts_at: "2099-01-01T00:00:00Z" });
    const ended = await createPromotion(space, { ends_at: "2020-01-01T00:00:00Z" });
    const foreign = await createPromotion(await createAppspace());
    for (const id of [crypto.randomUUID(), archived.id, future.id, ended.id, foreign.id]) {
      const res = await createLink(space, { email: uniqueEmail(), promotion_id: id });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: "Promotion not found or inactive", code: "not_found" });
    }
    expect(await sql("select 1 from users where appspace_id = $1", [space.id])).toEqual([]);
  });

  it("a per-link target_url must be https on an allowed host (no open redirect)", async () => {
    const { space, promotionId } = await linkApiSpace({ allowed_hosts: ["shop.example.com", "m.example.com"] });
    const ok = await createLink(space, {
      email: uniqueEmail(),
      promotion_id: promotionId,
      target_url: "https://m.example.com/landing?x=1#top",
    });
    expect(ok.status).toBe(201);
    expect(ok.body.target_url).toBe("https://m.example.com/landing?x=1#top");
    for (const target of ["https://evil.example.net/", "http://m.example.com/", "javascript:alert(1)", "//evil.net"]) {
      const email = uniqueEmail();
      const res = await createLink(space, { email, promotion_id: promotionId, target_url: target });
      expect(res.status, target).toBe(400);
      expect(res.body, target).toMatchObject({ field: "target_url" });
      expect(await sql("select 1 from users where email = $1", [email])).toEqual([]);
    }
  });

  it("reward_receiver and product_id per link override the promotion's", async () => {
    const { space, promotionId } = await linkApiSpace({ reward_receiver: "both", product_id: "plan-a" });
    const res = await createLink(space, {
      email: uniqueEmail(),
      promotion_id: promotionId,
      reward_receiver: "referrer",
      product_id: "plan-b",
    });
    expect(res.body.reward_receiver).toBe("referrer");
    const detail = await call("GET", `/v1/api/links/${res.body.link.code}`, { key: space.sk });
    expect(detail.body).toMatchObject({ reward_receiver: "referrer", product_id: "plan-b" });
  });

  it("validates the body, naming the field", async () => {
    const { space, promotionId } = await linkApiSpace();
    const cases: [Record<string, unknown>, string][] = [
      [{ promotion_id: promotionId }, "email"],
      [{ email: "not-an-email", promotion_id: promotionId }, "email"],
      [{ email: uniqueEmail() }, "promotion_id"],
      [{ email: uniqueEmail(), promotion_id: "x" }, "promotion_id"],
      [{ email: uniqueEmail(), promotion_id: promotionId, metadata: [1] }, "metadata"],
      [{ email: uniqueEmail(), promotion_id: promotionId, emial: "typo" }, "emial"],
      [{ email: uniqueEmail(), promotion_id: promotionId, locale: "english please" }, "locale"],
    ];
    for (const [body, field] of cases) {
      const res = await createLink(space, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body, JSON.stringify(body)).toMatchObject({ field });
    }
  });

  it("needs a secret key: a publishable key gets 403 saying so", async () => {
    const { space, promotionId } = await linkApiSpace();
    const res = await call("POST", "/v1/api/links", {
      key: space.pk,
      body: { email: uniqueEmail(), promotion_id: promotionId, consent: true },
    });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatch(/secret key/);
  });

  it.runIf(isPostgres())(
    "20 concurrent identical calls → one user, one link, one email (with and without Idempotency-Key)",
    async () => {
      for (const withKey of [false, true]) {
        const { space, promotionId } = await linkApiSpace();
        const email = uniqueEmail();
        const key = crypto.randomUUID();
        const results = await Promise.all(
          Array.from({ length: 20 }, () =>
            createLink(space, { email, promotion_id: promotionId }, withKey ? { "idempotency-key": key } : undefined),
          ),
        );
        const statuses = results.map((r) => r.status);
        // With a key, calls that arrive while the first runs are told to retry (409); none runs twice.
        expect(
          statuses.every((s) => s === 200 || s === 201 || (withKey && s === 409)),
          String(statuses),
        ).toBe(true);
        expect(new Set(results.filter((r) => r.status < 300).map((r) => r.body.link.code)).size).toBe(1);
        const [counts] = await sql<{ users: number; links: number; emails: number }>(
          `select (select count(*)::int from users where appspace_id = $1) as users,
                (select count(*)::int from links where appspace_id = $1) as links,
                (select count(*)::int from emails where appspace_id = $1) as emails`,
          [space.id],
        );
        expect(counts && Object.values(counts).map(Number)).toEqual([1, 1, 1]);
      }
    },
  );
});
