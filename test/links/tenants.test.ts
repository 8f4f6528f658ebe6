import { createExecutionContext, env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src";
import { CODE_ALPHABET, CODE_LENGTH } from "../../src/referrals/code";
import {
  ADMIN_TOKEN,
  admin,
  createAppspace,
  createReferral,
  sql,
  type TestAppspace,
  uniqueDomain,
  uniqueUser,
} from "../support/api";
import { APP_SETTINGS, kvEntries, landingOf, spyOnQueuedClicks, UA, visit, waitForToken } from "../support/links";

/**
 * Tenants are isolated on the link domain: a code resolves only on its own appspace's domains and
 * on the operator-wide shared hosts (SHARED_LINK_HOSTS, "localhost,127.0.0.1" in wrangler.toml);
 * anywhere else it is unknown. A domain belongs to one appspace only.
 */

afterEach(() => vi.restoreAllMocks());

interface Tenant {
  space: TestAppspace;
  host: string;
  code: string;
  /** The referrer's name, which a preview of this tenant's link shows. */
  referrer: string;
  fallback: string | null;
}

async function tenant(label: string, settings: Record<string, unknown> = {}): Promise<Tenant> {
  const host = uniqueDomain(label);
  const fallback = `https://${label}.example.net/welcome`;
  const space = await createAppspace({
    domains: [host],
    settings: { ...APP_SETTINGS, web_fallback_url: fallback, og_title: `{{referrer_name}} invited you`, ...settings },
  });
  const referrer = `${label.toUpperCase()} Referrer ${crypto.randomUUID().slice(0, 6)}`;
  const ref = await createReferral(space, { user_id: uniqueUser(label), user_name: referrer });
  const configured = "web_fallback_url" in settings ? (settings.web_fallback_url as string | null) : fallback;
  return { space, host, code: ref.referral_code, referrer, fallback: configured };
}

/** Every click message the Worker hands to the click queue (the spy lets them through). */
function spyOnClicks() {
  const queued = spyOnQueuedClicks();
  return (code: string) => queued().filter((m) => m.code === code);
}

const location = landingOf;
const SIGNALS = "tz=Europe%2FBerlin&l=de-DE&w=393&h=852";
const APP_STORE = APP_SETTINGS.ios_app_store_url;

async function iosContinueUrl(host: string, code: string, ip: string) {
  const page = await visit(`https://${host}/ref/${code}`, { ua: UA.iphone, ip });
  const url = page.body.match(/\/ref\/[A-Z0-9]+\/continue\?t=[A-Za-z0-9_.-]+/)?.[0];
  if (!url) throw new Error(`no continue URL on the iOS page (${page.status})`);
  return url;
}

const randomCode = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(CODE_LENGTH)), (b) =>
    CODE_ALPHABET.charAt(b % CODE_ALPHABET.length),
  ).join("");

