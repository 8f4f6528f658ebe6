/**
 * /aid.js on a customer's landing page, in a real browser: headless Chromium opens pages served by a
 * tiny node:http "customer site" on its own loopback port, and those pages load the script
 * cross-origin from the Worker (Miniflare on another port). The pages send a strict CSP of their
 * own (script-src: the Worker's origin only), and /signup also COEP require-corp, so the script has
 * to run without inline code or eval and the Worker's headers (CORP, nosniff + content type) have
 * to let Chromium execute it.
 *
 * Both origins are 127.0.0.1 (launchChromium resolves no other host name), so they differ by port:
 * cross-origin, same site. Cookies aren't scoped by port, so the jar for the landing page's origin
 * is that host's; the Worker sets no cookie of its own (checked below), so edgeref_aid there was
 * written by the script, in the landing page's document.
 */
import { createServer, type Server } from "node:http";
import type { Browser, BrowserContext, Cookie, Page, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, type Stack, startStack } from "./support";

/** An AID as the Worker mints them (src/link-api/aid.ts): code.issued.nonce.mac. */
const AID = "K7QX2MNP.lz3k9a.AbCdEfGh12345678.0123456789abcdef0123456789abcdef";
const LATER_AID = "K7QX2MNP.lz3kab.ZyXwVuTs_-987654.fedcba9876543210fedcba9876543210";
const PREFILLED = "set-by-the-server";
const DAY = 86_400;

/** What the tests read in the page (tsconfig.node.json has no DOM lib). */
interface InPage {
  edgeref?: { aid?: () => string | null };
  document: { cookie: string };
}

let stack: Stack;
let browser: Browser;
let landing: Server;
/** e.g. http://127.0.0.1:23456 — the customer's site. */
let site: string;

const escapeAttr = (value: string) =>
  value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function scriptTag(days: string | null, async: boolean): string {
  const daysAttr = days === null ? "" : ` data-days="${escapeAttr(days)}"`;
  return `<script src="${stack.origin}/aid.js"${daysAttr}${async ? " async" : ""}></script>`;
}

/**
 * The customer's pages:
 * - /welcome: where a link lands (`?aid=` in its URL). The script (data-days="7", async, as the
 *   README shows it) comes after a form with an empty hidden aid input and one the server filled.
 * - /signup: no aid in its URL. The script runs in <head>, before the form exists (so it fills on
 *   DOMContentLoaded), and the page is cross-origin isolated (COEP require-corp: CORP must allow it).
 * - /plain: no data-days (or `?days=<value>` as the attribute).
 */
function landingPage(url: URL): { html: string; headers: Record<string, string> } | null {
  const csp = `default-src 'none'; script-src ${stack.origin}; form-action 'self'; base-uri 'none'`;
  const headers: Record<string, string> = {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": csp,
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
  };
  const form = (inputs: string) => `<form method="post" action="/signup">${inputs}<button>Go</button></form>`;
  switch (url.pathname) {
    case "/welcome":
      return {
        headers,
        html: `<!doctype html><html><head><title>Welcome</title></head><body>
${form(`<input type="hidden" name="aid" id="empty"><input name="aid" id="prefilled" value="${PREFILLED}"><input name="email" id="email">`)}
${scriptTag("7", true)}
</body></html>`,
      };
    case "/signup":
      return {
        headers: { ...headers, "cross-origin-embedder-policy": "require-corp" },
        html: `<!doctype html><html><head><title>Sign up</title>${scriptTag("7", false)}</head><body>
${form(`<input type="email" name="email"><input type="hidden" name="aid" id="empty">`)}
</body></html>`,
      };
    case "/plain":
      return {
        headers,
        html: `<!doctype html><html><head><title>Plain</title></head><body>
${form(`<input type="hidden" name="aid" id="empty">`)}
${scriptTag(url.searchParams.get("days"), true)}
</body></html>`,
      };
    default:
      return null;
  }
}

