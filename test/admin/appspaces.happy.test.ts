import { describe, expect, it } from "vitest";
import { admin, call, createAppspace, createReferral, uniqueDomain, uniqueUser } from "../support/api";
import {
  type AppspaceBody,
  type CreatedAppspaceBody,
  DEFAULT_SETTINGS,
  ISO_UTC,
  PUBLISHABLE_KEY,
  SECRET_KEY,
  type Settings,
  UUID,
  uniqueName,
} from "./support";

const DAY_MS = 24 * 60 * 60 * 1000;

describe("POST /v1/admin/appspaces", () => {
  it("creates an appspace with defaults and returns both keys once", async () => {
    const name = uniqueName("create");
    const res = await admin<CreatedAppspaceBody>("POST", "/appspaces", { name });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    const body = res.body;
    expect(Object.keys(body).sort()).toEqual(
      [
        "created_at",
        "domains",
        "id",
        "identity_secret",
        "name",
        "publishable_key",
        "secret_key",
        "settings",
        "updated_at",
      ].sort(),
    );
    expect(body.id).toMatch(UUID);
    expect(body.name).toBe(name);
    expect(body.domains).toEqual([]);
    expect(body.settings).toEqual(DEFAULT_SETTINGS);
    expect(body.publishable_key).toMatch(PUBLISHABLE_KEY);
    expect(body.secret_key).toMatch(SECRET_KEY);
    expect(body.created_at).toMatch(ISO_UTC);
    expect(body.updated_at).toMatch(ISO_UTC);
    expect(Math.abs(Date.parse(body.created_at) - Date.now())).toBeLessThan(60_000);
  });

  it("issues different random keys for every appspace", async () => {
    const [a, b] = await Promise.all([
      admin<CreatedAppspaceBody>("POST", "/appspaces", { name: uniqueName() }),
      admin<CreatedAppspaceBody>("POST", "/appspaces", { name: uniqueName() }),
    ]);
    const keys = [a.body.publishable_key, a.body.secret_key, b.body.publishable_key, b.body.secret_key];
    expect(new Set(keys).size).toBe(4);
    // The random part is not shared between an appspace's two keys either.
    expect(a.body.publishable_key.slice(3)).not.toBe(a.body.secret_key.slice(3));
    expect(a.body.id).not.toBe(b.body.id);
  });

  it("returns keys that work on the referral API right away", async () => {
    const res = await admin<CreatedAppspaceBody>("POST", "/appspaces", { name: uniqueName() });
    const created = await call("POST", "/v1/api/referral/create", {
      key: res.body.publishable_key,
      body: { user_id: uniqueUser() },
    });
    expect(created.status).toBe(200);
    const board = await call("GET", "/v1/api/referral/leaderboard", { key: res.body.secret_key });
    expect(board.status).toBe(200);
  });

  it("trims the name", async () => {
    const name = uniqueName("trimmed");
    const res = await admin<CreatedAppspaceBody>("POST", "/appspaces", { name: `  ${name}\t` });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe(name);
  });

  it("stores domains lowercased and in order", async () => {
    const links = uniqueDomain("links");
    const go = uniqueDomain("go");
    const res = await admin<CreatedAppspaceBody>("POST", "/appspaces", {
      name: uniqueName(),
      domains: [links.replace(/^links/, "Links").replace(/com$/, "COM"), go],
    });
    expect(res.status).toBe(201);
    expect(res.body.domains).toEqual([links, go]);
  });

  it("fills in defaults for the settings it is not given", async () => {
    const res = await admin<CreatedAppspaceBody>("POST", "/appspaces", {
      name: uniqueName(),
      settings: { expiration_days: 7, reward_type: "points" },
    });
    expect(res.status).toBe(201);
    expect(res.body.settings).toEqual({ ...DEFAULT_SETTINGS, expiration_days: 7, reward_type: "points" });
  });

  it("accepts every setting at once", async () => {
    const settings: Settings = {
      referrals_enabled: false,
      expiration_days: 365,
      max_referrals_per_user: 5,
      milestones: ["signed_up", "first_purchase"],
      reward_milestone: "first_purchase",
      reward_type: "credit",
      reward_value: "10.50",
      referee_reward_type: "discount",
      referee_reward_value: "15%",
      require_user_hash: true,
      ios_app_store_url: "https://apps.apple.com/app/id1234567890",
      android_package: "com.example.app",
      web_fallback_url: "https://example.com/welcome",
      og_title: "{{referrer_name}} invited you",
      og_description: "Get 10% off your first order",
      og_image_url: "https://example.com/og.png",
      ios_pasteboard_claim: true,
      match_window_minutes: 60,
      match_strategy: "published",
      match_min_confidence: 0.75,
      apple_team_id: "ABCDE12345",
      ios_bundle_ids: ["com.example.app"],
      android_sha256_cert_fingerprints: [Array.from({ length: 32 }, () => "AB").join(":")],
    };
    const res = await admin<CreatedAppspaceBody>("POST", "/appspaces", { name: uniqueName(), settings });
    expect(res.status).toBe(201);
    expect(res.body.settings).toEqual(settings);
  });

  it.each(["none", "points", "credit", "discount", "custom"])("accepts reward type %s", async (type) => {
    const res = await admin<CreatedAppspaceBody>("POST", "/appspaces", {
      name: uniqueName(),
      settings: { reward_type: type, referee_reward_type: type },
    });
    expect(res.status).toBe(201);
    expect(res.body.settings.reward_type).toBe(type);
    expect(res.body.settings.referee_reward_type).toBe(type);
  });

  it("accepts numeric reward values and returns them as strings", async () => {
    const res = await admin<CreatedAppspaceBody>("POST", "/appspaces", {
      name: uniqueName(),
      settings: { reward_type: "points", reward_value: 20, referee_reward_type: "credit", referee_reward_value: 2.5 },
    });
    expect(res.status).toBe(201);
    expect(res.body.settings.reward_value).toBe("20");
    expect(res.body.settings.referee_reward_value).toBe("2.5");
  });

  it("accepts the bounds of expiration_days", async () => {
    for (const days of [1, 365]) {
      const res = await admin<CreatedAppspaceBody>("POST", "/appspaces", {
        name: uniqueName(),
        settings: { expiration_days: days },
      });
      expect(res.status).toBe(201);
      expect(res.body.settings.expiration_days).toBe(days);
    }
  });

  it("accepts max_referrals_per_user: null as unlimited", async () => {
    const res = await admin<CreatedAppspaceBody>("POST", "/appspaces", {
      name: uniqueName(),
      settings: { max_referrals_per_user: null },
    });
    expect(res.status).toBe(201);
    expect(res.body.settings.max_referrals_per_user).toBeNull();
  });
});