describe("a code resolves only on its own appspace's domains", () => {
  it("A's code on B's domain is unknown there: B's fallback, no click counted for A", async () => {
    const a = await tenant("a");
    const b = await tenant("b");
    const clicksFor = spyOnClicks();
    for (const ua of [UA.desktop, UA.android, UA.iphone, UA.instagramIos]) {
      const res = await visit(`https://${b.host}/ref/${a.code}`, { ua, ip: "198.51.100.31" });
      expect([res.status, location(res)], ua).toEqual([302, b.fallback]);
    }
    // The same code on A's own domain still works, and is the only click A gets. Its batch
    // leaves after any click queued by the requests above, so waiting for it waits for them.
    const own = await visit(`https://${a.host}/ref/${a.code}`, { ua: UA.desktop, ip: "198.51.100.32" });
    expect([own.status, location(own)]).toEqual([302, a.fallback]);
    await vi.waitFor(() => expect(clicksFor(a.code)).toHaveLength(1), { timeout: 5_000 });
    expect(clicksFor(a.code)).toEqual([expect.objectContaining({ appspaceId: a.space.id, route: "fallback" })]);
  });

  it("crawlers get no preview of A's link on B's domain", async () => {
    const a = await tenant("a");
    const b = await tenant("b");
    for (const ua of [UA.slackbot, UA.facebookexternalhit]) {
      const res = await visit(`https://${b.host}/ref/${a.code}`, { ua });
      expect([res.status, location(res)]).toEqual([302, b.fallback]);
      expect(res.body).not.toContain(a.referrer);
    }
    // On A's domain the preview names A's referrer (what the check above would have shown).
    const own = await visit(`https://${a.host}/ref/${a.code}`, { ua: UA.slackbot });
    expect(own.status).toBe(200);
    expect(own.body).toContain(`${a.referrer} invited you`);
  });

  it("without a fallback on B, A's code on B's domain is the 404 page", async () => {
    const a = await tenant("a");
    const b = await tenant("b", { web_fallback_url: null });
    for (const ua of [UA.desktop, UA.android, UA.slackbot]) {
      const res = await visit(`https://${b.host}/ref/${a.code}`, { ua });
      expect([res.status, location(res)]).toEqual([404, null]);
      expect(res.body).toContain("doesn’t exist");
      expect(res.body).not.toContain(a.referrer);
    }
  });

  it("/continue with A's code on B's domain records nothing and leads to no store", async () => {
    const a = await tenant("a");
    const b = await tenant("b");
    // Both tokens are genuine: minted by A's own page, for A's link.
    const foreign = await iosContinueUrl(a.host, a.code, "198.51.100.41");
    const control = await iosContinueUrl(a.host, a.code, "198.51.100.42");
    const res = await visit(`https://${b.host}${foreign}&${SIGNALS}`, { ua: UA.iphone, ip: "198.51.100.41" });
    expect(res.status).toBe(404);
    expect(location(res)).toBeNull();
    // The control, on A's domain, is recorded; the request above wrote before it.
    const ok = await visit(`https://${a.host}${control}&${SIGNALS}`, { ua: UA.iphone, ip: "198.51.100.42" });
    expect([ok.status, location(ok)]).toEqual([302, APP_STORE]);
    await waitForToken(control.split("t=")[1]);
    const tokens = (await kvEntries(`t:${a.space.id}:`)).map((e) => e.name);
    expect(tokens).toEqual([`t:${a.space.id}:${control.split("t=")[1]}`]);
    expect(await kvEntries(`d:${a.space.id}:`)).toHaveLength(1);
    expect(await kvEntries(`t:${b.space.id}:`)).toEqual([]);
  });

  it("on a host no appspace owns, or a subdomain of A's, A's code is the 404 page", async () => {
    const a = await tenant("a");
    for (const host of [uniqueDomain("nobody"), `evil.${a.host}`, `${a.host}.evil.example`]) {
      for (const ua of [UA.desktop, UA.slackbot]) {
        const res = await visit(`https://${host}/ref/${a.code}`, { ua });
        expect([res.status, location(res)], host).toEqual([404, null]);
        expect(res.body).not.toContain(a.referrer);
      }
    }
  });

  it("resolves on every one of the appspace's domains, whatever the Host's case", async () => {
    const first = uniqueDomain("first");
    const second = uniqueDomain("second");
    const space = await createAppspace({ domains: [first, second], settings: APP_SETTINGS });
    const ref = await createReferral(space, { user_name: "Jane Doe" });
    for (const host of [first, second, second.toUpperCase()]) {
      const res = await visit(`https://${host}/ref/${ref.referral_code}`, { ua: UA.desktop });
      expect([res.status, location(res)], host).toEqual([302, APP_SETTINGS.web_fallback_url]);
    }
  });

  it("the shared hosts (localhost, 127.0.0.1) serve every appspace's codes", async () => {
    const a = await tenant("a");
    const b = await tenant("b");
    const clicksFor = spyOnClicks();
    for (const origin of ["http://127.0.0.1", "http://localhost:8787"]) {
      const resA = await visit(`${origin}/ref/${a.code}`, { ua: UA.desktop });
      expect([resA.status, location(resA)], origin).toEqual([302, a.fallback]);
      const resB = await visit(`${origin}/ref/${b.code}`, { ua: UA.desktop });
      expect([resB.status, location(resB)], origin).toEqual([302, b.fallback]);
      const preview = await visit(`${origin}/ref/${a.code}`, { ua: UA.slackbot });
      expect(preview.status).toBe(200);
      expect(preview.body).toContain(`${a.referrer} invited you`);
    }
    await vi.waitFor(() => expect(clicksFor(a.code)).toHaveLength(2), { timeout: 5_000 });
    expect(clicksFor(a.code).every((m) => m.appspaceId === a.space.id)).toBe(true);
  });
});

