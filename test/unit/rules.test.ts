import { describe, expect, it } from "vitest";
import {
  ABUSE_REASONS,
  type AbuseFlags,
  abuseReason,
  claimOutcome,
  completionOutcome,
  planMilestone,
} from "../../src/referrals/rules";

const clean: AbuseFlags = {
  self_referral: false,
  already_referred: false,
  reverse_referral: false,
  same_ip: false,
  same_device: false,
};

describe("abuse rules", () => {
  it("name the first rule that fires, in the documented order", () => {
    expect(abuseReason(clean)).toBeNull();
    for (const reason of ABUSE_REASONS) expect(abuseReason({ ...clean, [reason]: true })).toBe(reason);
    expect(abuseReason({ ...clean, same_ip: true, self_referral: true })).toBe("self_referral");
    expect(abuseReason({ ...clean, same_device: true, same_ip: true })).toBe("same_ip");
  });
});

describe("completion outcome", () => {
  it("maps what the statement observed", () => {
    expect(completionOutcome(undefined)).toEqual({ kind: "not_found" });
    expect(completionOutcome({ open: false, flags: clean, completed: null })).toEqual({ kind: "closed" });
    expect(completionOutcome({ open: true, flags: { ...clean, same_ip: true }, completed: null })).toEqual({
      kind: "abuse",
      reason: "same_ip",
    });
    expect(completionOutcome({ open: true, flags: clean, completed: { id: 1 } })).toEqual({
      kind: "completed",
      referral: { id: 1 },
    });
  });

  it("treats an open, clean referral that this call did not complete as lost to a concurrent call", () => {
    expect(completionOutcome({ open: true, flags: clean, completed: null })).toEqual({ kind: "closed" });
  });
});

describe("milestone plan", () => {
  const settings = { milestones: ["installed", "signed_up", "first_purchase"], reward_milestone: "first_purchase" };

  it("moves only forward along a configured list", () => {
    expect(planMilestone("installed", settings)).toEqual({ completes: false, allowedFrom: ["pending"] });
    expect(planMilestone("signed_up", settings)).toEqual({ completes: false, allowedFrom: ["pending", "installed"] });
  });

  it("completes at the reward milestone from any point", () => {
    expect(planMilestone("first_purchase", settings)).toEqual({ completes: true, allowedFrom: null });
    expect(planMilestone("completed", { milestones: [], reward_milestone: "completed" })).toEqual({
      completes: true,
      allowedFrom: null,
    });
  });

  it("rejects unknown milestones and `pending`", () => {
    expect(planMilestone("bought_a_boat", settings)).toBeNull();
    expect(planMilestone("pending", settings)).toBeNull();
    expect(planMilestone("pending", { milestones: [], reward_milestone: "completed" })).toBeNull();
  });

  it("accepts any name when no list is configured", () => {
    expect(planMilestone("anything", { milestones: [], reward_milestone: "completed" })).toEqual({
      completes: false,
      allowedFrom: null,
    });
  });
});

describe("claim outcome", () => {
  it("maps what the statement observed", () => {
    expect(claimOutcome(undefined)).toBe("not_completed");
    expect(claimOutcome({ status: "pending", claimed: false })).toBe("not_completed");
    expect(claimOutcome({ status: "expired", claimed: false })).toBe("not_completed");
    expect(claimOutcome({ status: "completed", claimed: true })).toBe("claimed");
    expect(claimOutcome({ status: "completed", claimed: false })).toBe("already_claimed");
  });
});
