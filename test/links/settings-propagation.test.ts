import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { admin, uniqueDomain } from "../support/api";
import { landingOf, linkFixture, UA, visit } from "../support/links";

/**
 * An admin change reaches the edge at once where it was made: the isolate that handled the PATCH
 * serves the new settings and domains on its very next link request, and KV's copy is replaced
 * (other isolates: within a minute, see the README). Each test warms the caches first, so the
 * old value really is cached when the change lands.
 */
const location = landingOf;

describe("a settings change reaches the edge at once", () => {
  it("/ref/:code follows a new web_fallback_url on the next request; KV holds the new settings", async () => {
    const { host, code, space } = await linkFixture();
    expect(location(await visit(`https://${host}/ref/${code}`, { ua: UA.desktop }))).toBe(
      "https://example.com/welcome",
    );
    const patched = await admin("PATCH", `/appspaces/${space.id}`, {
      settings: { web_fallback_url: "https://example.com/spring-campaign" },
    });
    expect(patched.status).toBe(200);
    expect(location(await visit(`https://${host}/ref/${code}`, { ua: UA.desktop }))).toBe(
      "https://example.com/spring-campaign",
    );
    const stored = await env.LINKS.get<{ value: { settings: { web_fallback_url: string } } }>(
      `appspace:${space.id}`,
      "json",
    );
    expect(stored?.value.settings.web_fallback_url).toBe("https://example.com/spring-campaign");
  });

  it("previews and the app-association file change at once too", async () => {
    const { host, code, space } = await linkFixture({
      apple_team_id: "ABCDE12345",
      ios_bundle_ids: ["com.example.app"],
    });
    expect((await visit(`https://${host}/ref/${code}`, { ua: UA.slackbot })).body).toContain("invited you to Example");
    expect((await visit(`https://${host}/.well-known/apple-app-site-association`)).body).toContain(
      "ABCDE12345.com.example.app",
    );
    await admin("PATCH", `/appspaces/${space.id}`, {
      settings: { og_title: "{{referrer_name}} saved you a seat", apple_team_id: "ZYXWV98765" },
    });
    expect((await visit(`https://${host}/ref/${code}`, { ua: UA.slackbot })).body).toContain(
      "Jane Doe saved you a seat",
    );
    const aasa = (await visit(`https://${host}/.well-known/apple-app-site-association`)).body;
    expect(aasa).toContain("ZYXWV98765.com.example.app");
    expect(aasa).not.toContain("ABCDE12345");
  });

  it("a domain taken away stops serving the codes at once; a domain added serves them at once", async () => {
    const { host, code, space } = await linkFixture();
    const added = uniqueDomain("moved");
    expect((await visit(`https://${host}/ref/${code}`, { ua: UA.desktop })).status).toBe(302);
    // The new domain is unknown before the change (and cached as such in this isolate).
    expect((await visit(`https://${added}/ref/${code}`, { ua: UA.desktop })).status).toBe(404);
    expect((await admin("PATCH", `/appspaces/${space.id}`, { domains: [added] })).status).toBe(200);
    expect(location(await visit(`https://${added}/ref/${code}`, { ua: UA.desktop }))).toBe(
      "https://example.com/welcome",
    );
    const old = await visit(`https://${host}/ref/${code}`, { ua: UA.desktop });
    expect(old.status).toBe(404);
    expect(await env.LINKS.get(`host:${host}`)).toBeNull();
  });
});