describe("/.well-known files come from the host's owner only", () => {
  const appSettings = (team: string, bundle: string, pkg: string) => ({
    apple_team_id: team,
    ios_bundle_ids: [bundle],
    android_package: pkg,
    android_sha256_cert_fingerprints: [Array.from({ length: 32 }, () => team.slice(0, 2)).join(":")],
  });

  it("B's association files never list A's app, even after B tries to claim A's domain", async () => {
    const a = await tenant("a", appSettings("AAAAAAAAAA", "com.a.app", "com.a.app"));
    const b = await tenant("b", appSettings("BBBBBBBBBB", "com.b.app", "com.b.app"));
    const claim = await admin("PATCH", `/appspaces/${b.space.id}`, { domains: [b.host, a.host] });
    expect(claim.status).toBe(409);
    const appIds = async (host: string) =>
      JSON.parse((await visit(`https://${host}/.well-known/apple-app-site-association`)).body).applinks.details[0]
        .appIDs;
    const packages = async (host: string) =>
      JSON.parse((await visit(`https://${host}/.well-known/assetlinks.json`)).body).map(
        (s: { target: { package_name: string } }) => s.target.package_name,
      );
    expect(await appIds(b.host)).toEqual(["BBBBBBBBBB.com.b.app"]);
    expect(await appIds(a.host)).toEqual(["AAAAAAAAAA.com.a.app"]);
    expect(await packages(b.host)).toEqual(["com.b.app"]);
    expect(await packages(a.host)).toEqual(["com.a.app"]);
  });
});

describe("a domain belongs to one appspace", () => {
  const create = (domains: string[]) => admin("POST", "/appspaces", { name: uniqueUser("tenant"), domains });
  const taken = (domain: string) => ({
    error: `Domain ${domain} is already used by another appspace`,
    field: "domains",
    domain,
  });

  it("no appspace may hold one of the operator's shared link hosts: 409 naming it, on create and PATCH", async () => {
    // A deployment whose shared short domain is go.<unique>.example (SHARED_LINK_HOSTS).
    const shared = uniqueDomain("go");
    const deployment = { ...env, SHARED_LINK_HOSTS: `localhost,127.0.0.1,${shared}` } as unknown as typeof env;
    const call = async (method: string, path: string, body: unknown) => {
      const res = await worker.fetch(
        new Request(`https://api.test/v1/admin${path}`, {
          method,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
        deployment,
        createExecutionContext(),
      );
      return { status: res.status, body: await res.json() };
    };
    const expected = {
      error: `Domain ${shared} is a shared link host of this deployment (SHARED_LINK_HOSTS)`,
      field: "domains",
      domain: shared,
    };
    const created = await call("POST", "/appspaces", { name: uniqueUser("t"), domains: [uniqueDomain("own"), shared] });
    expect([created.status, created.body]).toMatchObject([409, expected]);
    const space = await call("POST", "/appspaces", { name: uniqueUser("t"), domains: [] });
    expect(space.status).toBe(201);
    const patched = await call("PATCH", `/appspaces/${(space.body as { id: string }).id}`, {
      domains: [shared.toUpperCase()],
    });
    expect([patched.status, patched.body]).toMatchObject([409, expected]);
    const [row] = await sql<{ n: string }>("select count(*)::text as n from appspace_domains where domain = $1", [
      shared,
    ]);
    expect(row?.n).toBe("0");
  });

  it("creating an appspace with a domain another holds is a 409 naming it, whatever its case", async () => {
    const domain = uniqueDomain("links");
    expect((await create([domain])).status).toBe(201);
    const again = await create([domain]);
    expect([again.status, again.body]).toMatchObject([409, taken(domain)]);
    const shouted = await create([domain.replace(/^links/, "Links").toUpperCase()]);
    expect([shouted.status, shouted.body]).toMatchObject([409, taken(domain)]);
  });

  it("held in mixed case, the domain still blocks its lower-case spelling", async () => {
    const domain = uniqueDomain("mixed");
    expect((await create([domain.toUpperCase()])).status).toBe(201);
    const res = await create([domain]);
    expect([res.status, res.body]).toMatchObject([409, taken(domain)]);
  });

  it("a refused create stores nothing: the free domains in it stay free", async () => {
    const held = uniqueDomain("held");
    const free = uniqueDomain("free");
    await createAppspace({ domains: [held] });
    const name = uniqueUser("refused");
    const res = await admin("POST", "/appspaces", { name, domains: [free, held] });
    expect([res.status, res.body]).toMatchObject([409, taken(held)]);
    expect(await sql("select id from appspaces where name = $1", [name])).toEqual([]);
    expect((await create([free])).status).toBe(201);
  });

  it("PATCHing in a domain another holds is a 409 that changes nothing", async () => {
    const a = await tenant("a");
    const b = await tenant("b");
    const before = await admin("GET", `/appspaces/${b.space.id}`);
    const fresh = uniqueDomain("fresh");
    const res = await admin("PATCH", `/appspaces/${b.space.id}`, {
      name: "renamed",
      domains: [fresh, a.host.toUpperCase()],
    });
    expect([res.status, res.body]).toMatchObject([409, taken(a.host)]);
    expect((await admin("GET", `/appspaces/${b.space.id}`)).body).toEqual(before.body);
    // B keeps its own domain; the fresh one was not taken either.
    const own = await visit(`https://${b.host}/ref/${b.code}`, { ua: UA.desktop });
    expect([own.status, location(own)]).toEqual([302, b.fallback]);
    expect((await create([fresh])).status).toBe(201);
  });

  it("an appspace re-saving, reordering or extending its own domains is fine", async () => {
    const a = await tenant("a");
    const extra = uniqueDomain("extra");
    for (const domains of [[a.host], [a.host.toUpperCase()], [a.host, extra], [extra, a.host]]) {
      const res = await admin("PATCH", `/appspaces/${a.space.id}`, { domains });
      expect([res.status, res.body.domains], JSON.stringify(domains)).toEqual([
        200,
        domains.map((d) => d.toLowerCase()),
      ]);
    }
    const res = await visit(`https://${extra}/ref/${a.code}`, { ua: UA.desktop });
    expect([res.status, location(res)]).toEqual([302, a.fallback]);
  });

  it("a domain removed from one appspace is free for another", async () => {
    const domain = uniqueDomain("moving");
    const kept = uniqueDomain("kept");
    const a = await createAppspace({ domains: [domain, kept] });
    expect((await create([domain])).status).toBe(409);
    expect((await admin("PATCH", `/appspaces/${a.id}`, { domains: [kept] })).status).toBe(200);
    const b = await create([domain]);
    expect(b.status).toBe(201);
    expect((await create([kept])).status).toBe(409);
    // The new owner serves the domain's association files and fallback.
    await admin("PATCH", `/appspaces/${b.body.id}`, { settings: { web_fallback_url: "https://b.example.net/" } });
    const res = await visit(`https://${domain}/ref/${randomCode()}`, { ua: UA.desktop });
    expect([res.status, location(res)]).toEqual([302, "https://b.example.net/"]);
  });

  it("20 concurrent creates of one domain: exactly one 201, the others 409 naming it", async () => {
    const domain = uniqueDomain("race");
    const results = await Promise.all(Array.from({ length: 20 }, () => create([domain])));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array<number>(19).fill(409)]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body).toMatchObject(taken(domain));
    const owners = await sql<{ appspace_id: string }>("select appspace_id from appspace_domains where domain = $1", [
      domain,
    ]);
    expect(owners).toEqual([{ appspace_id: results.find((r) => r.status === 201)?.body.id }]);
  });

  it("10 concurrent PATCHes adding one domain: exactly one wins", async () => {
    const domain = uniqueDomain("patchrace");
    const spaces = await Promise.all(Array.from({ length: 10 }, () => createAppspace()));
    const results = await Promise.all(spaces.map((s) => admin("PATCH", `/appspaces/${s.id}`, { domains: [domain] })));
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array<number>(9).fill(409)]);
    const winner = spaces[results.findIndex((r) => r.status === 200)];
    const owners = await sql("select appspace_id from appspace_domains where domain = $1", [domain]);
    expect(owners).toEqual([{ appspace_id: winner?.id }]);
  });
});