describe("GET /v1/admin/appspaces/:id", () => {
  it("returns the appspace as created, without its keys", async () => {
    const created = await admin<CreatedAppspaceBody>("POST", "/appspaces", {
      name: uniqueName(),
      domains: [uniqueDomain()],
      settings: { expiration_days: 14, milestones: ["signed_up"] },
    });
    const res = await admin<AppspaceBody>("GET", `/appspaces/${created.body.id}`);
    expect(res.status).toBe(200);
    const { publishable_key: _pk, secret_key: _sk, identity_secret: _is, ...view } = created.body;
    expect(res.body).toEqual(view);
  });
});

describe("GET /v1/admin/appspaces", () => {
  it("lists appspaces, newest first, including a new one", async () => {
    const first = await createAppspace();
    const second = await createAppspace();
    const res = await admin<{ appspaces: AppspaceBody[] }>("GET", "/appspaces?limit=500");
    expect(res.status).toBe(200);
    const list = res.body.appspaces;
    const ids = list.map((a) => a.id);
    expect(ids).toContain(first.id);
    expect(ids).toContain(second.id);
    expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
    const times = list.map((a) => Date.parse(a.created_at));
    expect(times).toEqual([...times].sort((x, y) => y - x));
    const entry = list.find((a) => a.id === first.id);
    expect(entry).toMatchObject({ id: first.id, domains: [], settings: DEFAULT_SETTINGS });
    expect(Object.keys(entry ?? {}).sort()).toEqual(
      ["created_at", "domains", "id", "name", "settings", "updated_at"].sort(),
    );
  });

  it("honours limit", async () => {
    await createAppspace();
    await createAppspace();
    const res = await admin<{ appspaces: AppspaceBody[] }>("GET", "/appspaces?limit=1");
    expect(res.status).toBe(200);
    expect(res.body.appspaces).toHaveLength(1);
  });
});

