import { describe, expect, it } from "vitest";
import { admin, call, createAppspace, createReferral, sql, uniqueUser } from "../support/api";
import { linkFixture, UA, visit } from "../support/links";

/**
 * A publishable key ships in apps, so what it sends is a claim: it can't choose the IP or device
 * the abuse checks compare against, can't rename an existing referrer, doesn't learn who referred,
 * and — with identity verification on — can't act for a user its backend didn't vouch for.
 */
async function hmacHex(secret: string, value: string) {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(value));
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
}

const create = (key: string, body: Record<string, unknown>, ip = "203.0.113.90") =>
  call<Record<string, string>>("POST", "/v1/api/referral/create", { key, body, headers: { "cf-connecting-ip": ip } });

describe("publishable-key creates", () => {
  it("ignore a caller-chosen ip and device_id: the request's own IP is what same_ip compares", async () => {
    const space = await createAppspace();
    const user = uniqueUser("referrer");
    // The attacker claims someone else's IP and device so that same_ip/same_device never fire.
    const res = await create(
      space.pk,
      { user_id: user, ip: "198.51.100.1", device_id: "someone-elses-phone" },
      "192.0.2.200",
    );
    expect(res.status).toBe(200);
    const [row] = await sql<{ referrer_device_id: string | null }>(
      "select referrer_device_id from referrals where code = $1",
      [res.body.referral_code],
    );
    expect(row?.referrer_device_id).toBeNull();
    // Completing from the creator's real IP is caught.
    const done = await call("POST", "/v1/api/referral/complete", {
      key: space.sk,
      body: { referral_code: res.body.referral_code, referred_user_id: uniqueUser("referee"), ip: "192.0.2.200" },
    });
    expect([done.status, done.body.reason]).toEqual([409, "same_ip"]);
  });

  it("a secret key may still pass ip and device_id (its backend saw them)", async () => {
    const space = await createAppspace();
    const res = await create(
      space.sk,
      { user_id: uniqueUser(), ip: "198.51.100.2", device_id: "dev-1" },
      "192.0.2.201",
    );
    const done = await call("POST", "/v1/api/referral/complete", {
      key: space.sk,
      body: {
        referral_code: res.body.referral_code,
        referred_user_id: uniqueUser("referee"),
        device_id: "dev-1",
        ip: "192.0.2.9",
      },
    });
    expect([done.status, done.body.reason]).toEqual([409, "same_device"]);
  });

  it("never overwrite an existing referrer's name (leaderboard, link previews)", async () => {
    const { space, host, code } = await linkFixture();
    // linkFixture's referrer "jane" is "Jane Doe". Complete her referral, so a new create makes a new row.
    const done = await call("POST", "/v1/api/referral/complete", {
      key: space.sk,
      body: { referral_code: code, referred_user_id: uniqueUser("referee"), ip: "192.0.2.10" },
    });
    expect(done.status).toBe(200);
    const spam = await create(space.pk, { user_id: "jane", user_name: "BUY CHEAP PILLS" });
    expect(spam.status).toBe(200);
    const board = await call<{ leaderboard: { referrer_id: string; referrer_name: string }[] }>(
      "GET",
      "/v1/api/referral/leaderboard",
      { key: space.sk },
    );
    expect(board.body.leaderboard.find((r) => r.referrer_id === "jane")?.referrer_name).toBe("Jane Doe");
    const preview = await visit(`https://${host}/ref/${spam.body.referral_code}`, { ua: UA.slackbot });
    expect(preview.body).toContain("Jane Doe invited you");
    expect(preview.body).not.toContain("PILLS");
    // A new referrer's first name is taken as given.
    const fresh = uniqueUser("new");
    await create(space.pk, { user_id: fresh, user_name: "First Name" });
    const [stats] = await sql<{ referrer_name: string }>(
      "select referrer_name from referrer_stats where appspace_id = $1 and referrer_id = $2",
      [space.id, fresh],
    );
    expect(stats?.referrer_name).toBe("First Name");
  });
});

describe("lookup", () => {
  it("omits referrer_id for a publishable key; a secret key sees it", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space, { user_id: "jane@example.com" });
    const publicView = await call("GET", `/v1/api/referral/${ref.referral_code}`, { key: space.pk });
    expect(publicView.status).toBe(200);
    expect(publicView.body).not.toHaveProperty("referrer_id");
    expect(JSON.stringify(publicView.body)).not.toContain("jane@example.com");
    const privateView = await call("GET", `/v1/api/referral/${ref.referral_code}`, { key: space.sk });
    expect(privateView.body.referrer_id).toBe("jane@example.com");
  });
});

