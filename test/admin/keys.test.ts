import { describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  admin,
  call,
  createAppspace,
  createReferral,
  sql,
  uniqueDomain,
  uniqueUser,
} from "../support/api";
import {
  type CreatedKeyBody,
  type ErrorBody,
  expectBadRequest,
  ISO_UTC,
  type KeyInfo,
  PUBLISHABLE_KEY,
  SECRET_KEY,
  sha256Hex,
  UUID,
} from "./support";

interface KeyList {
  keys: KeyInfo[];
}
interface RevokedBody {
  id: string;
  revoked_at: string | null;
}

const newKey = (appspaceId: string, type: "publishable" | "secret") =>
  admin<CreatedKeyBody>("POST", `/appspaces/${appspaceId}/keys`, { type });
const listKeys = (appspaceId: string) => admin<KeyList>("GET", `/appspaces/${appspaceId}/keys`);
const revoke = (keyId: string) => admin<RevokedBody>("DELETE", `/keys/${keyId}`);
const createWith = (key: string) => call("POST", "/v1/api/referral/create", { key, body: { user_id: uniqueUser() } });

/** The id of the listed key whose `start` the plaintext key begins with. */
async function keyIdOf(appspaceId: string, key: string): Promise<string> {
  const list = await listKeys(appspaceId);
  const matches = list.body.keys.filter((k) => key.startsWith(k.start));
  expect(matches).toHaveLength(1);
  return matches[0]?.id ?? "";
}

describe("keys: happy paths", () => {
  it("a new appspace has one active publishable and one active secret key", async () => {
    const space = await createAppspace();
    const res = await listKeys(space.id);
    expect(res.status).toBe(200);
    expect(res.body.keys).toHaveLength(2);
    expect(res.body.keys.map((k) => k.type).sort()).toEqual(["publishable", "secret"]);
    for (const key of res.body.keys) {
      expect(Object.keys(key).sort()).toEqual(["created_at", "id", "revoked_at", "start", "type"]);
      expect(key.id).toMatch(UUID);
      expect(key.created_at).toMatch(ISO_UTC);
      expect(key.revoked_at).toBeNull();
    }
    const pk = res.body.keys.find((k) => k.type === "publishable");
    const sk = res.body.keys.find((k) => k.type === "secret");
    expect(space.pk.startsWith(pk?.start ?? "?")).toBe(true);
    expect(space.sk.startsWith(sk?.start ?? "?")).toBe(true);
  });

  it.each([
    ["publishable", PUBLISHABLE_KEY],
    ["secret", SECRET_KEY],
  ] as const)("creates a %s key: 201 { id, key, type }", async (type, pattern) => {
    const space = await createAppspace();
    const res = await newKey(space.id, type);
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(["id", "key", "type"]);
    expect(res.body.id).toMatch(UUID);
    expect(res.body.type).toBe(type);
    expect(res.body.key).toMatch(pattern);
    expect([space.pk, space.sk]).not.toContain(res.body.key);

    const list = await listKeys(space.id);
    expect(list.body.keys).toHaveLength(3);
    const listed = list.body.keys.find((k) => k.id === res.body.id);
    expect(listed).toMatchObject({ id: res.body.id, type, revoked_at: null });
    expect(res.body.key.startsWith(listed?.start ?? "?")).toBe(true);
  });

  it("a new publishable key can create referrals but not reach secret-key endpoints", async () => {
    const domain = uniqueDomain();
    const space = await createAppspace({ domains: [domain] });
    const { body } = await newKey(space.id, "publishable");
    const created = await call<{ referral_url: string; referral_code: string }>("POST", "/v1/api/referral/create", {
      key: body.key,
      body: { user_id: uniqueUser() },
    });
    expect(created.status).toBe(200);
    expect(created.body.referral_url).toBe(`https://${domain}/ref/${created.body.referral_code}`);
    const board = await call("GET", "/v1/api/referral/leaderboard", { key: body.key });
    expect(board.status).toBe(403);
  });

  it("a new secret key acts on the same appspace's data", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space);
    const { body } = await newKey(space.id, "secret");
    const lookup = await call<{ referral_code: string }>("GET", `/v1/api/referral/${ref.referral_code}`, {
      key: body.key,
    });
    expect(lookup.status).toBe(200);
    expect(lookup.body.referral_code).toBe(ref.referral_code);
    const board = await call("GET", "/v1/api/referral/leaderboard", { key: body.key });
    expect(board.status).toBe(200);
  });

  it("lists keys oldest first", async () => {
    const space = await createAppspace();
    const a = await newKey(space.id, "secret");
    await new Promise((resolve) => setTimeout(resolve, 5)); // distinct created_at
    const b = await newKey(space.id, "publishable");
    const list = await listKeys(space.id);
    const ids = list.body.keys.map((k) => k.id);
    expect(ids.slice(-2)).toEqual([a.body.id, b.body.id]);
    const times = list.body.keys.map((k) => Date.parse(k.created_at));
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });

  it("revoking returns the key id and revoked_at, and the listing shows it revoked", async () => {
    const space = await createAppspace();
    const { body } = await newKey(space.id, "secret");
    const res = await revoke(body.id);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(body.id);
    expect(res.body.revoked_at).toMatch(ISO_UTC);
    expect(Math.abs(Date.parse(res.body.revoked_at ?? "") - Date.now())).toBeLessThan(60_000);

    const list = await listKeys(space.id);
    expect(list.body.keys).toHaveLength(3);
    expect(list.body.keys.find((k) => k.id === body.id)?.revoked_at).toBe(res.body.revoked_at);
    expect(list.body.keys.filter((k) => k.revoked_at === null)).toHaveLength(2);
  });

  it("a revoked key gets 401 on the referral API immediately, even if it was just used", async () => {
    const space = await createAppspace();
    const { body } = await newKey(space.id, "publishable");
    expect((await createWith(body.key)).status).toBe(200); // verified (and cached) before the revocation
    expect((await revoke(body.id)).status).toBe(200);
    const res = await createWith(body.key);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: "Invalid API key" });
  });

  it("revoking an appspace's original secret key locks it out everywhere at once", async () => {
    const space = await createAppspace();
    const ref = await createReferral(space);
    expect((await call("GET", `/v1/api/referral/${ref.referral_code}`, { key: space.sk })).status).toBe(200);
    const skId = await keyIdOf(space.id, space.sk);
    expect((await revoke(skId)).status).toBe(200);
    for (const [method, path, body] of [
      ["GET", `/v1/api/referral/${ref.referral_code}`, undefined],
      ["GET", "/v1/api/referral/leaderboard", undefined],
      ["POST", "/v1/api/referral/create", { user_id: uniqueUser() }],
    ] as const) {
      expect((await call(method, path, { key: space.sk, body })).status).toBe(401);
      // Also when sent as X-API-Key.
      expect((await call(method, path, { headers: { "x-api-key": space.sk }, body })).status).toBe(401);
    }
  });

  it("revoking one key leaves the appspace's other keys working", async () => {
    const space = await createAppspace();
    const extra = await newKey(space.id, "publishable");
    const pkId = await keyIdOf(space.id, space.pk);
    await revoke(pkId);
    expect((await createWith(space.pk)).status).toBe(401);
    expect((await createWith(extra.body.key)).status).toBe(200);
    expect((await createWith(space.sk)).status).toBe(200);
  });

  it("revoking is idempotent and keeps the first revoked_at", async () => {
    const space = await createAppspace();
    const { body } = await newKey(space.id, "secret");
    const first = await revoke(body.id);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await revoke(body.id);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect((await createWith(body.key)).status).toBe(401);
  });
});