describe("PATCH /v1/admin/appspaces/:id", () => {
  it("renames, and leaves domains and settings alone", async () => {
    const domain = uniqueDomain("a");
    const space = await createAppspace({ domains: [domain], settings: { expiration_days: 9 } });
    const name = uniqueName("renamed");
    const res = await admin<AppspaceBody>("PATCH", `/appspaces/${space.id}`, { name });
    expect(res.status).toBe(200);
    expect(res.body.name).toBe(name);
    expect(res.body.domains).toEqual([domain]);
    expect(res.body.settings).toEqual({ ...DEFAULT_SETTINGS, expiration_days: 9 });
    const read = await admin<AppspaceBody>("GET", `/appspaces/${space.id}`);
    expect(read.body).toEqual(res.body);
  });

  it("merges settings key by key: patching one keeps the others", async () => {
    const space = await createAppspace({
      settings: { expiration_days: 10, reward_type: "points", reward_value: "5", milestones: ["signed_up"] },
    });
    const res = await admin<AppspaceBody>("PATCH", `/appspaces/${space.id}`, {
      settings: { max_referrals_per_user: 3 },
    });
    expect(res.status).toBe(200);
    const expected = {
      ...DEFAULT_SETTINGS,
      expiration_days: 10,
      reward_type: "points",
      reward_value: "5",
      milestones: ["signed_up"],
      max_referrals_per_user: 3,
    };
    expect(res.body.settings).toEqual(expected);

    const second = await admin<AppspaceBody>("PATCH", `/appspaces/${space.id}`, { settings: { reward_value: 7 } });
    expect(second.status).toBe(200);
    expect(second.body.settings).toEqual({ ...expected, reward_value: "7" });

    const read = await admin<AppspaceBody>("GET", `/appspaces/${space.id}`);
    expect(read.body.settings).toEqual({ ...expected, reward_value: "7" });
  });

  it("sets nullable settings back to null", async () => {
    const space = await createAppspace({ settings: { max_referrals_per_user: 2, reward_value: "9" } });
    const res = await admin<AppspaceBody>("PATCH", `/appspaces/${space.id}`, {
      settings: { max_referrals_per_user: null, reward_value: null },
    });
    expect(res.status).toBe(200);
    expect(res.body.settings.max_referrals_per_user).toBeNull();
    expect(res.body.settings.reward_value).toBeNull();
  });

  it("replaces the milestone list as a whole, keeping its order", async () => {
    const space = await createAppspace({ settings: { milestones: ["a", "b", "c"] } });
    const res = await admin<AppspaceBody>("PATCH", `/appspaces/${space.id}`, { settings: { milestones: ["z", "y"] } });
    expect(res.status).toBe(200);
    expect(res.body.settings.milestones).toEqual(["z", "y"]);
  });

  it("replaces the domain list, lowercased", async () => {
    const space = await createAppspace({ domains: [uniqueDomain("old")] });
    const fresh = uniqueDomain("new");
    const second = uniqueDomain("second");
    const res = await admin<AppspaceBody>("PATCH", `/appspaces/${space.id}`, {
      domains: [fresh.replace(/^new/, "NEW").replace(/com$/, "Com"), second],
    });
    expect(res.status).toBe(200);
    expect(res.body.domains).toEqual([fresh, second]);
    const cleared = await admin<AppspaceBody>("PATCH", `/appspaces/${space.id}`, { domains: [] });
    expect(cleared.status).toBe(200);
    expect(cleared.body.domains).toEqual([]);
  });

  it("an empty patch changes nothing but updated_at", async () => {
    const space = await createAppspace({ domains: [uniqueDomain("x")], settings: { expiration_days: 3 } });
    const before = await admin<AppspaceBody>("GET", `/appspaces/${space.id}`);
    const res = await admin<AppspaceBody>("PATCH", `/appspaces/${space.id}`, {});
    expect(res.status).toBe(200);
    const { updated_at: beforeUpdated, ...beforeRest } = before.body;
    const { updated_at: afterUpdated, ...afterRest } = res.body;
    expect(afterRest).toEqual(beforeRest);
    expect(Date.parse(afterUpdated)).toBeGreaterThanOrEqual(Date.parse(beforeUpdated));
  });

  it("bumps updated_at and keeps created_at", async () => {
    const space = await createAppspace();
    const before = await admin<AppspaceBody>("GET", `/appspaces/${space.id}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const res = await admin<AppspaceBody>("PATCH", `/appspaces/${space.id}`, { name: uniqueName() });
    expect(res.body.created_at).toBe(before.body.created_at);
    expect(res.body.updated_at).toMatch(ISO_UTC);
    expect(Date.parse(res.body.updated_at)).toBeGreaterThan(Date.parse(before.body.updated_at));
  });
});

describe("settings and domains take effect on the referral API at once", () => {
  it("the first domain builds referral_url; no domain gives null", async () => {
    const first = uniqueDomain("links");
    const withDomain = await createAppspace({ domains: [first, uniqueDomain("other")] });
    const ref = await createReferral(withDomain);
    expect(ref.referral_url).toBe(`https://${first}/ref/${ref.referral_code}`);

    const without = await createAppspace();
    const bare = await createReferral(without);
    expect(bare.referral_code).toBeTruthy();
    expect(bare.referral_url).toBeNull();
  });

  it("a domain change applies to the next referral, even with the key already in use", async () => {
    const old = uniqueDomain("old");
    const fresh = uniqueDomain("new");
    const space = await createAppspace({ domains: [old] });
    const before = await createReferral(space);
    expect(before.referral_url).toBe(`https://${old}/ref/${before.referral_code}`);

    await admin("PATCH", `/appspaces/${space.id}`, { domains: [fresh.toUpperCase()] });
    const after = await createReferral(space);
    expect(after.referral_url).toBe(`https://${fresh}/ref/${after.referral_code}`);

    await admin("PATCH", `/appspaces/${space.id}`, { domains: [] });
    const none = await createReferral(space);
    expect(none.referral_url).toBeNull();
  });

  it("referrals_enabled: false blocks create with 403 immediately, true restores it", async () => {
    const space = await createAppspace();
    await createReferral(space); // the key is now verified (and possibly cached)

    const off = await admin<AppspaceBody>("PATCH", `/appspaces/${space.id}`, {
      settings: { referrals_enabled: false },
    });
    expect(off.status).toBe(200);
    const blocked = await call("POST", "/v1/api/referral/create", { key: space.pk, body: { user_id: uniqueUser() } });
    expect(blocked.status).toBe(403);
    expect(blocked.body).toMatchObject({ error: "Referrals are not enabled for this Appspace" });

    await admin("PATCH", `/appspaces/${space.id}`, { settings: { referrals_enabled: true } });
    const again = await call("POST", "/v1/api/referral/create", { key: space.pk, body: { user_id: uniqueUser() } });
    expect(again.status).toBe(200);
  });

  it("an appspace created disabled refuses referrals", async () => {
    const space = await createAppspace({ settings: { referrals_enabled: false } });
    const res = await call("POST", "/v1/api/referral/create", { key: space.sk, body: { user_id: uniqueUser() } });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: "Referrals are not enabled for this Appspace" });
  });

  it("expiration_days sets how long new referrals last, and a change applies to the next one", async () => {
    const space = await createAppspace({ settings: { expiration_days: 7 } });
    const first = await createReferral(space);
    const lookup = async (code: string) => {
      const res = await call<{ created_at: string; expires_at: string }>("GET", `/v1/api/referral/${code}`, {
        key: space.sk,
      });
      expect(res.status).toBe(200);
      return (Date.parse(res.body.expires_at) - Date.parse(res.body.created_at)) / DAY_MS;
    };
    expect(await lookup(first.referral_code)).toBeCloseTo(7, 3);

    await admin("PATCH", `/appspaces/${space.id}`, { settings: { expiration_days: 90 } });
    const second = await createReferral(space);
    expect(await lookup(second.referral_code)).toBeCloseTo(90, 3);
  });

  it("max_referrals_per_user caps a referrer once patched in", async () => {
    const space = await createAppspace({ settings: { reward_type: "points" } });
    const referrer = uniqueUser("referrer");
    const ref = await createReferral(space, { user_id: referrer });
    const done = await call("POST", "/v1/api/referral/complete", {
      key: space.sk,
      body: { referral_code: ref.referral_code, referred_user_id: uniqueUser("referee") },
    });
    expect(done.status).toBe(200);

    await admin("PATCH", `/appspaces/${space.id}`, { settings: { max_referrals_per_user: 1 } });
    const capped = await call("POST", "/v1/api/referral/create", { key: space.pk, body: { user_id: referrer } });
    expect(capped.status).toBe(400);
    expect(capped.body).toMatchObject({ error: "Maximum referrals per user reached" });

    await admin("PATCH", `/appspaces/${space.id}`, { settings: { max_referrals_per_user: null } });
    const unlimited = await call("POST", "/v1/api/referral/create", { key: space.pk, body: { user_id: referrer } });
    expect(unlimited.status).toBe(200);
  });

  it("reward settings are applied when a referral completes", async () => {
    const space = await createAppspace();
    await createReferral(space);
    await admin("PATCH", `/appspaces/${space.id}`, {
      settings: { reward_type: "points", reward_value: 50, referee_reward_type: "credit", referee_reward_value: "5" },
    });
    const ref = await createReferral(space);
    const res = await call<{ referral: Record<string, unknown> }>("POST", "/v1/api/referral/complete", {
      key: space.sk,
      body: { referral_code: ref.referral_code, referred_user_id: uniqueUser("referee") },
    });
    expect(res.status).toBe(200);
    expect(res.body.referral).toMatchObject({
      reward_type: "points",
      reward_value: "50",
      referee_reward_type: "credit",
      referee_reward_value: "5",
    });
  });

  it("milestones and reward_milestone drive the milestone endpoint", async () => {
    const space = await createAppspace();
    const warm = await createReferral(space);
    // Without a list, any milestone name is accepted.
    const free = await call("POST", "/v1/api/referral/milestone", {
      key: space.sk,
      body: { referral_code: warm.referral_code, milestone: "anything" },
    });
    expect(free.status).toBe(200);

    await admin("PATCH", `/appspaces/${space.id}`, {
      settings: { milestones: ["signed_up", "purchased"], reward_milestone: "purchased" },
    });
    const ref = await createReferral(space);
    const unknown = await call("POST", "/v1/api/referral/milestone", {
      key: space.sk,
      body: { referral_code: ref.referral_code, milestone: "anything" },
    });
    expect(unknown.status).toBe(404);

    const step = await call<{ referral: { milestone: string; status: string } }>("POST", "/v1/api/referral/milestone", {
      key: space.sk,
      body: { referral_code: ref.referral_code, milestone: "signed_up" },
    });
    expect(step.status).toBe(200);
    expect(step.body.referral).toMatchObject({ milestone: "signed_up", status: "pending" });

    const reward = await call<{ referral: { milestone: string; status: string } }>(
      "POST",
      "/v1/api/referral/milestone",
      {
        key: space.sk,
        body: { referral_code: ref.referral_code, milestone: "purchased", referred_user_id: uniqueUser("referee") },
      },
    );
    expect(reward.status).toBe(200);
    expect(reward.body.referral).toMatchObject({ milestone: "purchased", status: "completed" });
  });
});