/** Loopback ports below 32768, as support.ts picks them; 10080 is on Chromium's blocked-port list. */
async function listenOnFreePort(server: Server): Promise<number> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = 10000 + Math.floor(Math.random() * 10000);
    if (port === 10080) continue;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => {
          server.off("error", reject);
          resolve();
        });
      });
      return port;
    } catch (error) {
      lastError = error;
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    }
  }
  throw lastError;
}

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  landing = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const page = landingPage(url);
    if (!page) {
      res.writeHead(url.pathname === "/favicon.ico" ? 204 : 404).end();
      return;
    }
    res.writeHead(200, page.headers).end(page.html);
  });
  site = `http://127.0.0.1:${await listenOnFreePort(landing)}`;
  expect(new URL(site).origin).not.toBe(new URL(stack.origin).origin);
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (landing ? landing.close(() => resolve()) : resolve()));
  await stack?.close();
});

interface Visit {
  page: Page;
  /** The browser's response for /aid.js (from the Worker). */
  script: Response | undefined;
  /** Console errors, page errors and failed requests: a blocked or broken script shows up here. */
  problems: string[];
  /** Wall-clock window (epoch seconds) in which the script ran. */
  before: number;
  after: number;
}

/** Opens a landing page and waits for its load event (which waits for async scripts too). */
async function visit(context: BrowserContext, path: string): Promise<Visit> {
  const page = await context.newPage();
  const problems: string[] = [];
  let script: Response | undefined;
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on("response", (response) => {
    if (response.url() === `${stack.origin}/aid.js`) script = response;
  });
  const before = Date.now() / 1000;
  const response = await page.goto(`${site}${path}`, { waitUntil: "load" });
  const after = Date.now() / 1000;
  expect(response?.status()).toBe(200);
  return { page, script, problems, before, after };
}

/** The script was fetched cross-origin from the Worker and ran without a complaint from Chromium. */
async function expectScriptRan(v: Visit) {
  expect(v.problems).toEqual([]);
  expect(v.script, "the page never received /aid.js").toBeDefined();
  expect(v.script?.status()).toBe(200);
  expect(v.script?.request().resourceType()).toBe("script");
  expect(new URL(v.script?.url() ?? "").origin).not.toBe(new URL(v.page.url()).origin);
  expect(await v.page.evaluate(() => typeof (globalThis as unknown as InPage).edgeref?.aid)).toBe("function");
}

const pageAid = (page: Page) => page.evaluate(() => (globalThis as unknown as InPage).edgeref?.aid?.());

async function aidCookie(context: BrowserContext): Promise<Cookie | undefined> {
  return (await context.cookies(site)).find((cookie) => cookie.name === "edgeref_aid");
}

/** The cookie's expiry is `days` after the moment the script ran (Max-Age, rounded to seconds). */
function expectExpiresAfter(cookie: Cookie | undefined, v: Visit, days: number) {
  expect(cookie?.expires).toBeGreaterThanOrEqual(Math.floor(v.before) + days * DAY - 1);
  expect(cookie?.expires).toBeLessThanOrEqual(Math.ceil(v.after) + days * DAY + 1);
}

async function newContext(): Promise<BrowserContext> {
  return browser.newContext({ serviceWorkers: "block" });
}

describe("/aid.js as served", () => {
  it("is at most 2 KB, JavaScript by its content type, and embeddable cross-origin", async () => {
    const res = await fetch(`${stack.origin}/aid.js`);
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(Buffer.byteLength(body, "utf8")).toBeLessThanOrEqual(2048);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    // nosniff (from secureHeaders) makes Chromium insist on a JavaScript MIME type.
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    // secureHeaders' default would be same-origin, which blocks every customer's site.
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600");
    expect(res.headers.get("set-cookie")).toBeNull();
  });
});

