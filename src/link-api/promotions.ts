/**
 * Promotion rules, as pure functions: whether a promotion is active, who gets which reward, and
 * which per-link target URLs it allows (no open redirects).
 */

export const REWARD_RECEIVERS = ["referrer", "referee", "both"] as const;
export type RewardReceiver = (typeof REWARD_RECEIVERS)[number];

export interface PromotionWindow {
  archivedAt: string | null;
  startsAt: string | null;
  endsAt: string | null;
}

/** Not archived and inside its optional window [starts_at, ends_at). */
export function isPromotionActive(p: PromotionWindow, now: number): boolean {
  if (p.archivedAt !== null) return false;
  if (p.startsAt !== null && Date.parse(p.startsAt) > now) return false;
  if (p.endsAt !== null && Date.parse(p.endsAt) <= now) return false;
  return true;
}

export interface PromotionRewards {
  rewardType: string;
  rewardValue: string | null;
  refereeRewardType: string;
  refereeRewardValue: string | null;
}

/**
 * The rewards a conversion records: the receiver rule leaves the other side with `none` (so
 * claiming it answers "No reward to claim").
 */
export function rewardsFor(receiver: RewardReceiver, rewards: PromotionRewards): PromotionRewards {
  const referrer = receiver !== "referee";
  const referee = receiver !== "referrer";
  return {
    rewardType: referrer ? rewards.rewardType : "none",
    rewardValue: referrer ? rewards.rewardValue : null,
    refereeRewardType: referee ? rewards.refereeRewardType : "none",
    refereeRewardValue: referee ? rewards.refereeRewardValue : null,
  };
}

/** The host of an https URL, lower case, or null when it isn't one. */
export function httpsHost(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" && parsed.hostname ? parsed.hostname.toLowerCase() : null;
  } catch {
    return null;
  }
}
