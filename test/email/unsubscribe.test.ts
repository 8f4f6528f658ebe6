import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { unsubscribeToken } from "../../src/email/unsubscribe-token";
import { call, sql } from "../support/api";
import { createLink, createPromotion, linkApiSpace, uniqueEmail } from "../support/link-api";
import { request, type TestEnv, waitForEmail } from "./support";

/**
 * The unsubscribe links every email carries (List-Unsubscribe, RFC 8058 one-click, and
 * {{unsubscribe_url}} in the bodies), on the appspace's link domain.
 */
afterEach(() => vi.restoreAllMocks());

const ONE_CLICK = {
  body: "List-Unsubscribe=One-Click",
  headers: { "content-type": "application/x-www-form-urlencoded" },
};

/** A user with a captured email, and the unsubscribe URL that email carries. */
async function subscribedUser() {
  const { space, domain, promotionId } = await linkApiSpace();
  const email = uniqueEmail();
  const created = await createLink(space, { email, promotion_id: promotionId, name: "Ann Example" });
  const row = await waitForEmail(created.body.link.code, "captured");
  const url = row.text?.match(/https:\/\/\S+\/unsubscribe\/\S+/)?.[0] ?? "";
  expect(url.startsWith(`https://${domain}/unsubscribe/`)).toBe(true);
  return { space, domain, email, userId: created.body.user.id, url };
}

const unsubscribedAt = async (userId: string) =>
  (await sql<{ at: string | null }>("select unsubscribed_at::text as at from users where id = $1", [userId]))[0]?.at;

describe("unsubscribe links", () => {
  it("GET shows a confirmation form (and unsubscribes no one); POST one-click unsubscribes, idempotently", async () => {
    const { space, email, userId, url } = await subscribedUser();
    const token = url.slice(url.lastIndexOf("/") + 1);

    const page = await request(env, "GET", url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.text).toContain(`<form method="post" action="/unsubscribe/${token}">`);
    expect(page.text).toContain('<input type="hidden" name="List-Unsubscribe" value="One-Click">');
    // Nothing about the recipient: a forwarded link tells its reader nothing.
    expect(page.text.toLowerCase()).not.toContain(email);
    expect(page.text).not.toContain("Ann Example");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain("unsafe-inline");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(await unsubscribedAt(userId)).toBeNull();

    const first = await request(env, "POST", url, ONE_CLICK);
    expect(first.status).toBe(200);
    expect(first.text).toContain("You are unsubscribed.");
    expect(first.headers.get("content-security-policy")).toContain("form-action 'none'");
    const at = await unsubscribedAt(userId);
    expect(at).not.toBeNull();

    // A repeat (a mail client retrying, the confirmation form after the one-click) changes nothing.
    const again = await request(env, "POST", url, { body: "" });
    expect(again.status).toBe(200);
    expect(await unsubscribedAt(userId)).toBe(at);
    const after = await request(env, "GET", url);
    expect(after.status).toBe(200);
    expect(after.text).toContain("You are unsubscribed.");
    expect(after.text).not.toContain("<form");

    // Later links for that user queue no email.
    const other = await createPromotion(space, { name: "Autumn" });
    const later = await createLink(space, { email, promotion_id: other.id });
    expect(later.status).toBe(201);
    expect(later.body.email).toEqual({ status: "skipped" });
    const user = await call("GET", `/v1/api/users/${userId}`, { key: space.sk });
    expect(user.body.unsubscribed_at).toEqual(expect.stringMatching(/Z$/));
  });

  it("forged, malformed and unknown-user tokens are a 404 page, and unsubscribe no one", async () => {
    const { domain, userId, url } = await subscribedUser();
    const token = url.slice(url.lastIndexOf("/") + 1);
    const flipped = token.slice(0, -1) + (token.endsWith("0") ? "1" : "0");
    const someoneElse = `${crypto.randomUUID()}.${token.split(".")[1]}`;
    const unknownUser = await unsubscribeToken(env.IP_HASH_SECRET, crypto.randomUUID());
    const otherSecret = await unsubscribeToken("another-secret-0123456789", userId);
    for (const bad of [flipped, someoneElse, unknownUser, otherSecret, userId, "x", `${token}x`]) {
      for (const method of ["GET", "POST"]) {
        const res = await request(
          env,
          method,
          `https://${domain}/unsubscribe/${bad}`,
          method === "POST" ? ONE_CLICK : {},
        );
        expect(res.status, `${method} ${bad}`).toBe(404);
        expect(res.headers.get("content-type")).toMatch(/^text\/html/);
        expect(res.text).toContain("This unsubscribe link is not valid.");
      }
    }
    expect(await unsubscribedAt(userId)).toBeNull();
  });

  it("spends the public per-IP budget", async () => {
    const { url } = await subscribedUser();
    const spy = vi.spyOn(env.PUBLIC_LIMITER, "limit").mockResolvedValue({ success: false });
    for (const method of ["GET", "POST"]) {
      const body = method === "POST" ? ONE_CLICK.body : undefined;
      const res = await request(env as TestEnv, method, url, { body, headers: { "cf-connecting-ip": "192.0.2.9" } });
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("60");
    }
    expect(spy).toHaveBeenCalledWith({ key: "public:192.0.2.9" });
  });
});
