import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src";
import { loadConfig } from "../../src/config";
import { unsubscribeToken } from "../../src/email/unsubscribe-token";
import { describeReward, formatFrom } from "../../src/services/email-outbox";
import type { EmailProviderName } from "../../src/services/email-providers";
import { call, createAppspace, databaseDown, sql, uniqueDomain } from "../support/api";
import { createLink, createPromotion, linkApiSpace, uniqueEmail } from "../support/link-api";
import {
  consume,
  createLinkIn,
  EMAIL_API_KEY,
  emailById,
  emailOf,
  message,
  providerEndpoint,
  providerEnv,
  recordingEmails,
  request,
  type TestEnv,
  waitForEmail,
} from "./support";

afterEach(() => vi.restoreAllMocks());

const HOSTILE = "<img src=x onerror=alert(1)>";
const PROVIDERS: EmailProviderName[] = ["resend", "postmark"];

/** The suite's environment with a recording EMAILS queue: dispatched messages stay with the test. */
function recordingEnv() {
  const recording = recordingEmails();
  return { ...recording, env: { ...env, EMAILS: recording.queue } as TestEnv };
}

const cron = async (environment: TestEnv) => {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), environment, ctx);
  await waitOnExecutionContext(ctx);
};

describe("captured outbox (no provider: the local default)", () => {
  it("POST /v1/api/links → the email is rendered and kept as captured, through the real queue", async () => {
    const { space, domain, promotionId } = await linkApiSpace({
      name: "Spring & Summer",
      reward_type: "credit",
      reward_value: "20",
      referee_reward_type: "discount",
      referee_reward_value: "10%",
    });
    const email = uniqueEmail();
    const created = await createLink(space, { email, promotion_id: promotionId, name: HOSTILE });
    expect(created.status).toBe(201);
    expect(created.body.email).toEqual({ status: "queued" });
    const code = created.body.link.code;
    const linkUrl = `https://${domain}/ref/${code}`;

    const row = await waitForEmail(code, "captured");
    expect(row).toMatchObject({ to_address: email, attempts: 1, last_error: null, sent_at: null });
    expect(row.subject).toBe("Your referral link for Spring & Summer");
    // Text is not HTML: values verbatim.
    expect(row.text).toContain(`Hi ${HOSTILE},`);
    expect(row.text).toContain(linkUrl);
    expect(row.text).toContain("you get 20 credit when they join");
    expect(row.text).toContain("Your friends get 10% discount.");
    const unsubscribe = row.text?.match(/https:\/\/\S+\/unsubscribe\/\S+/)?.[0];
    expect(unsubscribe).toMatch(
      new RegExp(`^https://${domain.replace(/\./g, "\\.")}/unsubscribe/${created.body.user.id}\\.[0-9a-f]{32}$`),
    );
    // HTML: the hostile name escaped, never markup.
    expect(row.html).not.toContain("<img");
    expect(row.html).toContain("Hi &lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;,");
    // (mustache escapes `/` and `=` too: attribute values decode back to the URLs)
    const escaped = (url = "") => url.replace(/\//g, "&#x2F;").replace(/=/g, "&#x3D;");
    expect(row.html).toContain(`href="${escaped(linkUrl)}"`);
    expect(row.html).toContain(`href="${escaped(unsubscribe)}"`);
    expect(row.html).toContain("Spring &amp; Summer");

    const listed = await call<{ emails: Record<string, unknown>[] }>("GET", "/v1/api/emails", { key: space.sk });
    expect(listed.status).toBe(200);
    expect(listed.body.emails).toEqual([
      {
        id: row.id,
        kind: "link",
        to: email,
        user_id: created.body.user.id,
        link_code: code,
        subject: row.subject,
        text: row.text,
        html: row.html,
        status: "captured",
        attempts: 1,
        last_error: null,
        provider_message_id: null,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        updated_at: expect.stringMatching(/Z$/),
        sent_at: null,
      },
    ]);
  });

  it("rewards follow the link's receiver rule; a promotion's own template and a missing domain", async () => {
    const space = await createAppspace();
    const promotion = await createPromotion(space, {
      reward_receiver: "both",
      reward_type: "points",
      reward_value: 100,
      referee_reward_type: "credit",
      referee_reward_value: "5",
      email: { subject: "{{promotion_name}} for {{name}}", text: "[{{reward}}|{{referee_reward}}] {{link_url}}" },
    });
    const referrerOnly = await createLink(space, {
      email: uniqueEmail(),
      promotion_id: promotion.id,
      reward_receiver: "referrer",
      name: "Ann\r\nBcc: x",
    });
    const row = await waitForEmail(referrerOnly.body.link.code, "captured");
    // The subject is a header: a value's line breaks collapse.
    expect(row.subject).toBe("Spring for Ann Bcc: x");
    // No domain: the PUBLIC_BASE_URL (wrangler.toml: http://localhost:8787).
    expect(row.text).toBe(`[100 points|] http://localhost:8787/ref/${referrerOnly.body.link.code}`);
  });

  it("describes rewards in words, and quotes display names that need it", () => {
    expect(describeReward("credit", "20")).toBe("20 credit");
    expect(describeReward("points", null)).toBe("points");
    expect(describeReward("discount", " 10% ")).toBe("10% discount");
    expect(describeReward("custom", "a free month")).toBe("a free month");
    expect(describeReward("custom", null)).toBe("a reward");
    expect(describeReward("none", "20")).toBe("");
    expect(formatFrom("Acme Rewards", "a@acme.test")).toBe("Acme Rewards <a@acme.test>");
    expect(formatFrom("Acme, Inc.", "a@acme.test")).toBe('"Acme, Inc." <a@acme.test>');
    expect(formatFrom('Say "hi" \\o/', "a@acme.test")).toBe('"Say \\"hi\\" \\\\o/" <a@acme.test>');
    expect(formatFrom("Evil\r\nBcc: x@y.test", "a@acme.test")).toBe('"Evil Bcc: x@y.test" <a@acme.test>');
    expect(formatFrom(null, "a@acme.test")).toBe("a@acme.test");
    expect(formatFrom("  ", "a@acme.test")).toBe("a@acme.test");
  });
});

describe("GET /v1/api/emails", () => {
  it("lists the appspace's outbox newest first, filtered by to and status, in pages", async () => {
    const { space, promotionId } = await linkApiSpace();
    const [a, b] = [uniqueEmail("a"), uniqueEmail("b")];
    const first = await createLink(space, { email: a, promotion_id: promotionId });
    const second = await createLink(space, { email: b, promotion_id: promotionId });
    await waitForEmail(first.body.link.code, "captured");
    await waitForEmail(second.body.link.code, "captured");
    // The third one's dispatch goes to a queue nobody reads: it stays queued.
    const lost = recordingEnv();
    const third = await createLinkIn(lost.env, space, { email: uniqueEmail("c"), promotion_id: promotionId });
    expect(lost.sent).toHaveLength(1);
    const codes = [third, second, first].map((r) => r.body.link.code);

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 3; page++) {
      const res: { status: number; body: { emails: { link_code: string }[]; next_cursor: string | null } } = await call(
        "GET",
        `/v1/api/emails?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        { key: space.sk },
      );
      expect(res.status).toBe(200);
      seen.push(...res.body.emails.map((e) => e.link_code));
      cursor = res.body.next_cursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(codes);

    const byTo = await call<{ emails: { to: string }[] }>(
      "GET",
      `/v1/api/emails?to=${encodeURIComponent(` ${a.toUpperCase()}`)}`,
      { key: space.sk },
    );
    expect(byTo.body.emails.map((e) => e.to)).toEqual([a]);
    const queued = await call<{ emails: { link_code: string; subject: string | null }[] }>(
      "GET",
      "/v1/api/emails?status=queued",
      { key: space.sk },
    );
    expect(queued.body.emails).toMatchObject([{ link_code: codes[0], subject: null }]);
    const captured = await call<{ emails: { link_code: string }[] }>("GET", "/v1/api/emails?status=captured", {
      key: space.sk,
    });
    expect(captured.body.emails.map((e) => e.link_code)).toEqual(codes.slice(1));

    // Another appspace sees none of them.
    const other = await createAppspace();
    const none = await call<{ emails: unknown[] }>("GET", "/v1/api/emails", { key: other.sk });
    expect(none.body).toEqual({ emails: [], next_cursor: null });
  });

  it("validates its query and needs a secret key", async () => {
    const space = await createAppspace();
    for (const [query, field] of [
      ["status=bounced", "status"],
      ["to=not-an-email", "to"],
      ["limit=0", "limit"],
      ["cursor=bm9wZQ", "cursor"],
    ]) {
      const res = await call("GET", `/v1/api/emails?${query}`, { key: space.sk });
      expect(res.status, query).toBe(400);
      expect(res.body, query).toMatchObject({ field });
    }
    const publishable = await call("GET", "/v1/api/emails", { key: space.pk });
    expect(publishable.status).toBe(403);
    expect(publishable.body.error).toMatch(/secret key/);
    expect((await call("GET", "/v1/api/emails")).status).toBe(401);
  });

  it("is documented under Link API", async () => {
    const doc = await call<{ paths: Record<string, Record<string, { tags?: string[]; security?: unknown }>> }>(
      "GET",
      "/openapi.json",
    );
    const path = Object.keys(doc.body.paths).find((p) => p.replace(/\/$/, "") === "/v1/api/emails");
    expect(path).toBeDefined();
    const op = doc.body.paths[path ?? ""]?.get;
    expect(op?.tags).toEqual(["Link API"]);
    expect(op?.security).toEqual([{ bearerKey: [] }, { apiKeyHeader: [] }]);
  });
});

/**
 * A space whose promotion has a sender name and reply-to, and one link whose email was dispatched
 * to a queue nobody reads: it stays queued, for the test to hand to the consumer. (Every write of
 * the space goes through that queue and has finished its dispatch before the next: a late
 * dispatch of an earlier write would otherwise send the email to the real queue.)
 */
async function queuedEmail() {
  const domain = uniqueDomain("go");
  const space = await createAppspace({ domains: [domain] });
  const lost = recordingEnv();
  const promotion = await request(lost.env, "POST", "https://api.test/v1/api/promotions", {
    key: space.sk,
    body: {
      name: "Spring",
      target_url: "https://shop.example.com/welcome",
      email: { from_name: 'Acme "Rewards", Inc.', reply_to: "help@acme.test" },
    },
  });
  expect(promotion.status).toBe(201);
  const promotionId = (JSON.parse(promotion.text) as { id: string }).id;
  const to = uniqueEmail("grace");
  const created = await createLinkIn(lost.env, space, { email: to, promotion_id: promotionId, name: "Grace" });
  expect(created.status).toBe(201);
  const row = await emailOf(created.body.link.code);
  expect(lost.sent).toEqual([{ email_id: row.id }]);
  return { space, domain, to, code: created.body.link.code, userId: created.body.user.id, id: row.id };
}

describe.each(PROVIDERS)("sending through %s", (provider) => {
  it("sends once with the rendered bodies, the sender, reply-to and List-Unsubscribe headers", async () => {
    const { domain, to, code, userId, id } = await queuedEmail();
    const ep = await providerEndpoint();
    const m = message({ email_id: id });
    await consume(providerEnv(provider, ep.apiBase), "edgeref-emails", m);
    expect(m.ack).toHaveBeenCalled();
    expect(m.retry).not.toHaveBeenCalled();

    const [request, ...more] = await ep.requests();
    expect(more).toHaveLength(0);
    const row = await emailById(id);
    expect(row).toMatchObject({ status: "sent", attempts: 1, last_error: null });
    expect(row.sent_at).not.toBeNull();
    expect(row.provider_message_id).toMatch(/^[0-9a-f-]{36}$/);
    const unsubscribe = `https://${domain}/unsubscribe/${userId}.`;
    const sent = JSON.parse(request?.body ?? "{}");
    const from = '"Acme \\"Rewards\\", Inc." <mailer@edgeref.test>';
    if (provider === "resend") {
      expect(request?.path).toBe(`/provider/${ep.name}/emails`);
      expect(request?.headers["idempotency-key"]).toBe(`email-${id}`);
      expect(sent).toMatchObject({ from, to, reply_to: "help@acme.test", subject: row.subject, text: row.text });
      expect(sent.html).toBe(row.html);
      expect(sent.headers["List-Unsubscribe"]).toMatch(
        new RegExp(`^<${unsubscribe.replace(/\./g, "\\.")}[0-9a-f]{32}>$`),
      );
      expect(sent.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    } else {
      expect(request?.path).toBe(`/provider/${ep.name}/email`);
      expect(request?.headers["x-postmark-server-token"]).toBe(EMAIL_API_KEY);
      expect(sent).toMatchObject({ From: from, To: to, ReplyTo: "help@acme.test", Subject: row.subject });
      expect(sent.TextBody).toBe(row.text);
      const headers = Object.fromEntries(
        (sent.Headers as { Name: string; Value: string }[]).map((h) => [h.Name, h.Value]),
      );
      expect(headers["List-Unsubscribe"]).toMatch(new RegExp(`^<${unsubscribe.replace(/\./g, "\\.")}[0-9a-f]{32}>$`));
      expect(headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    }
    expect(row.text).toContain(`https://${domain}/ref/${code}`);
  });

  it("503 → back to queued and the message retried with backoff; the redelivery sends it once", async () => {
    const { id } = await queuedEmail();
    const ep = await providerEndpoint({ responses: [503] });
    const environment = providerEnv(provider, ep.apiBase);
    const first = message({ email_id: id }, 1);
    await consume(environment, "edgeref-emails", first);
    expect(first.ack).not.toHaveBeenCalled();
    expect(first.retry).toHaveBeenCalledWith({ delaySeconds: 30 });
    const waiting = await emailById(id);
    expect(waiting).toMatchObject({ status: "queued", attempts: 1, sent_at: null });
    expect(waiting.last_error).toContain("503");

    const second = message({ email_id: id }, 2);
    await consume(environment, "edgeref-emails", second);
    expect(second.ack).toHaveBeenCalled();
    expect(second.retry).not.toHaveBeenCalled();
    const requests = await ep.requests();
    expect(requests.map((r) => r.answered)).toEqual([503, 200]);
    if (provider === "resend") {
      expect(requests.map((r) => r.headers["idempotency-key"])).toEqual([`email-${id}`, `email-${id}`]);
    }
    expect(await emailById(id)).toMatchObject({ status: "sent", attempts: 2 });
  });

  it("422 → failed at once, no retry, and neither the address nor the key is logged", async () => {
    const { id, to } = await queuedEmail();
    const ep = await providerEndpoint({ responses: [422] });
    const lines: string[] = [];
    for (const level of ["log", "info", "warn", "error"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
      });
    }
    const m = message({ email_id: id });
    await consume(providerEnv(provider, ep.apiBase), "edgeref-emails", m);
    expect(m.ack).toHaveBeenCalled();
    expect(m.retry).not.toHaveBeenCalled();
    const row = await emailById(id);
    expect(row).toMatchObject({ status: "failed", attempts: 1, sent_at: null });
    expect(row.last_error).toContain("422");
    expect(row.last_error?.toLowerCase()).not.toContain(to);
    // A redelivered message finds the row finished: no second request.
    await consume(providerEnv(provider, ep.apiBase), "edgeref-emails", message({ email_id: id }, 2));
    expect(await ep.requests()).toHaveLength(1);
    const all = lines.join("\n");
    expect(all).toContain(id);
    expect(all.toLowerCase()).not.toContain(to);
    expect(all).not.toContain(EMAIL_API_KEY);
    expect(all).not.toContain("Grace");
  });

  it("a message delivered twice sends one email", async () => {
    const { id } = await queuedEmail();
    const ep = await providerEndpoint();
    const environment = providerEnv(provider, ep.apiBase);
    const [a, b] = [message({ email_id: id }), message({ email_id: id })];
    await Promise.all([consume(environment, "edgeref-emails", a), consume(environment, "edgeref-emails", b)]);
    await consume(environment, "edgeref-emails", message({ email_id: id }));
    for (const m of [a, b]) {
      expect(m.ack).toHaveBeenCalled();
      expect(m.retry).not.toHaveBeenCalled();
    }
    expect(await ep.requests()).toHaveLength(1);
    expect(await emailById(id)).toMatchObject({ status: "sent", attempts: 1 });
  });
});

describe("email consumer", () => {
  it("a retryable failure on the 8th attempt is final", async () => {
    const { id } = await queuedEmail();
    await sql("update emails set attempts = 7 where id = $1", [id]);
    const ep = await providerEndpoint({ responses: [429] });
    const m = message({ email_id: id }, 8);
    await consume(providerEnv("resend", ep.apiBase), "edgeref-emails", m);
    expect(m.ack).toHaveBeenCalled();
    expect(m.retry).not.toHaveBeenCalled();
    expect(await emailById(id)).toMatchObject({ status: "failed", attempts: 8 });
  });

  it("backs off 30 s doubling to 10 min between a provider's retryable failures", async () => {
    const { id } = await queuedEmail();
    const ep = await providerEndpoint({ responses: [500, 500, 500, 500, 500, 500] });
    const environment = providerEnv("postmark", ep.apiBase);
    const delays: unknown[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      const m = message({ email_id: id }, attempt);
      await consume(environment, "edgeref-emails", m);
      delays.push(m.retry.mock.calls[0]?.[0]);
    }
    expect(delays).toEqual([30, 60, 120, 240, 480, 600].map((delaySeconds) => ({ delaySeconds })));
    expect(await emailById(id)).toMatchObject({ status: "queued", attempts: 6 });
  });

  it("our own failure (the database away) retries the message and touches nothing", async () => {
    const { id } = await queuedEmail();
    const ep = await providerEndpoint();
    const m = message({ email_id: id }, 3);
    await consume(databaseDown(providerEnv("resend", ep.apiBase)), "edgeref-emails", m);
    expect(m.ack).not.toHaveBeenCalled();
    expect(m.retry).toHaveBeenCalledWith({ delaySeconds: 120 });
    expect(await ep.requests()).toHaveLength(0);
    expect(await emailById(id)).toMatchObject({ status: "queued", attempts: 0 });
  });

  it("an email to a user who unsubscribed after it was queued is failed, not sent", async () => {
    const { id, userId, domain } = await queuedEmail();
    const token = await unsubscribeToken(env.IP_HASH_SECRET, userId);
    const unsubscribed = await request(env, "POST", `https://${domain}/unsubscribe/${token}`, {
      body: "List-Unsubscribe=One-Click",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(unsubscribed.status).toBe(200);
    const ep = await providerEndpoint();
    const m = message({ email_id: id });
    await consume(providerEnv("resend", ep.apiBase), "edgeref-emails", m);
    expect(m.ack).toHaveBeenCalled();
    expect(await ep.requests()).toHaveLength(0);
    expect(await emailById(id)).toMatchObject({ status: "failed", attempts: 0, last_error: "unsubscribed" });
  });

  it("a message naming no email, or an unknown one, is acked and dropped", async () => {
    const messages = [message({ email_id: crypto.randomUUID() }), message({ email_id: "nope" })];
    await consume(env, "edgeref-emails", ...messages);
    for (const m of messages) {
      expect(m.ack).toHaveBeenCalled();
      expect(m.retry).not.toHaveBeenCalled();
    }
  });

  it("dead letters are recorded once, acked, and their email left to the sweep", async () => {
    const { id } = await queuedEmail();
    const m = message({ email_id: id }, 11);
    await consume(env, "edgeref-emails-dlq", m);
    await consume(env, "edgeref-emails-dlq", m);
    expect(m.ack).toHaveBeenCalledTimes(2);
    const letters = await sql<{ queue: string; body: string; attempts: string; outcome: string }>(
      "select queue, body::text as body, attempts::text as attempts, outcome from dead_letters where message_id = $1",
      [m.id],
    );
    expect(letters.map((l) => ({ ...l, body: JSON.parse(l.body) }))).toEqual([
      { queue: "edgeref-emails-dlq", body: { email_id: id }, attempts: "11", outcome: "email left to the sweep" },
    ]);
    expect(await emailById(id)).toMatchObject({ status: "queued" });
  });
});

describe("cron sweep", () => {
  const age = (id: string, seconds: number) =>
    sql(
      `update emails set updated_at = updated_at - make_interval(secs => $2::int),
                         created_at = created_at - make_interval(secs => $2::int) where id = $1`,
      [id, seconds],
    );

  it("re-sends a queued email whose dispatch was lost, once it is a minute old", async () => {
    const lost = await queuedEmail();
    const fresh = await queuedEmail();
    await age(lost.id, 90);
    const swept = recordingEnv();
    await cron(swept.env);
    // (The sweep also re-sends other tests' overdue emails: only these two are looked at.)
    expect(swept.ids()).toContain(lost.id);
    expect(swept.ids()).not.toContain(fresh.id);
    const m = message({ email_id: lost.id });
    await consume(env, "edgeref-emails", m);
    expect(m.ack).toHaveBeenCalled();
    expect(await emailById(lost.id)).toMatchObject({ status: "captured", attempts: 1 });
  });

  it("waits out a retry's delay, and takes back a sending email abandoned for ten minutes", async () => {
    const retrying = await queuedEmail();
    const abandoned = await queuedEmail();
    const busy = await queuedEmail();
    const lastTry = await queuedEmail();
    // Attempt 3 failed two minutes ago: its retry is due after 120 s, overdue a minute later.
    await sql("update emails set attempts = 3 where id = $1", [retrying.id]);
    await age(retrying.id, 120);
    for (const id of [abandoned.id, busy.id])
      await sql("update emails set status = 'sending', attempts = 1 where id = $1", [id]);
    await sql("update emails set status = 'sending', attempts = 8 where id = $1", [lastTry.id]);
    await age(abandoned.id, 11 * 60);
    await age(lastTry.id, 11 * 60);
    await age(busy.id, 5 * 60);
    const swept = recordingEnv();
    await cron(swept.env);
    const ids = swept.ids();
    expect(ids).toContain(abandoned.id);
    for (const id of [retrying.id, busy.id, lastTry.id]) expect(ids).not.toContain(id);
    expect(await emailById(abandoned.id)).toMatchObject({ status: "queued", attempts: 1 });
    expect(await emailById(busy.id)).toMatchObject({ status: "sending" });
    expect(await emailById(lastTry.id)).toMatchObject({
      status: "failed",
      last_error: "gave up: the last attempt never finished",
    });

    await age(retrying.id, 61);
    const later = recordingEnv();
    await cron(later.env);
    expect(later.ids()).toContain(retrying.id);
  });
});

describe("email configuration", () => {
  const base = {
    DATABASE_URL: "postgres://u:p@h/db",
    ADMIN_TOKEN: "0123456789abcdef",
    IP_HASH_SECRET: "0123456789abcdef",
  };

  it("captures by default, from the default sender, with localhost as the public base", () => {
    const config = loadConfig({ ...base, EMAIL_PROVIDER: "", EMAIL_API_BASE: "" });
    expect(config.email).toEqual({ provider: null, from: { name: "edgeref", address: "noreply@example.com" } });
    expect(config.publicBaseUrl).toBe("http://localhost:8787");
  });

  it("reads a provider, its key, sender and API base", () => {
    const config = loadConfig({
      ...base,
      EMAIL_PROVIDER: "postmark",
      EMAIL_API_KEY: "pm-key-123",
      EMAIL_FROM: '"Acme, Inc." <hello@acme.test>',
      EMAIL_API_BASE: "http://127.0.0.1:9999/provider/x",
      PUBLIC_BASE_URL: "https://edge.acme.test/",
    });
    expect(config.email).toEqual({
      provider: { provider: "postmark", apiKey: "pm-key-123", apiBase: "http://127.0.0.1:9999/provider/x" },
      from: { name: "Acme, Inc.", address: "hello@acme.test" },
    });
    expect(config.publicBaseUrl).toBe("https://edge.acme.test");
    expect(loadConfig({ ...base, EMAIL_FROM: "plain@acme.test" }).email.from).toEqual({
      name: null,
      address: "plain@acme.test",
    });
  });

  it.each([
    [{ EMAIL_PROVIDER: "resend" }, "EMAIL_API_KEY is not set (required when EMAIL_PROVIDER is resend)"],
    [{ EMAIL_PROVIDER: "sendgrid", EMAIL_API_KEY: "k" }, 'EMAIL_PROVIDER must be "resend", "postmark" or empty'],
    [{ EMAIL_FROM: "Acme <not an address>" }, 'EMAIL_FROM must be an email address or "Name <address>"'],
    [{ EMAIL_FROM: "Acme\r\nBcc: x <a@acme.test>" }, "EMAIL_FROM must be"],
    [{ EMAIL_API_BASE: "ftp://x.test" }, "EMAIL_API_BASE must be an http(s) URL"],
    [{ PUBLIC_BASE_URL: "localhost" }, "PUBLIC_BASE_URL must be an http(s) URL"],
  ])("%o fails loudly: %s", (vars, message) => {
    expect(() => loadConfig({ ...base, ...vars })).toThrow(message);
    try {
      loadConfig({ ...base, ...vars, EMAIL_API_KEY: "secret-key-value-xyz" });
    } catch (error) {
      expect(String(error)).not.toContain("secret-key-value-xyz");
    }
  });
});