describe("identity verification (require_user_hash)", () => {
  async function verifiedSpace() {
    const res = await admin<{ id: string; publishable_key: string; secret_key: string; identity_secret: string }>(
      "POST",
      "/appspaces",
      { name: `idv-${crypto.randomUUID()}`, settings: { require_user_hash: true } },
    );
    expect(res.status).toBe(201);
    expect(res.body.identity_secret).toMatch(/^idsec_[A-Za-z0-9]{40}$/);
    expect(res.headers.get("cache-control")).toContain("no-store");
    return res.body;
  }

  it("401 without user_hash or with a wrong one; 200 with HMAC-SHA256(identity_secret, user_id)", async () => {
    const space = await verifiedSpace();
    const user = uniqueUser();
    const missing = await create(space.publishable_key, { user_id: user });
    expect([missing.status, missing.body.error]).toEqual([
      401,
      "user_hash is required: this appspace requires identity verification",
    ]);
    const forOther = await create(space.publishable_key, {
      user_id: user,
      user_hash: await hmacHex(space.identity_secret, "someone-else"),
    });
    expect([forOther.status, forOther.body.error]).toEqual([401, "Invalid user_hash for this user_id"]);
    const wrongSecret = await create(space.publishable_key, { user_id: user, user_hash: await hmacHex("guess", user) });
    expect(wrongSecret.status).toBe(401);
    const ok = await create(space.publishable_key, {
      user_id: user,
      user_hash: await hmacHex(space.identity_secret, user),
    });
    expect(ok.status).toBe(200);
    // Upper-case hex is the same hash.
    const upper = await create(space.publishable_key, {
      user_id: user,
      user_hash: (await hmacHex(space.identity_secret, user)).toUpperCase(),
    });
    expect(upper.body.referral_code).toBe(ok.body.referral_code);
    const malformed = await create(space.publishable_key, { user_id: user, user_hash: "zz" });
    expect([malformed.status, malformed.body.field]).toEqual([400, "user_hash"]);
  });

  it("secret keys don't need it", async () => {
    const space = await verifiedSpace();
    expect((await create(space.secret_key, { user_id: uniqueUser() })).status).toBe(200);
  });

  it("rotating the secret invalidates hashes made with the old one at once", async () => {
    const space = await verifiedSpace();
    const user = uniqueUser();
    const rotated = await admin<{ identity_secret: string }>("POST", `/appspaces/${space.id}/identity-secret`);
    expect(rotated.status).toBe(201);
    expect(rotated.headers.get("cache-control")).toContain("no-store");
    expect(rotated.body.identity_secret).not.toBe(space.identity_secret);
    const old = await create(space.publishable_key, {
      user_id: user,
      user_hash: await hmacHex(space.identity_secret, user),
    });
    expect(old.status).toBe(401);
    const fresh = await create(space.publishable_key, {
      user_id: user,
      user_hash: await hmacHex(rotated.body.identity_secret, user),
    });
    expect(fresh.status).toBe(200);
    expect((await admin("POST", `/appspaces/${crypto.randomUUID()}/identity-secret`)).status).toBe(404);
  });

  it("the secret is never shown again (get, list)", async () => {
    const space = await verifiedSpace();
    const one = await admin("GET", `/appspaces/${space.id}`);
    expect(JSON.stringify(one.body)).not.toContain(space.identity_secret);
    const list = await admin("GET", "/appspaces?limit=500");
    expect(JSON.stringify(list.body)).not.toContain(space.identity_secret);
  });

  it("can't be turned on for an appspace without a secret (created before identity secrets existed)", async () => {
    const space = await createAppspace();
    await sql("update appspaces set identity_secret = null where id = $1", [space.id]);
    const res = await admin("PATCH", `/appspaces/${space.id}`, { settings: { require_user_hash: true } });
    expect([res.status, res.body.field]).toEqual([400, "settings.require_user_hash"]);
    expect((await admin("POST", `/appspaces/${space.id}/identity-secret`)).status).toBe(201);
    expect((await admin("PATCH", `/appspaces/${space.id}`, { settings: { require_user_hash: true } })).status).toBe(
      200,
    );
  });
});
