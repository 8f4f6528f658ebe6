/** Every event type the product emits (the outbox `events.type`), plus the test event. */
export const EVENT_TYPES = [
  "link.clicked",
  "referral.created",
  "referral.milestone",
  "referral.completed",
  "referral.reward_claimed",
  "referral.referee_reward_claimed",
  "deferred_link.claimed",
  "link.created",
  "webhook.test",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** A subscription to every event type, including ones added later (matched in SQL, see db/webhooks.ts). */
export const ALL_EVENTS = "*";
