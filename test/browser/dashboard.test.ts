/**
 * The dashboard in a real headless Chromium, against the Worker (Miniflare on a loopback port) and
 * an appspace seeded with 25 days of demo history (scripts/seed-data.ts, the data `npm run seed` writes):
 * sign in, the cards equal the stats API, filter and page the referral list, switch leaderboard
 * tabs, replay a webhook, change a setting and see /ref/:code follow, CSRF refused without its
 * token, sign out. Every page is checked with axe-core (no serious or critical violations), weighed
 * (under 100 KB transferred) and photographed at 1280 and 390 px into test-results/ (git-ignored).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { sql } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemoData } from "../../scripts/seed-data";
import { readSettings } from "../../src/appspaces/settings";
import { pipelineOf } from "../../src/dashboard/pages";
import { getDb } from "../../src/db/client";
import { ADMIN_TOKEN, launchChromium, type Stack, startStack } from "./support";

const SHOTS = resolve(import.meta.dirname, "../../test-results");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const DESKTOP_UA =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

let stack: Stack;
let browser: Browser;
let space: { id: string; sk: string; code: string };

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack(), launchChromium()]);
  const created = await stack.api<{ id: string; secret_key: string; publishable_key: string; settings: unknown }>(
    "POST",
    "/v1/admin/appspaces",
    {
      key: ADMIN_TOKEN,
      body: {
        name: "Demo shop",
        domains: [`${crypto.randomUUID().slice(0, 8)}.links.test`],
        settings: {
          milestones: ["signed_up", "first_order", "completed"],
          reward_type: "credit",
          reward_value: "10",
          web_fallback_url: "https://example.com/before",
        },
      },
    },
  );
  expect(created.status).toBe(201);
  const endpoint = await stack.api<{ id: string }>("POST", `/v1/admin/appspaces/${created.body.id}/webhooks`, {
    key: ADMIN_TOKEN,
    body: { url: "https://hooks.example.com/edgeref" },
  });
  expect(endpoint.status).toBe(201);
  const db = getDb({ databaseUrl: stack.gateway.connectionString, neonLocalEndpoint: stack.gateway.url });
  await seedDemoData(db, {
    appspaceId: created.body.id,
    codePrefix: `B${crypto
      .randomUUID()
      .slice(0, 3)
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, "X")}`,
    pipeline: pipelineOf(readSettings(created.body.settings)),
    endpointId: endpoint.body.id,
    referrals: 400,
    clicks: 1500,
    // Not older than 25 days: the workers project's retention test (same database) prunes clicks
    // older than 30 days in tiny batches and counts on finding only its own.
    days: 25,
  });
  const referral = await stack.api<{ referral_code: string }>("POST", "/v1/api/referral/create", {
    key: created.body.publishable_key,
    body: { user_id: `live_${crypto.randomUUID().slice(0, 8)}` },
  });
  space = { id: created.body.id, sk: created.body.secret_key, code: referral.body.referral_code };
  mkdirSync(SHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  // The database may be shared with the other test projects (their cron runs sweep every
  // appspace's webhook attempts): leave nothing of this one behind.
  if (space) {
    await getDb({ databaseUrl: stack.gateway.connectionString, neonLocalEndpoint: stack.gateway.url }).execute(
      sql`delete from appspaces where id = ${space.id}::uuid`,
    );
  }
  await browser?.close();
  await stack?.close();
});

async function signedIn(width = 1280): Promise<{ context: BrowserContext; page: Page }> {
  // axe is injected as a script: the dashboard's CSP (rightly) forbids that, so this context bypasses it.
  const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${stack.origin}/dashboard`);
  expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
  await page.getByLabel("Secret key").fill(space.sk);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${stack.origin}/dashboard`);
  return { context, page };
}

/** Serious or critical axe-core violations on the page, as readable lines. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  const results = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> };
      }
    ).axe;
    return (await axe.run()).violations;
  });
  return results
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.nodes
          .map((n) => n.target.join(" "))
          .slice(0, 3)
          .join(", ")}`,
    );
}

const PAGES = [
  "/dashboard",
  "/dashboard/referrals",
  "/dashboard/leaderboard",
  "/dashboard/analytics?group_by=platform",
  "/dashboard/analytics?interval=hour&days=30",
  "/dashboard/webhooks",
  "/dashboard/emails",
  "/dashboard/promotions",
  "/dashboard/settings",
];

describe("the dashboard in Chromium", () => {
  it("every page: no serious or critical axe violations, under 100 KB, screenshots at 1280 and 390 px", async () => {
    for (const width of [1280, 390]) {
      const { context, page } = await signedIn(width);
      for (const path of [...PAGES, "/dashboard/sign-in"]) {
        let bytes = 0;
        const count = (response: { body(): Promise<Buffer> }) =>
          response.body().then(
            (b) => (bytes += b.byteLength),
            () => {},
          );
        page.on("response", count);
        await page.goto(`${stack.origin}${path}`);
        await page.waitForLoadState("networkidle");
        page.off("response", count);
        const name = path.replace(/^\/dashboard\/?/, "").replace(/[?=&]/g, "-") || "overview";
        await page.screenshot({ path: resolve(SHOTS, `dashboard-${name}-${width}.png`), fullPage: true });
        if (width === 1280) {
          expect(await axeViolations(page), path).toEqual([]);
          expect(bytes, `${path}: ${bytes} bytes`).toBeLessThan(100 * 1024);
        }
      }
      await context.close();
    }
    // A referral's detail page too.
    const { context, page } = await signedIn();
    await page.goto(`${stack.origin}/dashboard/referrals?status=completed`);
    await page.locator("tbody a").first().click();
    await expect.poll(() => page.locator("h1").textContent()).toMatch(/^Referral /);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: resolve(SHOTS, "dashboard-referral-1280.png"), fullPage: true });
    await context.close();
  }, 180_000);

  it("the cards show the stats API's numbers", async () => {
    const { context, page } = await signedIn();
    const from = new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
    const stats = await stack.api<Record<string, number>>("GET", `/v1/api/referral/stats?from=${from}`, {
      key: space.sk,
    });
    const cards = await page
      .locator(".card")
      .evaluateAll((nodes) =>
        Object.fromEntries(
          nodes.map((n) => [n.querySelector(".card-label")?.textContent, n.querySelector(".card-value")?.textContent]),
        ),
      );
    expect(cards).toEqual({
      "Total referrals": (stats.body.total ?? 0).toLocaleString("en-US"),
      Pending: (stats.body.pending ?? 0).toLocaleString("en-US"),
      Completed: (stats.body.completed ?? 0).toLocaleString("en-US"),
      Expired: (stats.body.expired ?? 0).toLocaleString("en-US"),
      "Conversion rate": `${((stats.body.conversion_rate ?? 0) * 100).toFixed(1)}%`,
    });
    expect(stats.body.total).toBeGreaterThan(50);
    // The period switch: 7 days shows the 7-day numbers.
    await page.getByRole("link", { name: "7 days" }).click();
    const week = await stack.api<Record<string, number>>(
      "GET",
      `/v1/api/referral/stats?from=${new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10)}`,
      { key: space.sk },
    );
    await expect
      .poll(() => page.locator(".card-value").first().textContent())
      .toBe((week.body.total ?? 0).toLocaleString("en-US"));
    await context.close();
  });

  it("the referral list filters by status, pages on, and finds a code", async () => {
    const { context, page } = await signedIn();
    await page.getByRole("link", { name: "Referrals" }).click();
    await page.getByLabel("Status").selectOption("completed");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/status=completed/);
    const statuses = await page.locator("tbody td:nth-child(4)").allTextContents();
    expect(statuses.length).toBe(50);
    expect(new Set(statuses.map((s) => s.trim()))).toEqual(new Set(["completed"]));
    const firstPage = await page.locator("tbody td:first-child").allTextContents();
    await page.getByRole("link", { name: "Next page" }).click();
    const secondPage = await page.locator("tbody td:first-child").allTextContents();
    expect(secondPage.length).toBeGreaterThan(0);
    expect(secondPage.filter((code) => firstPage.includes(code))).toEqual([]);

    const code = (firstPage[3] ?? "").trim();
    await page.getByLabel("Search").fill(code.toLowerCase());
    await page.getByLabel("Status").selectOption("");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => page.locator("tbody td:first-child").allTextContents()).toEqual([code]);
    await context.close();
  });

  it("leaderboard tabs switch the ranking and the period", async () => {
    const { context, page } = await signedIn();
    await page.getByRole("link", { name: "Leaderboard" }).click();
    const byCompleted = (await page.locator("tbody td:nth-child(3)").allTextContents()).map(Number);
    expect(byCompleted).toEqual([...byCompleted].sort((a, b) => b - a));
    await page.getByRole("link", { name: "Reward value" }).click();
    await page.waitForURL(/sort=reward_value/);
    expect(await page.getByRole("link", { name: "Reward value" }).getAttribute("aria-current")).toBe("true");
    const byReward = (await page.locator("tbody td:nth-child(6)").allTextContents()).map(Number);
    expect(byReward).toEqual([...byReward].sort((a, b) => b - a));
    await page.getByRole("link", { name: "7 days" }).click();
    await page.waitForURL(/period=7d/);
    expect(page.url()).toContain("sort=reward_value");
    await context.close();
  });

  it("replays a webhook delivery and sends a test event", async () => {
    const { context, page } = await signedIn();
    await page.getByRole("link", { name: "Webhooks" }).click();
    await expect.poll(() => page.getByText(/recent attempts failed/).count()).toBe(1);
    await page
      .getByRole("button", { name: /^Replay / })
      .first()
      .click();
    await page.waitForURL(/done=replay/);
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Replay queued");
    await page.getByRole("button", { name: "Send test event" }).click();
    await page.waitForURL(/done=test/);
    const events = await page.locator("tbody td:nth-child(2)").allTextContents();
    expect(events).toContain("webhook.test");
    await context.close();
  });

  it("a settings change shows its error beside the field, then takes effect on /ref/:code", async () => {
    const { context, page } = await signedIn();
    await page.getByRole("link", { name: "Settings" }).click();
    const fallback = page.getByLabel("Web fallback URL");
    await fallback.fill("http://not-https.example.com/");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect.poll(() => page.locator("#f-web_fallback_url-error").textContent()).toContain("https");
    expect(await page.getByLabel("Web fallback URL").getAttribute("aria-invalid")).toBe("true");

    await page.getByLabel("Web fallback URL").fill("https://example.com/after");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.waitForURL(/saved=1/);
    const res = await fetch(`${stack.origin}/ref/${space.code}`, {
      redirect: "manual",
      headers: { "user-agent": DESKTOP_UA },
    });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toMatch(/^https:\/\/example\.com\/after/);
    await context.close();
  });

  it("refuses a form without its CSRF token; after sign-out every page sends you to sign in", async () => {
    const { context, page } = await signedIn();
    // The session cookie rides along; the token does not.
    const forged = await page.request.post(`${stack.origin}/dashboard/settings`, {
      form: { web_fallback_url: "https://evil.example.com/" },
      headers: { origin: stack.origin },
    });
    expect(forged.status()).toBe(403);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/dashboard\/sign-in$/);
    for (const path of ["/dashboard", "/dashboard/referrals", "/dashboard/settings"]) {
      await page.goto(`${stack.origin}${path}`);
      expect(new URL(page.url()).pathname, path).toBe("/dashboard/sign-in");
    }
    await context.close();
  });
});
