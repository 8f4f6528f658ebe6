/**
 * `npm run seed`: a demo appspace with a few thousand referrals, promotions, 90 days of clicks and
 * webhook deliveries (some failing), in the product `npm run dev` is running, then prints how to
 * sign in to its dashboard.
 *
 * The appspace, its keys, promotions and webhook endpoint are made through the admin and Link
 * APIs (so the edge caches know them); the history is written through the local database gateway
 * (scripts/seed-data.ts). Reads ADMIN_TOKEN, DATABASE_URL and NEON_LOCAL_ENDPOINT from .dev.vars
 * (DEV_VARS_PATH), and the Worker's address from BASE (default http://127.0.0.1:$PORT, 8787).
 * Environment: SEED_REFERRALS (default 3000), SEED_CLICKS (default 20000).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { readSettings } from "../src/appspaces/settings";
import { pipelineOf } from "../src/dashboard/pages";
import { getDb } from "../src/db/client";
import { seedDemoData } from "./seed-data";

const root = resolve(import.meta.dirname, "..");
const devVarsPath = resolve(process.env.DEV_VARS_PATH || resolve(root, ".dev.vars"));
const base = (process.env.BASE || `http://127.0.0.1:${process.env.PORT || 8787}`).replace(/\/$/, "");

function devVar(vars: string, name: string): string {
  const value = new RegExp(`^${name}=(.*)$`, "m").exec(vars)?.[1]?.trim();
  if (!value) throw new Error(`seed: ${name} is not set in ${devVarsPath} (run npm run dev once first)`);
  return value;
}

async function api<T>(method: string, path: string, key: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`seed: ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

async function main() {
  let vars: string;
  try {
    vars = readFileSync(devVarsPath, "utf8");
  } catch {
    throw new Error(`seed: no ${devVarsPath}: start the product first with npm run dev`);
  }
  const adminToken = devVar(vars, "ADMIN_TOKEN");
  const health = await fetch(`${base}/health`).catch(() => null);
  if (!health?.ok) throw new Error(`seed: nothing answers ${base}/health: start the product first with npm run dev`);

  const referrals = Number(process.env.SEED_REFERRALS ?? 3000);
  const clicks = Number(process.env.SEED_CLICKS ?? 20000);
  const stamp = Date.now().toString(36).toUpperCase();
  const space = await api<{ id: string; secret_key: string; settings: unknown }>(
    "POST",
    "/v1/admin/appspaces",
    adminToken,
    {
      name: `Demo shop ${new Date().toISOString().slice(0, 16).replace("T", " ")}`,
      domains: [`demo-${stamp.toLowerCase()}.example.com`],
      settings: {
        milestones: ["signed_up", "first_order", "completed"],
        reward_type: "credit",
        reward_value: "10",
        referee_reward_type: "discount",
        referee_reward_value: "10",
        ios_app_store_url: "https://apps.apple.com/app/id1234567890",
        android_package: "com.example.shop",
        web_fallback_url: "https://example.com/welcome",
        og_title: "{{referrer_name}} sent you 10% off",
      },
    },
  );
  for (const [name, receiver, days] of [
    ["Spring friends week", "both", 30],
    ["Newsletter referral", "referrer", 14],
    ["Partner launch", "referee", 60],
  ] as const) {
    await api("POST", "/v1/api/promotions", space.secret_key, {
      name,
      target_url: "https://shop.example.com/welcome",
      reward_receiver: receiver,
      reward_type: "credit",
      reward_value: "15",
      referee_reward_type: "discount",
      referee_reward_value: "10",
      attribution_days: days,
    });
  }
  const endpoint = await api<{ id: string }>("POST", `/v1/admin/appspaces/${space.id}/webhooks`, adminToken, {
    url: "https://hooks.example.com/edgeref",
    events: ["*"],
  });

  const db = getDb({
    databaseUrl: devVar(vars, "DATABASE_URL"),
    neonLocalEndpoint: devVar(vars, "NEON_LOCAL_ENDPOINT"),
  });
  const started = Date.now();
  await seedDemoData(db, {
    appspaceId: space.id,
    codePrefix: `D${stamp.slice(-3)}`,
    pipeline: pipelineOf(readSettings(space.settings)),
    endpointId: endpoint.id,
    referrals,
    clicks,
  });
  console.log(
    `seed: demo appspace ${space.id} with ~${referrals.toLocaleString("en-US")} referrals, 3 promotions, ` +
      `${clicks.toLocaleString("en-US")} clicks over 90 days and webhook deliveries (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  console.log(`\nOpen ${base}/dashboard and sign in with this appspace's secret key:\n\n  ${space.secret_key}\n`);
  console.log("(It is shown once: keep it. The admin token in .dev.vars signs in too, and shows every appspace.)");
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
