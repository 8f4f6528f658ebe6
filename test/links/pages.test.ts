/**
 * The link pages' Content-Security-Policy, as served: nothing loads, and the page's inline
 * <style> and <script> run only because the header names their SHA-256. And the referrer's name
 * goes into preview texts literally, however it is spelled.
 */
import { describe, expect, it } from "vitest";
import { createReferral } from "../support/api";
import { linkFixture, UA, visit } from "../support/links";

async function sha256Source(content: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(content)));
  return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
}

function parsePolicy(header: string | null): Map<string, string[]> {
  expect(header, "Content-Security-Policy header").toBeTruthy();
  const directives = new Map<string, string[]>();
  for (const part of (header ?? "").split(";")) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (!name) continue;
    expect(directives.has(name), `duplicate ${name}`).toBe(false);
    directives.set(name, sources);
  }
  return directives;
}

/** Bodies of the page's inline elements of one kind (<script> without src, <style>). */
function inline(html: string, tag: "script" | "style"): string[] {
  return [...html.matchAll(new RegExp(`<${tag}(\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, "gi"))]
    .filter((m) => !/\ssrc=/i.test(m[1] ?? ""))
    .map((m) => m[2] ?? "");
}

/** The policy is strict, and allows exactly the inline code the page carries. */
async function expectStrictPolicy(res: { headers: Headers; body: string }, expected: { scripts: number }) {
  const policy = parsePolicy(res.headers.get("content-security-policy"));
  expect(policy.get("default-src")).toEqual(["'none'"]);
  expect(policy.get("base-uri")).toEqual(["'none'"]);
  expect(policy.get("form-action")).toEqual(["'none'"]);
  expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
  // No page loads images (og:image is metadata for crawlers, not loaded by the page), fonts,
  // frames or anything over the network.
  for (const name of ["img-src", "connect-src", "font-src", "frame-src", "media-src", "object-src"]) {
    expect(policy.has(name), name).toBe(false);
  }
  expect(res.headers.get("content-security-policy")).not.toMatch(/unsafe-|\*|https?:|data:/);

  const styles = inline(res.body, "style");
  expect(styles.length).toBeGreaterThan(0);
  expect(policy.get("style-src")?.sort()).toEqual((await Promise.all(styles.map(sha256Source))).sort());

  const scripts = inline(res.body, "script");
  expect(scripts).toHaveLength(expected.scripts);
  expect(res.body).not.toMatch(/<script[^>]+src=/i);
  if (scripts.length === 0) expect(policy.has("script-src")).toBe(false);
  else expect(policy.get("script-src")?.sort()).toEqual((await Promise.all(scripts.map(sha256Source))).sort());
  // No inline event handlers or style attributes: a hash policy would block them.
  expect(res.body).not.toMatch(/\son[a-z]+=|\sstyle=/i);
}

describe("link pages: Content-Security-Policy", () => {
  it("the iOS page: its one script and its stylesheet, by hash, and nothing else", async () => {
    const { host, code } = await linkFixture();
    const res = await visit(`https://${host}/ref/${code}`, { ua: UA.iphone });
    expect(res.status).toBe(200);
    await expectStrictPolicy(res, { scripts: 1 });
  });

  it("the iOS page's script is the same on every visit (per-request values are in the markup)", async () => {
    const { host, code } = await linkFixture();
    const [a, b] = [
      await visit(`https://${host}/ref/${code}`, { ua: UA.iphone }),
      await visit(`https://${host}/ref/${code}`, { ua: UA.iphone }),
    ];
    expect(a.body).not.toBe(b.body); // each visit has its own token…
    expect(inline(a.body, "script")).toEqual(inline(b.body, "script")); // …in the markup, not the script
    expect(a.headers.get("content-security-policy")).toBe(b.headers.get("content-security-policy"));
  });

  it("the preview and the 404 page: the stylesheet only, no script", async () => {
    const { host, code } = await linkFixture();
    const pages = [
      await visit(`https://${host}/ref/${code}`, { ua: UA.slackbot }),
      await visit(`https://nowhere-${crypto.randomUUID().slice(0, 8)}.test/ref/${code}`, { ua: UA.desktop }),
    ];
    expect(pages.map((p) => p.status)).toEqual([200, 404]);
    for (const res of pages) {
      expect(res.headers.get("content-type")).toMatch(/text\/html/);
      await expectStrictPolicy(res, { scripts: 0 });
    }
  });

  it("the in-app interstitial: the stylesheet and the one script that adds the device signals to its store link", async () => {
    const { host, code } = await linkFixture();
    const pages = [
      await visit(`https://${host}/ref/${code}`, { ua: UA.instagramIos }),
      await visit(`https://${host}/ref/${code}`, { ua: UA.facebookAndroid }),
    ];
    expect(pages.map((p) => p.status)).toEqual([200, 200]);
    for (const res of pages) {
      expect(res.body).toContain('id="store"');
      await expectStrictPolicy(res, { scripts: 1 });
    }
    // Without JavaScript the store link still works: on iOS it is /continue, on Android the Play Store.
    expect(pages[0]?.body).toMatch(new RegExp(`id="store" href="/ref/${code}/continue\\?t=`));
    expect(pages[1]?.body).toContain('id="store" href="https://play.google.com/store/apps/details?id=com.example.app');
  });
});

