import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, readSettings, referralUrlPrefix, settingsSchema } from "../../src/appspaces/settings";
import { generateKey, hashKey, keyTypeOf } from "../../src/auth/keys";
import { loadConfig } from "../../src/config";
import { timingSafeEqualStrings } from "../../src/lib/crypto";
import { pgTimestampToIso } from "../../src/lib/time";
import { hashSignal } from "../../src/referrals/signals";
import { DEFAULT_SETTINGS as DOCUMENTED_DEFAULTS } from "../admin/support";

describe("settings", () => {
  it("default sensibly (the documented defaults, as the admin tests expect them)", () => {
    expect(DEFAULT_SETTINGS).toEqual(DOCUMENTED_DEFAULTS);
  });

  it("reject out-of-range values and unknown keys", () => {
    for (const bad of [
      { expiration_days: 0 },
      { expiration_days: 366 },
      { expiration_days: 1.5 },
      { reward_type: "cash" },
      { milestones: ["a", "a"] },
      { colour: "blue" },
    ]) {
      expect(settingsSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it("read stored settings with defaults for keys added later", () => {
    expect(readSettings({ expiration_days: 7 })).toEqual({ ...DEFAULT_SETTINGS, expiration_days: 7 });
  });

  it("build the referral URL from the first domain", () => {
    expect(referralUrlPrefix(["a.example.com", "b.example.com"])).toBe("https://a.example.com/ref/");
    expect(referralUrlPrefix([])).toBeNull();
  });
});

describe("API keys", () => {
  it("are prefixed, long and random", async () => {
    const pk = generateKey("publishable");
    const sk = generateKey("secret");
    expect(pk).toMatch(/^pk_[A-Za-z0-9]{40}$/);
    expect(sk).toMatch(/^sk_[A-Za-z0-9]{40}$/);
    expect(keyTypeOf(pk)).toBe("publishable");
    expect(keyTypeOf(sk)).toBe("secret");
    expect(keyTypeOf("xk_abc")).toBeNull();
    expect(await hashKey(sk)).toMatch(/^[0-9a-f]{64}$/);
    expect(generateKey("secret")).not.toBe(sk);
  });

  it("compare in constant time, correctly", () => {
    expect(timingSafeEqualStrings("abc", "abc")).toBe(true);
    expect(timingSafeEqualStrings("abc", "abd")).toBe(false);
    expect(timingSafeEqualStrings("abc", "abcd")).toBe(false);
  });
});

describe("signal hashing", () => {
  it("is keyed, tenant-scoped and never the raw value", async () => {
    const a = await hashSignal("secret-1", "ip", "space-a", "203.0.113.42");
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toContain("203");
    expect(await hashSignal("secret-1", "ip", "space-a", " 203.0.113.42 ")).toBe(a);
    expect(await hashSignal("secret-2", "ip", "space-a", "203.0.113.42")).not.toBe(a);
    expect(await hashSignal("secret-1", "ip", "space-b", "203.0.113.42")).not.toBe(a);
    expect(await hashSignal("secret-1", "device", "space-a", "203.0.113.42")).not.toBe(a);
    expect(await hashSignal("secret-1", "ip", "space-a", undefined)).toBeNull();
  });
});

describe("timestamps", () => {
  it("convert Postgres text to ISO 8601 UTC", () => {
    expect(pgTimestampToIso("2026-01-09 12:00:00+00")).toBe("2026-01-09T12:00:00.000Z");
    expect(pgTimestampToIso("2026-01-09 12:00:00.123456+00")).toBe("2026-01-09T12:00:00.123Z");
    expect(pgTimestampToIso("2026-01-09 14:00:00.5+02")).toBe("2026-01-09T12:00:00.500Z");
    expect(pgTimestampToIso("2026-01-09 06:30:00-05:30")).toBe("2026-01-09T12:00:00.000Z");
  });
});

describe("config", () => {
  it("fails loudly naming the missing secret, never echoing values", () => {
    expect(() => loadConfig({ DATABASE_URL: "postgres://x", ADMIN_TOKEN: "short-token-value" })).toThrow(
      /IP_HASH_SECRET is not set/,
    );
    let message = "";
    try {
      loadConfig({ DATABASE_URL: "postgres://x", ADMIN_TOKEN: "tiny", IP_HASH_SECRET: "0123456789abcdefXYZ" });
    } catch (error) {
      message = String(error);
    }
    // Says what is wrong (not "is not set": it is set, just too short), and never the value.
    expect(message).toBe("ConfigError: Server misconfigured: ADMIN_TOKEN must be at least 16 characters");
    expect(() =>
      loadConfig({ DATABASE_URL: "mysql://x", ADMIN_TOKEN: "0123456789abcdef", IP_HASH_SECRET: "0123456789abcdef" }),
    ).toThrow("Server misconfigured: DATABASE_URL must be a postgres:// connection string");
  });

  it("treats an empty NEON_LOCAL_ENDPOINT as production (unset)", () => {
    const config = loadConfig({
      DATABASE_URL: "postgres://u:p@host/db",
      ADMIN_TOKEN: "0123456789abcdef",
      IP_HASH_SECRET: "0123456789abcdef",
      NEON_LOCAL_ENDPOINT: "",
    });
    expect(config.neonLocalEndpoint).toBeUndefined();
  });
});
