import { describe, expect, it } from "vitest";
import { call, createAppspace, createReferral } from "./support/api";

describe("smoke", () => {
  it("health answers once the database does", async () => {
    const res = await call("GET", "/health");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });

  it("creates an appspace and a referral", async () => {
    const space = await createAppspace({ domains: ["links.example.com"] });
    const ref = await createReferral(space, { user_id: "u1" });
    expect(ref.referral_code).toMatch(/^[A-Z2-9]{10}$/);
    expect(ref.referral_url).toBe(`https://links.example.com/ref/${ref.referral_code}`);
  });
});
