import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { vi } from "vitest";
import worker from "../../src";
import type { ClickMessage } from "../../src/services/clicks";
import { createAppspace, createReferral, sql, type TestAppspace } from "./api";

export const UA = {
  iphone:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  android:
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
  desktop:
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  instagramIos:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 330.0.0.30.88 (iPhone15,2; iOS 17_4; en_US; en; scale=3.00; 1179x2556; 602345200)",
  facebookAndroid:
    "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/460.0.0.48.109;]",
  slackbot: "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
  facebookexternalhit: "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
};

export const APP_SETTINGS = {
  ios_app_store_url: "https://apps.apple.com/app/id1234567890",
  android_package: "com.example.app",
  web_fallback_url: "https://example.com/welcome",
  og_title: "{{referrer_name}} invited you to Example",
  og_description: "Get 10% off your first order",
  og_image_url: "https://example.com/og.png",
};

export interface LinkFixture {
  space: TestAppspace;
  host: string;
  code: string;
}

/** A fresh appspace on its own link domain, with a pending referral to click. */
export async function linkFixture(settings: Record<string, unknown> = {}): Promise<LinkFixture> {
  const host = `${crypto.randomUUID().slice(0, 8)}.links.test`;
  const space = await createAppspace({ domains: [host], settings: { ...APP_SETTINGS, ...settings } });
  const ref = await createReferral(space, { user_id: "jane", user_name: "Jane Doe" });
  return { space, host, code: ref.referral_code };
}

/**
 * Requests the link domain as a browser would (no redirects followed). Returns once the request's
 * background work (`waitUntil`: deferred records written by /continue, clicks handed to the queue)
 * has finished too, so a test can assert what was — or was not — recorded without waiting.
 */
export async function visit(
  url: string,
  options: { ua?: string; ip?: string; method?: string; headers?: Record<string, string> } = {},
) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(url, {
      method: options.method ?? "GET",
      redirect: "manual",
      headers: {
        ...(options.ua ? { "user-agent": options.ua } : {}),
        "cf-connecting-ip": options.ip ?? "203.0.113.10",
        "accept-language": "en-US,en;q=0.9",
        ...options.headers,
      },
    }),
    env,
    ctx,
  );
  const body = await response.text();
  await waitOnExecutionContext(ctx);
  return { status: response.status, headers: response.headers, body };
}

/**
 * Records what the hot path hands to the CLICKS queue from now on (the real queue still gets it).
 * Returns a reader of the click messages queued so far. Restore with `vi.restoreAllMocks()`.
 */
export function spyOnQueuedClicks(): () => ClickMessage[] {
  const sendBatch = vi.spyOn(env.CLICKS, "sendBatch");
  return () => sendBatch.mock.calls.flatMap(([batch]) => [...batch]).map((m) => m.body as ClickMessage);
}

export async function kvEntries(prefix: string) {
  const listed = await env.LINKS.list({ prefix });
  return Promise.all(
    listed.keys.map(async (k) => ({ name: k.name, expiration: k.expiration, value: await env.LINKS.get(k.name) })),
  );
}

/** Waits until the click consumer has written `count` clicks for a code. */
export function waitForClicks(code: string, count: number, timeout = 15_000) {
  return vi.waitFor(
    async () => {
      const rows = await sql<Record<string, string | null>>(
        "select * from clicks where code = $1 order by clicked_at",
        [code],
      );
      if (rows.length < count) throw new Error(`clicks for ${code}: ${rows.length}/${count}`);
      return rows;
    },
    { timeout, interval: 100 },
  );
}

export function waitForKv(prefix: string, timeout = 15_000) {
  return vi.waitFor(
    async () => {
      const entries = await kvEntries(prefix);
      if (!entries.length) throw new Error(`no KV entry under ${prefix}`);
      return entries;
    },
    { timeout, interval: 50 },
  );
}

/** The KV entry of a deferred-link token (`t:<appspace>:<token>`), once the consumer wrote it. */
export function waitForToken(token: string | null | undefined, timeout = 15_000) {
  return vi.waitFor(
    async () => {
      let cursor: string | undefined;
      do {
        const listed: KVNamespaceListResult<unknown> = await env.LINKS.list({ prefix: "t:", cursor });
        const key = listed.keys.find((k) => k.name.endsWith(`:${token}`));
        if (key) return [{ name: key.name, expiration: key.expiration, value: await env.LINKS.get(key.name) }];
        cursor = listed.list_complete ? undefined : listed.cursor;
      } while (cursor);
      throw new Error(`no KV entry for token ${token}`);
    },
    { timeout, interval: 50 },
  );
}

/**
 * A redirect's target without the click's `aid` (usable links' web landings carry a fresh one;
 * test/link-api/edge.test.ts checks it), so tests can compare where a visitor was sent.
 */
export function landingOf(res: { headers: Headers }): string | null {
  const location = res.headers.get("location");
  if (location === null || !/^https?:/.test(location)) return location;
  const url = new URL(location);
  if (!url.searchParams.has("aid")) return location;
  url.searchParams.delete("aid");
  return url.toString();
}