describe("/aid.js on a landing page in headless Chromium", () => {
  it("keeps the aid from the URL in a first-party cookie for data-days, fills the forms, and answers edgeref.aid()", async () => {
    const context = await newContext();
    try {
      const welcome = await visit(context, `/welcome?x=1&aid=${AID}#frag`);
      await expectScriptRan(welcome);
      // The bytes the browser executed are the ≤ 2 KB script.
      expect((await welcome.script?.body())?.byteLength).toBeLessThanOrEqual(2048);

      const cookie = await aidCookie(context);
      expect(cookie).toMatchObject({
        value: AID,
        domain: "127.0.0.1",
        path: "/",
        sameSite: "Lax",
        httpOnly: false,
        // http: the script adds Secure only on https pages.
        secure: false,
      });
      expectExpiresAfter(cookie, welcome, 7);
      expect(await welcome.page.evaluate(() => (globalThis as unknown as InPage).document.cookie)).toBe(
        `edgeref_aid=${AID}`,
      );

      expect(await welcome.page.locator("#empty").inputValue()).toBe(AID);
      expect(await welcome.page.locator("#prefilled").inputValue()).toBe(PREFILLED);
      expect(await welcome.page.locator("#email").inputValue()).toBe("");
      expect(await pageAid(welcome.page)).toBe(AID);
      await welcome.page.close();

      // A later page of the same site, without aid in its URL: the cookie carries it.
      const signup = await visit(context, "/signup");
      await expectScriptRan(signup);
      expect(new URL(signup.page.url()).searchParams.has("aid")).toBe(false);
      expect(await signup.page.locator("#empty").inputValue()).toBe(AID);
      expect(await pageAid(signup.page)).toBe(AID);
      // Reading it doesn't renew it: still 7 days from the first visit.
      expectExpiresAfter(await aidCookie(context), welcome, 7);
      await signup.page.close();

      // A later click's aid replaces it (the last click counts).
      const again = await visit(context, `/welcome?aid=${LATER_AID}`);
      await expectScriptRan(again);
      expect((await aidCookie(context))?.value).toBe(LATER_AID);
      expect(await again.page.locator("#empty").inputValue()).toBe(LATER_AID);
      expect(await pageAid(again.page)).toBe(LATER_AID);

      // The Worker's host has no cookie of the Worker's own (same host, other port: same jar).
      const all = await context.cookies();
      expect(all.map((c) => c.name)).toEqual(["edgeref_aid"]);
    } finally {
      await context.close();
    }
  });

  it("a malformed aid sets no cookie and fills nothing", async () => {
    const context = await newContext();
    try {
      for (const bad of ["<script>", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "short", `${AID};Domain=127.0.0.1`]) {
        const v = await visit(context, `/welcome?aid=${bad}`);
        await expectScriptRan(v);
        expect(await context.cookies(), bad).toEqual([]);
        expect(await v.page.locator("#empty").inputValue(), bad).toBe("");
        expect(await v.page.locator("#prefilled").inputValue(), bad).toBe(PREFILLED);
        expect(await pageAid(v.page), bad).toBeNull();
        await v.page.close();
      }
      // Nor does a page without any aid.
      const signup = await visit(context, "/signup");
      await expectScriptRan(signup);
      expect(await context.cookies()).toEqual([]);
      expect(await signup.page.locator("#empty").inputValue()).toBe("");
      expect(await pageAid(signup.page)).toBeNull();
    } finally {
      await context.close();
    }
  });

  it("without a usable data-days the cookie lasts 30 days", async () => {
    for (const query of ["", "&days=0", "&days=-3", "&days=abc"]) {
      const context = await newContext();
      try {
        const v = await visit(context, `/plain?aid=${AID}${query}`);
        await expectScriptRan(v);
        const cookie = await aidCookie(context);
        expect(cookie?.value, query).toBe(AID);
        expectExpiresAfter(cookie, v, 30);
        expect(await v.page.locator("#empty").inputValue()).toBe(AID);
      } finally {
        await context.close();
      }
    }
  });
});
