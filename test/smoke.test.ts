import { describe, expect, it } from "vitest";
import { call, createAppspace, createReferral, uniqueDomain } from "./support/api";

describe("smoke", () => {
  it("health answers once the database does", async () => {
    const res = await call("GET", "/health");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });

  it("creates an appspace and a referral", async () => {
    const domain = uniqueDomain();
    const space = await createAppspace({ domains: [domain] });
    const ref = await createReferral(space, { user_id: "u1" });
    expect(ref.referral_code).toMatch(/^[A-Z2-9]{10}$/);
    expect(ref.referral_url).toBe(`https://${domain}/ref/${ref.referral_code}`);
  });
});
