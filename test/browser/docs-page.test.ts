/**
 * /docs in a real browser: headless Chromium renders Swagger UI from files this Worker serves
 * (the machine has no network: a CDN would leave the page blank), under the page's strict
 * Content-Security-Policy, without a single violation or a request to another origin.
 */
import type { Browser, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, type Stack, startStack } from "./support";

interface InPage {
  getComputedStyle(element: unknown): { maxWidth: string };
}

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe("/docs in headless Chromium", () => {
  it("renders the API reference offline, with no CSP violation and no foreign request", async () => {
    const context = await browser.newContext({ serviceWorkers: "block" });
    try {
      const page = await context.newPage();
      const requests: Request[] = [];
      const problems: string[] = [];
      page.on("request", (request) => requests.push(request));
      // Chromium reports every CSP violation (and failed load) on the console as an error.
      page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warning") problems.push(message.text());
      });
      page.on("pageerror", (error) => problems.push(String(error)));
      const response = await page.goto(`${stack.origin}/docs`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()["content-security-policy"]).toMatch(/default-src 'none'/);

      // Operations from /openapi.json, rendered by Swagger UI's script.
      await page.waitForSelector('.opblock-summary-path[data-path="/v1/api/referral/create"]', { timeout: 15_000 });
      await page.waitForSelector('.opblock-summary-path[data-path="/v1/admin/appspaces"]');
      expect(await page.locator("button.authorize").count()).toBe(1);
      // Swagger UI's stylesheet applied (its layout hides the raw markup's default look).
      const wrapper = await page
        .locator(".swagger-ui .wrapper")
        .first()
        // Runs in the page (this project's types have no DOM).
        .evaluate((el) => (globalThis as unknown as InPage).getComputedStyle(el).maxWidth);
      expect(wrapper).toBe("1460px");
      // Expanding an operation renders its schema (React, styles set through the CSSOM).
      await page.locator('.opblock-summary-path[data-path="/v1/api/referral/create"]').click();
      await page.waitForSelector(".opblock.is-open .opblock-body");

      expect(problems).toEqual([]);
      const urls = requests.map((r) => new URL(r.url()));
      expect(urls.filter((u) => u.origin !== stack.origin).map(String)).toEqual([]);
      expect(urls.map((u) => u.pathname)).toEqual(
        expect.arrayContaining(["/docs", "/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/openapi.json"]),
      );
    } finally {
      await context.close();
    }
  });
});