describe("misses cost no KV write", () => {
  it("a crawler/HEAD flood of random codes and Hosts writes no link: or host: keys", async () => {
    const a = await tenant("a");
    const put = vi.spyOn(env.LINKS, "put");
    const requests = Array.from({ length: 128 }, (_, i) => {
      const host = i % 3 === 2 ? uniqueDomain("random") : a.host;
      return i % 2 === 0
        ? { url: `https://${host}/ref/${randomCode()}`, ua: UA.slackbot, method: "GET" }
        : { url: `https://${host}/ref/${randomCode()}`, ua: UA.desktop, method: "HEAD" };
    });
    for (let i = 0; i < requests.length; i += 32) {
      const results = await Promise.all(
        requests.slice(i, i + 32).map((r) => visit(r.url, { ua: r.ua, method: r.method })),
      );
      for (const res of results) expect(res.status).not.toBe(500);
    }
    // `put` is called (if at all) before the response, when the entry is loaded: nothing to wait for.
    const cacheKeys = put.mock.calls.map(([key]) => key).filter((k) => /^(link|host):/.test(k));
    // The only hit in the flood: A's own host (its appspace, for the fallback).
    expect(new Set(cacheKeys)).toEqual(new Set([`host:${a.host}`]));
    const stored = (await kvEntries("link:")).map((e) => e.name);
    for (const r of requests) expect(stored).not.toContain(`link:${r.url.split("/ref/")[1]}`);
    // A real code is still cached in KV (so the spy does see the writes that should happen).
    await visit(`https://${a.host}/ref/${a.code}`, { ua: UA.slackbot });
    expect(put.mock.calls.map(([key]) => key)).toContain(`link:${a.code}`);
  }, 60_000);
});