describe("keys: errors", () => {
  it.each([
    [{}, "type"],
    [{ type: "admin" }, "type"],
    [{ type: "Secret" }, "type"],
    [{ type: null }, "type"],
    [{ type: 1 }, "type"],
  ])("POST keys with %j → 400 naming %s", async (body, field) => {
    const space = await createAppspace();
    expectBadRequest(await admin("POST", `/appspaces/${space.id}/keys`, body), field);
    expect((await listKeys(space.id)).body.keys).toHaveLength(2);
  });

  it("POST keys for an unknown appspace → 404 and nothing stored", async () => {
    const id = crypto.randomUUID();
    const res = await newKey(id, "secret");
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: "Appspace not found" });
    const rows = await sql("select id from api_keys where appspace_id = $1", [id]);
    expect(rows).toHaveLength(0);
  });

  it("GET keys for an unknown appspace → 404", async () => {
    const res = await listKeys(crypto.randomUUID());
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: "Appspace not found" });
  });

  it("DELETE an unknown key → 404", async () => {
    const res = await revoke(crypto.randomUUID());
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: "API key not found" });
  });

  it("DELETE with an appspace id (not a key id) → 404 and the appspace's keys stay active", async () => {
    const space = await createAppspace();
    const res = await revoke(space.id);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: "API key not found" });
    expect((await createWith(space.pk)).status).toBe(200);
  });

  it.each([
    ["POST", "/appspaces/nope/keys", { type: "secret" }],
    ["GET", "/appspaces/nope/keys", undefined],
    ["DELETE", "/keys/nope", undefined],
    ["DELETE", "/keys/pk_abcdefghijklmnopqrstuvwxyz0123456789ABCD", undefined],
  ])("%s %s (non-UUID id) → 400 naming id", async (method, path, body) => {
    expectBadRequest(await admin(method, path, body), "id");
  });

  it("POST keys with malformed JSON → 400", async () => {
    const space = await createAppspace();
    const res = await call<ErrorBody>("POST", `/v1/admin/appspaces/${space.id}/keys`, {
      key: ADMIN_TOKEN,
      body: "{type:",
    });
    expect(res.status).toBe(400);
    expect(typeof res.body.error).toBe("string");
  });
});

