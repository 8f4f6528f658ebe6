import { canonicalEmail, normalizeEmail } from "./email-address";

/** Conversion rules, as pure functions: who the referee is, and whether they are the referrer. */

export interface Referee {
  email: string | null;
  userId: string | null;
}

/**
 * The referee's identity in this appspace, as referrals store it (`referred_user_id`): the site's
 * own user id when given, else the normalized email (in the Link API a person *is* an email).
 */
export function refereeIdentity(referee: Referee): string | null {
  if (referee.userId !== null) return referee.userId;
  return referee.email === null ? null : normalizeEmail(referee.email);
}

export interface LinkOwner {
  userId: string;
  emailCanonical: string;
  externalUserId: string | null;
}

/**
 * Self-referral by email: the referee's mailbox is the referrer's (`+tags` and Gmail dots don't
 * make a new person), or the referee id is the referrer's own (ours or the site's).
 */
export function isSelfReferral(owner: LinkOwner, referee: Referee): boolean {
  if (referee.email !== null && canonicalEmail(referee.email) === owner.emailCanonical) return true;
  if (referee.userId !== null && (referee.userId === owner.userId || referee.userId === owner.externalUserId)) {
    return true;
  }
  return false;
}

const DAY_MS = 86_400_000;

/** Is a click (an AID's issue time) still inside the promotion's attribution window? */
export function withinAttribution(clickedAt: number, attributionDays: number, now: number): boolean {
  // A little clock skew between isolates is fine; an AID from the future is not.
  return clickedAt <= now + 60_000 && now - clickedAt <= attributionDays * DAY_MS;
}
