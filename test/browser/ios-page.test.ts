/**
 * The iOS page in a real browser: headless Chromium emulating an iPhone loads /ref/:code from the
 * Worker (Miniflare on a loopback port), the page's own script (or, without JavaScript, its
 * <noscript> refresh) continues to the App Store, and the device signals land in the deferred
 * record in KV. The App Store navigation is intercepted: nothing leaves the machine.
 */
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, launchChromium, type Stack, startStack } from "./support";

const APP_STORE_URL = "https://apps.apple.com/app/id1234567890";
const IPHONE_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** A fresh appspace with an iOS app and a pending referral, through the HTTP API. */
async function referralCode(
  extraSettings: Record<string, unknown> = {},
): Promise<{ appspaceId: string; code: string; pk: string }> {
  const space = await stack.api<{ id: string; publishable_key: string }>("POST", "/v1/admin/appspaces", {
    key: ADMIN_TOKEN,
    body: {
      name: `browser-${crypto.randomUUID()}`,
      domains: [`${crypto.randomUUID().slice(0, 8)}.links.test`],
      settings: { ios_app_store_url: APP_STORE_URL, web_fallback_url: "https://example.com", ...extraSettings },
    },
  });
  expect(space.status, JSON.stringify(space.body)).toBe(201);
  const referral = await stack.api<{ referral_code: string }>("POST", "/v1/api/referral/create", {
    key: space.body.publishable_key,
    body: { user_id: `referrer_${crypto.randomUUID().slice(0, 8)}` },
  });
  expect(referral.status, JSON.stringify(referral.body)).toBe(200);
  return { appspaceId: space.body.id, code: referral.body.referral_code, pk: space.body.publishable_key };
}

