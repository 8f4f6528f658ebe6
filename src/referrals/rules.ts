/**
 * The referral state machine's decisions, as pure functions over what one SQL statement
 * observed. The statement itself makes the change conditionally; these only name the outcome.
 */

export const ABUSE_REASONS = [
  "self_referral",
  "already_referred",
  "reverse_referral",
  "same_ip",
  "same_device",
] as const;
export type AbuseReason = (typeof ABUSE_REASONS)[number];

export type AbuseFlags = Record<AbuseReason, boolean>;

/** The first rule that fires, in the documented order, or null. */
export function abuseReason(flags: AbuseFlags): AbuseReason | null {
  return ABUSE_REASONS.find((reason) => flags[reason]) ?? null;
}

export interface CompletionObservation<T> {
  /** Was the referral pending and unexpired when the statement started? */
  open: boolean;
  flags: AbuseFlags;
  /** The completed referral, when this statement is the one that completed it. */
  completed: T | null;
  /** The referral as an earlier call completed it for this same referee (a retry), if so. */
  completedForReferee?: T | null;
}

export type CompletionOutcome<T> =
  | { kind: "not_found" }
  | { kind: "closed" }
  | { kind: "abuse"; reason: AbuseReason }
  | { kind: "completed"; referral: T }
  | { kind: "repeated"; referral: T };

export function completionOutcome<T>(observed: CompletionObservation<T> | undefined): CompletionOutcome<T> {
  if (!observed) return { kind: "not_found" };
  if (observed.completed) return { kind: "completed", referral: observed.completed };
  // Already completed for this very referee: a retry whose first answer was lost. Its answer is
  // that completion (nothing changes again), not an error the caller can't tell from a refusal.
  if (observed.completedForReferee) return { kind: "repeated", referral: observed.completedForReferee };
  if (!observed.open) return { kind: "closed" };
  const reason = abuseReason(observed.flags);
  // Open, clean, yet not completed by us: a concurrent call completed it first.
  return reason ? { kind: "abuse", reason } : { kind: "closed" };
}

export interface MilestonePlan {
  /** Reaching the reward milestone completes the referral exactly as `complete` would. */
  completes: boolean;
  /** Milestones the referral may currently be at for this move to be allowed (null = any). */
  allowedFrom: string[] | null;
}

/**
 * With a configured (ordered) milestone list, a referral only moves forward along it; without
 * one, any milestone name is accepted. The reward milestone completes from any point.
 * Returns null for a milestone the appspace does not define.
 */
export function planMilestone(
  milestone: string,
  settings: { milestones: readonly string[]; reward_milestone: string },
): MilestonePlan | null {
  if (milestone === settings.reward_milestone) return { completes: true, allowedFrom: null };
  if (milestone === "pending") return null;
  if (settings.milestones.length === 0) return { completes: false, allowedFrom: null };
  const index = settings.milestones.indexOf(milestone);
  if (index < 0) return null;
  return { completes: false, allowedFrom: ["pending", ...settings.milestones.slice(0, index)] };
}

export type ClaimOutcome = "claimed" | "not_completed" | "no_reward" | "already_claimed";

/**
 * A side whose reward type is `none` (a Link API promotion rewarding only the other side) has
 * nothing to claim.
 */
export function claimOutcome(
  observed: { status: string; claimed: boolean; has_reward?: boolean } | undefined,
): ClaimOutcome {
  if (observed?.status !== "completed") return "not_completed";
  if (observed.has_reward === false) return "no_reward";
  return observed.claimed ? "claimed" : "already_claimed";
}
