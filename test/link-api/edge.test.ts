import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { verifyAid } from "../../src/link-api/aid";
import { AID_SCRIPT } from "../../src/link-api/aid-script";
import { call } from "../support/api";
import { createLink, linkApiSpace, uniqueEmail } from "../support/link-api";
import { APP_SETTINGS, linkFixture, spyOnQueuedClicks, UA, visit, waitForClicks } from "../support/links";

const SECRET = "test-ip-hash-secret-0123456789";

afterEach(() => vi.restoreAllMocks());

async function promotionLink(promotion: Record<string, unknown> = {}, link: Record<string, unknown> = {}) {
  const fixture = await linkApiSpace(promotion, APP_SETTINGS);
  const res = await createLink(fixture.space, {
    email: uniqueEmail(),
    promotion_id: fixture.promotionId,
    name: "Ann",
    ...link,
  });
  expect(res.status).toBe(201);
  return { ...fixture, code: res.body.link.code };
}

describe("/ref/:code for Link API links", () => {
  it("lands browsers on the target URL with a fresh, verifiable aid (target query and fragment kept)", async () => {
    const { space, domain, code } = await promotionLink({
      target_url: "https://shop.example.com/welcome?src=ref&q=a%20b#signup",
    });
    const clicks = spyOnQueuedClicks();
    const aids: string[] = [];
    for (const ua of [UA.desktop, UA.iphone, UA.android, UA.instagramIos]) {
      const res = await visit(`https://${domain}/ref/${code}`, { ua });
      expect(res.status, ua).toBe(302);
      const location = new URL(res.headers.get("location") ?? "");
      expect(`${location.origin}${location.pathname}`).toBe("https://shop.example.com/welcome");
      expect(location.searchParams.get("src")).toBe("ref");
      expect(location.searchParams.get("q")).toBe("a b");
      expect(location.hash).toBe("#signup");
      // The target's own query is kept byte for byte (not re-encoded), the aid appended.
      expect(location.search).toMatch(/^\?src=ref&q=a%20b&aid=/);
      const aid = location.searchParams.get("aid") ?? "";
      expect(aid.length).toBeGreaterThanOrEqual(16);
      expect(aid).toMatch(/^[A-Za-z0-9._-]+$/);
      expect(await verifyAid(SECRET, space.id, aid)).toMatchObject({ code });
      // Bound to its appspace: another one can't use it.
      expect(await verifyAid(SECRET, crypto.randomUUID(), aid)).toBeNull();
      aids.push(aid);
    }
    expect(new Set(aids).size).toBe(aids.length);
    // /aid.js keeps only values shaped like the aids the edge mints.
    const shape = new RegExp(`^${/aid=\((\[A-Z0-9\][^)]*)\)/.exec(AID_SCRIPT)?.[1]}$`);
    for (const aid of aids) expect(aid).toMatch(shape);
    expect(clicks().map((m) => m.aid)).toEqual(aids);
    const stored = await waitForClicks(code, aids.length);
    expect(stored.map((r) => r.aid).sort()).toEqual([...aids].sort());
  });

  it("with app_routing, phones go to the stores and desktops to the target", async () => {
    const { domain, code } = await promotionLink({ app_routing: true });
    expect((await visit(`https://${domain}/ref/${code}`, { ua: UA.android })).headers.get("location")).toMatch(
      /^https:\/\/play\.google\.com\//,
    );
    const ios = await visit(`https://${domain}/ref/${code}`, { ua: UA.iphone });
    expect(ios.status).toBe(200);
    expect(ios.body).toContain("/continue?t=");
    const desktop = await visit(`https://${domain}/ref/${code}`, { ua: UA.desktop });
    expect(desktop.headers.get("location")).toMatch(/^https:\/\/shop\.example\.com\/welcome\?aid=/);
  });

  it("crawlers get the preview with the user's name; HEAD answers without a click", async () => {
    const { domain, code } = await promotionLink();
    const clicks = spyOnQueuedClicks();
    const preview = await visit(`https://${domain}/ref/${code}`, { ua: UA.slackbot });
    expect(preview.status).toBe(200);
    expect(preview.body).toContain("Ann invited you to Example");
    expect((await visit(`https://${domain}/ref/${code}`, { ua: UA.desktop, method: "HEAD" })).status).toBe(200);
    expect(clicks()).toEqual([]);
  });

  it("a per-link target_url is where that link lands", async () => {
    const { domain, code } = await promotionLink(
      { allowed_hosts: ["shop.example.com", "m.example.com"] },
      { target_url: "https://m.example.com/x" },
    );
    const res = await visit(`https://${domain}/ref/${code}`, { ua: UA.desktop });
    expect(res.headers.get("location")).toMatch(/^https:\/\/m\.example\.com\/x\?aid=/);
  });

  it("archived promotions' links keep landing; a target change is served at once", async () => {
    const { space, domain, code, promotionId } = await promotionLink();
    await visit(`https://${domain}/ref/${code}`, { ua: UA.desktop }); // cached now
    await call("POST", `/v1/api/promotions/${promotionId}/archive`, { key: space.sk });
    expect((await visit(`https://${domain}/ref/${code}`, { ua: UA.desktop })).status).toBe(302);
    await call("PATCH", `/v1/api/promotions/${promotionId}`, {
      key: space.sk,
      body: { target_url: "https://shop.example.com/new" },
    });
    const res = await visit(`https://${domain}/ref/${code}`, { ua: UA.desktop });
    expect(res.headers.get("location")).toMatch(/^https:\/\/shop\.example\.com\/new\?aid=/);
    expect(JSON.parse((await env.LINKS.get(`promotion:${promotionId}`)) ?? "{}")).toMatchObject({
      value: { targetUrl: "https://shop.example.com/new" },
    });
  });

  it("a link code resolves only on its appspace's own domains", async () => {
    const { code } = await promotionLink();
    const other = await linkApiSpace();
    const res = await visit(`https://${other.domain}/ref/${code}`, { ua: UA.desktop });
    expect(res.headers.get("location") ?? "").not.toContain("aid=");
  });
});

describe("/ref/:code for referral codes", () => {
  it("desktop clicks get an aid on the web fallback URL", async () => {
    const { host, code, space } = await linkFixture();
    const res = await visit(`https://${host}/ref/${code}`, { ua: UA.desktop });
    const location = new URL(res.headers.get("location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe(APP_SETTINGS.web_fallback_url);
    expect(await verifyAid(SECRET, space.id, location.searchParams.get("aid") ?? "")).toMatchObject({ code });
  });

  it("unknown codes fall back without an aid", async () => {
    const { host } = await linkFixture();
    const res = await visit(`https://${host}/ref/ZZZZZZZZZZ`, { ua: UA.desktop });
    expect(res.headers.get("location")).toBe(APP_SETTINGS.web_fallback_url);
  });
});

describe("/aid.js", () => {
  it("is a small script any site may load", async () => {
    const res = await visit("https://go.example.test/aid.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(new TextEncoder().encode(res.body).byteLength).toBeLessThanOrEqual(2048);
    expect(res.body).toContain("edgeref_aid");
  });
});