describe("{{referrer_name}}", () => {
  // `$&`, `` $` ``, `$'` and `$$` mean something to String.prototype.replace with a string replacement.
  const NAME = "Jo $& $` $' $$ <b>";
  const ESCAPED = "Jo $&amp; $` $&#39; $$ &lt;b&gt;";

  it("is substituted literally (and escaped) in the preview and the interstitial", async () => {
    const { host, space } = await linkFixture({
      og_title: "{{referrer_name}} invited you",
      og_description: "A gift from {{ referrer_name }}!",
    });
    const ref = await createReferral(space, { user_id: "dollar", user_name: NAME });
    const preview = await visit(`https://${host}/ref/${ref.referral_code}`, { ua: UA.slackbot });
    expect(preview.status).toBe(200);
    expect(preview.body).toContain(`<title>${ESCAPED} invited you</title>`);
    expect(preview.body).toContain(`<meta property="og:title" content="${ESCAPED} invited you">`);
    expect(preview.body).toContain(`<p>A gift from ${ESCAPED}!</p>`);
    expect(preview.body).not.toContain("{{");

    const interstitial = await visit(`https://${host}/ref/${ref.referral_code}`, { ua: UA.instagramIos });
    expect(interstitial.status).toBe(200);
    expect(interstitial.body).toContain(`<h1>${ESCAPED} invited you</h1>`);
    expect(interstitial.body).not.toContain("{{");
  });
});

describe("the iOS page with ios_pasteboard_claim", () => {
  it("offers 'Copy code and get the app' (hidden until its script runs) next to a plain link, and doesn't leave by itself", async () => {
    const { host, code } = await linkFixture({ ios_pasteboard_claim: true });
    const res = await visit(`https://${host}/ref/${code}`, { ua: UA.iphone });
    expect(res.status).toBe(200);
    expect(res.body).toMatch(
      /<button class="button" id="copy" type="button" hidden data-token="[A-Za-z0-9_.-]+">Copy code and get the app<\/button>/,
    );
    expect(res.body).toMatch(new RegExp(`<a class="button secondary" id="continue" href="/ref/${code}/continue\\?t=`));
    expect(res.body).not.toContain('http-equiv="refresh"');
    await expectStrictPolicy(res, { scripts: 1 });
    // The token offered is the one /continue records.
    const token = /data-token="([^"]+)"/.exec(res.body)?.[1];
    expect(res.body).toContain(`continue?t=${token}`);
  });
});