describe("keys: security", () => {
  it("the listing never contains plaintext keys or hashes", async () => {
    const space = await createAppspace();
    const extra = await newKey(space.id, "secret");
    const res = await listKeys(space.id);
    const text = JSON.stringify(res.body);
    for (const key of [space.pk, space.sk, extra.body.key]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(key.slice(3)); // not even the random part
      expect(text).not.toContain(await sha256Hex(key));
    }
    expect(text).not.toContain("key_hash");
    expect(text).not.toContain("keyHash");
    expect(text).not.toContain("hash");
    // `start` only identifies a key: a short prefix, far from the whole secret.
    for (const key of res.body.keys) expect(key.start.length).toBeLessThanOrEqual(12);
  });

  it("the revoke response carries neither key nor hash", async () => {
    const space = await createAppspace();
    const { body } = await newKey(space.id, "secret");
    const res = await revoke(body.id);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(body.key);
    expect(text).not.toContain(await sha256Hex(body.key));
    expect(Object.keys(res.body).sort()).toEqual(["id", "revoked_at"]);
  });

  it("api_keys stores only SHA-256 hashes and a short start, never the plaintext", async () => {
    const space = await createAppspace();
    const extra = await newKey(space.id, "publishable");
    const rows = await sql<{ key_hash: string; start: string }>(
      "select key_hash, start from api_keys where appspace_id = $1",
      [space.id],
    );
    expect(rows).toHaveLength(3);
    const plaintexts = [space.pk, space.sk, extra.body.key];
    const hashes = await Promise.all(plaintexts.map(sha256Hex));
    expect(rows.map((r) => r.key_hash).sort()).toEqual([...hashes].sort());
    const stored = JSON.stringify(await sql("select * from api_keys where appspace_id = $1", [space.id]));
    for (const key of plaintexts) {
      expect(stored).not.toContain(key);
      expect(stored).not.toContain(key.slice(3));
    }
    for (const row of rows) expect(row.start.length).toBeLessThanOrEqual(12);
  });

  it("keys are listed per appspace only", async () => {
    const a = await createAppspace();
    const b = await createAppspace();
    const extraB = await newKey(b.id, "secret");
    const listA = await listKeys(a.id);
    const listB = await listKeys(b.id);
    const idsA = listA.body.keys.map((k) => k.id);
    const idsB = listB.body.keys.map((k) => k.id);
    expect(idsA).toHaveLength(2);
    expect(idsB).toHaveLength(3);
    expect(idsA.filter((id) => idsB.includes(id))).toEqual([]);
    expect(idsA).not.toContain(extraB.body.id);
  });

  it("a key created for B belongs to B: it cannot see A's referrals", async () => {
    const a = await createAppspace();
    const b = await createAppspace();
    const refA = await createReferral(a);
    const { body } = await newKey(b.id, "secret");
    const res = await call("GET", `/v1/api/referral/${refA.referral_code}`, { key: body.key });
    expect(res.status).toBe(404);
  });

  it.each([
    ["POST", "/appspaces/00000000-0000-4000-8000-000000000000/keys", { type: "secret" }],
    ["GET", "/appspaces/00000000-0000-4000-8000-000000000000/keys", undefined],
    ["DELETE", "/keys/00000000-0000-4000-8000-000000000000", undefined],
  ])("%s %s without the admin token → 401", async (method, path, body) => {
    const res = await call<ErrorBody>(method, `/v1/admin${path}`, { body });
    expect(res.status).toBe(401);
    expect(typeof res.body.error).toBe("string");
  });

  it("appspace keys cannot manage keys: neither sk nor pk is an admin token", async () => {
    const space = await createAppspace();
    for (const key of [space.sk, space.pk]) {
      const created = await call("POST", `/v1/admin/appspaces/${space.id}/keys`, { key, body: { type: "secret" } });
      expect(created.status).toBe(401);
      const listed = await call("GET", `/v1/admin/appspaces/${space.id}/keys`, { key });
      expect(listed.status).toBe(401);
    }
    const skId = await keyIdOf(space.id, space.sk);
    const revoked = await call("DELETE", `/v1/admin/keys/${skId}`, { key: space.sk });
    expect(revoked.status).toBe(401);
    expect((await listKeys(space.id)).body.keys.every((k) => k.revoked_at === null)).toBe(true);
    expect((await listKeys(space.id)).body.keys).toHaveLength(2);
  });

  it("a made-up key with a valid prefix is rejected", async () => {
    const fake = `pk_${"A".repeat(40)}`;
    expect((await createWith(fake)).status).toBe(401);
  });
});