/** An iPhone (393×852 points) in Berlin with German settings. */
async function iphone(options: { javaScriptEnabled: boolean; userAgent?: string }): Promise<BrowserContext> {
  const context = await browser.newContext({
    userAgent: options.userAgent ?? IPHONE_UA,
    viewport: { width: 393, height: 852 },
    screen: { width: 393, height: 852 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
    locale: "de-DE",
    timezoneId: "Europe/Berlin",
    javaScriptEnabled: options.javaScriptEnabled,
    serviceWorkers: "block",
  });
  return context;
}

const APP_STORE_PAGE = Buffer.from("<!doctype html><title>App Store</title>").toString("base64");

/**
 * Two things Playwright's own API can't do here, done through a CDP session's Fetch domain:
 * - The App Store navigation arrives as the redirect from /continue, and Playwright's route()
 *   never sees redirects. Fetch does: it's answered in the browser itself, so the page really
 *   navigates to the App Store URL and no request leaves the machine.
 * - The /ref/:code document is gone (response.body() fails) once its script has navigated away,
 *   so its body is read while its response is paused, then let through unchanged.
 * `html()` returns the document's HTML once it has been seen; call `closing()` before closing the
 * page (a late request, such as Chromium's favicon fetch, may still be paused then).
 */
async function instrument(context: BrowserContext, page: Page, documentUrl: string) {
  const cdp = await context.newCDPSession(page);
  let html: string | undefined;
  let closing = false;
  const answer = async (event: { requestId: string; request: { url: string } }) => {
    if (event.request.url.startsWith("https://apps.apple.com/")) {
      // The store page itself; anything else there (Chromium's favicon request) is a 404.
      const found = event.request.url === APP_STORE_URL;
      await cdp.send("Fetch.fulfillRequest", {
        requestId: event.requestId,
        responseCode: found ? 200 : 404,
        responseHeaders: [{ name: "content-type", value: "text/html; charset=utf-8" }],
        body: found ? APP_STORE_PAGE : "",
      });
      return;
    }
    try {
      const { body, base64Encoded } = await cdp.send("Fetch.getResponseBody", { requestId: event.requestId });
      html = Buffer.from(body, base64Encoded ? "base64" : "utf8").toString("utf8");
    } finally {
      await cdp.send("Fetch.continueResponse", { requestId: event.requestId });
    }
  };
  cdp.on("Fetch.requestPaused", (event) => {
    answer(event).catch((error: unknown) => {
      if (!closing) console.error("[browser] CDP interception failed:", error);
    });
  });
  await cdp.send("Fetch.enable", {
    patterns: [
      { urlPattern: "https://apps.apple.com/*", requestStage: "Request" },
      { urlPattern: documentUrl, resourceType: "Document", requestStage: "Response" },
    ],
  });
  return {
    html(): string {
      if (html === undefined) throw new Error(`the browser never received ${documentUrl}`);
      return html;
    },
    closing() {
      closing = true;
    },
  };
}

interface Visit {
  requests: Request[];
  /** The /ref/:code document as the browser received it. */
  html: string;
  status: number | undefined;
  /** The /continue request the page made (script or <noscript> refresh). */
  continueUrl: URL | undefined;
  token: string;
}

/** Opens /ref/:code and waits until the page has continued to the (intercepted) App Store. */
async function visitLink(context: BrowserContext, code: string): Promise<Visit> {
  const url = `${stack.origin}/ref/${code}`;
  const page = await context.newPage();
  const cdp = await instrument(context, page, url);
  try {
    const requests: Request[] = [];
    page.on("request", (request) => requests.push(request));
    const response = await page.goto(url, { waitUntil: "commit" });
    await page.waitForURL(APP_STORE_URL, { timeout: 15_000 });
    const continued = requests.map((r) => new URL(r.url())).find((u) => u.pathname === `/ref/${code}/continue`);
    return {
      requests,
      html: cdp.html(),
      status: response?.status(),
      continueUrl: continued,
      token: continued?.searchParams.get("t") ?? "",
    };
  } finally {
    cdp.closing();
    await page.close();
  }
}

/** The deferred record the Worker stored (off the response path, via waitUntil) for a token. */
async function storedRecord(token: string): Promise<{ raw: string; record: Record<string, unknown> }> {
  const kv = await stack.mf.getKVNamespace("LINKS");
  const deadline = Date.now() + 5_000;
  for (;;) {
    const { keys } = await kv.list({ prefix: "t:" });
    // Token keys are namespaced by appspace: t:<appspace>:<token>.
    const key = keys.find((k) => k.name.endsWith(`:${token}`));
    if (key) {
      const raw = (await kv.get(key.name)) ?? "";
      return { raw, record: JSON.parse(raw) };
    }
    if (Date.now() > deadline) throw new Error(`no deferred record for token ${token}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The device-keyed copies (`d:<appspace>:<ipHash>:<fingerprint>`) of an appspace's records. */
async function deviceEntries(appspaceId: string): Promise<{ name: string; value: string }[]> {
  const kv = await stack.mf.getKVNamespace("LINKS");
  const { keys } = await kv.list({ prefix: `d:${appspaceId}:` });
  return Promise.all(keys.map(async (k) => ({ name: k.name, value: (await kv.get(k.name)) ?? "" })));
}

/**
 * Every request the page made went to the Worker, except the App Store navigation (answered in
 * the browser): and that one is the Worker's redirect from /continue.
 */
function expectOnlyOwnOrigin(visit: Visit) {
  const foreign = visit.requests.filter((r) => new URL(r.url()).origin !== stack.origin);
  expect(foreign.map((r) => r.url())).toEqual([APP_STORE_URL]);
  const from = foreign[0]?.redirectedFrom();
  expect(from && new URL(from.url()).pathname).toBe(visit.continueUrl?.pathname);
}

/** The stored record keeps keyed hashes of the IP and User-Agent, never the values. */
function expectNoRawIdentifiers(raw: string, record: Record<string, unknown>) {
  expect(record.ipHash).toMatch(/^[0-9a-f]{64}$/);
  expect(record.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  expect(raw).not.toContain("127.0.0.1");
  expect(raw).not.toContain(IPHONE_UA);
}

describe("the iOS page in headless Chromium", () => {
  it("continues to the App Store and the page's signals reach the deferred record", async () => {
    const { appspaceId, code } = await referralCode();
    const context = await iphone({ javaScriptEnabled: true });
    try {
      const visit = await visitLink(context, code);
      expect(visit.status).toBe(200);
      expect(Buffer.byteLength(visit.html)).toBeLessThan(4096);
      expect(visit.html).not.toMatch(/<(script|img|link|iframe)[^>]+(src|href)="?(https?:)?\/\//i);
      expectOnlyOwnOrigin(visit);
      // The script's query, as Chromium built it from the emulated device.
      expect(Object.fromEntries(visit.continueUrl?.searchParams ?? [])).toEqual({
        t: visit.token,
        tz: "Europe/Berlin",
        l: "de-DE",
        w: "393",
        h: "852",
      });

      const { raw, record } = await storedRecord(visit.token);
      expect(record).toMatchObject({
        token: visit.token,
        appspaceId,
        code,
        path: `/ref/${code}`,
        os: "ios",
        source: "script",
        signals: {
          timezone: "Europe/Berlin",
          language: "de-DE",
          screenWidth: 393,
          screenHeight: 852,
          safariVersion: "17.4",
        },
      });
      expectNoRawIdentifiers(raw, record);
      const devices = await deviceEntries(appspaceId);
      expect(devices).toEqual([{ name: `d:${appspaceId}:${record.ipHash}:ios:${record.fingerprint}`, value: raw }]);
    } finally {
      await context.close();
    }
  });

  it("without JavaScript, the <noscript> refresh still reaches the App Store and the headers are kept", async () => {
    const { appspaceId, code } = await referralCode();
    const context = await iphone({ javaScriptEnabled: false });
    try {
      const visit = await visitLink(context, code);
      expect(visit.status).toBe(200);
      expect(visit.html).toContain(
        `<noscript><meta http-equiv="refresh" content="0;url=/ref/${code}/continue?t=${visit.token}"></noscript>`,
      );
      expectOnlyOwnOrigin(visit);
      // No script ran: the refresh carries the token only.
      expect(Object.fromEntries(visit.continueUrl?.searchParams ?? [])).toEqual({ t: visit.token });

      const { raw, record } = await storedRecord(visit.token);
      expect(record).toMatchObject({
        token: visit.token,
        appspaceId,
        code,
        path: `/ref/${code}`,
        os: "ios",
        source: "headers",
        // Chromium's Accept-Language for the de-DE locale.
        signals: { language: "de-DE", screenWidth: null, screenHeight: null, safariVersion: "17.4" },
      });
      expectNoRawIdentifiers(raw, record);
    } finally {
      await context.close();
    }
  });
});

describe("the in-app interstitial in headless Chromium", () => {
  // Instagram's in-app browser on iOS: a WKWebView without Safari's `Version/` token.
  const INSTAGRAM_UA =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 330.0.0.30.88 (iPhone15,2; iOS 17_4; en_US; en; scale=3.00; 1179x2556; 602345200)";

  it("'Get the app' carries the same device signals as the iOS page into the deferred record", async () => {
    const { appspaceId, code } = await referralCode();
    const context = await iphone({ javaScriptEnabled: true, userAgent: INSTAGRAM_UA });
    const url = `${stack.origin}/ref/${code}`;
    const page = await context.newPage();
    const cdp = await instrument(context, page, url);
    try {
      const requests: Request[] = [];
      page.on("request", (request) => requests.push(request));
      await page.goto(url);
      expect(await page.locator("h1").count()).toBe(1);
      await page.getByRole("link", { name: "Get the app" }).click();
      await page.waitForURL(APP_STORE_URL, { timeout: 15_000 });
      const continued = requests.map((r) => new URL(r.url())).find((u) => u.pathname === `/ref/${code}/continue`);
      const token = continued?.searchParams.get("t") ?? "";
      expect(Object.fromEntries(continued?.searchParams ?? [])).toEqual({
        t: token,
        tz: "Europe/Berlin",
        l: "de-DE",
        w: "393",
        h: "852",
      });
      const { raw, record } = await storedRecord(token);
      expect(record).toMatchObject({
        appspaceId,
        code,
        os: "ios",
        source: "script",
        signals: { timezone: "Europe/Berlin", language: "de-DE", screenWidth: 393, screenHeight: 852 },
      });
      expect(record.ipHash).toMatch(/^[0-9a-f]{64}$/);
      expect(raw).not.toContain(INSTAGRAM_UA);
    } finally {
      cdp.closing();
      await context.close();
    }
  });
});

describe("the iOS page's pasteboard offer (ios_pasteboard_claim) in headless Chromium", () => {
  it("'Copy code and get the app' puts the token on the pasteboard, reaches the App Store, and the app claims it once", async () => {
    const { code, pk } = await referralCode({ ios_pasteboard_claim: true });
    const context = await iphone({ javaScriptEnabled: true });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.origin });
    const url = `${stack.origin}/ref/${code}`;
    const page = await context.newPage();
    const cdp = await instrument(context, page, url);
    try {
      // (No automatic redirect — test/links/pages.test.ts checks the page has none.)
      await page.goto(url);
      await page.getByRole("button", { name: "Copy code and get the app" }).click();
      await page.waitForURL(APP_STORE_URL, { timeout: 15_000 });
      const reader = await context.newPage();
      await reader.goto(`${stack.origin}/health`);
      const copied = await reader.evaluate(() =>
        (
          globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
        ).navigator.clipboard.readText(),
      );
      expect(copied).toMatch(/^edgeref-token:[A-Za-z0-9_.-]+$/);
      const token = copied.slice("edgeref-token:".length);
      await storedRecord(token);
      // What the app does on first launch with what it pasted.
      const claim = await stack.api<{ path: string; referral_code: string }>(
        "GET",
        `/api/deferred/claim?token=${encodeURIComponent(token)}`,
        { key: pk },
      );
      expect(claim.status).toBe(200);
      expect(claim.body).toMatchObject({ path: `/ref/${code}`, referral_code: code });
      expect(
        (await stack.api("GET", `/api/deferred/claim?token=${encodeURIComponent(token)}`, { key: pk })).status,
      ).toBe(404);
    } finally {
      cdp.closing();
      await context.close();
    }
  });
});
