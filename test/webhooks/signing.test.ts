import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { generateSigningSecret, signWebhook } from "../../src/webhooks/signing";

const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};

describe("Standard Webhooks signing", () => {
  it("matches the known-answer vector", () => {
    const headers = signWebhook([VECTOR.secret], VECTOR.id, VECTOR.body, new Date(VECTOR.timestamp * 1000));
    expect(headers).toEqual({
      "webhook-id": VECTOR.id,
      "webhook-timestamp": String(VECTOR.timestamp),
      "webhook-signature": VECTOR.signature,
    });
  });

  it("verifies with the public library, and rejects tampering, wrong secrets and stale timestamps", () => {
    const secret = generateSigningSecret();
    const body = JSON.stringify({ id: "evt", type: "referral.created", data: { referral_code: "ABC" } });
    const headers = { ...signWebhook([secret], "evt_1", body) };
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({ type: "referral.created" });
    expect(() => new Webhook(secret).verify(body.replace("ABC", "ABD"), headers)).toThrow();
    expect(() => new Webhook(generateSigningSecret()).verify(body, headers)).toThrow();
    const stale = signWebhook([secret], "evt_1", body, new Date(Date.now() - 10 * 60 * 1000));
    expect(() => new Webhook(secret).verify(body, stale)).toThrow(/too old/i);
  });

  it("signs with both secrets during a rotation; either verifies", () => {
    const [oldSecret, newSecret] = [generateSigningSecret(), generateSigningSecret()];
    const body = '{"x":1}';
    const headers = signWebhook([newSecret, oldSecret], "evt_2", body);
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(body, headers)).not.toThrow();
  });

  it("generates whsec_ secrets of 32 random bytes", () => {
    const secret = generateSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(secret.slice(6))).toHaveLength(32);
    expect(generateSigningSecret()).not.toBe(secret);
  });
});
