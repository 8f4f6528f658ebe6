import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp({ withTimezone: true, mode: "string" }).notNull().defaultNow();

/** A tenant: its settings, domains and API keys. */
export const appspaces = pgTable("appspaces", {
  id: uuid().primaryKey().defaultRandom(),
  name: text().notNull(),
  domains: jsonb().$type<string[]>().notNull().default([]),
  /** Normalised settings (every key present, defaults applied); see src/appspaces/settings.ts. */
  settings: jsonb().$type<Record<string, unknown>>().notNull(),
  /**
   * Identity verification for client-side creates: the customer's backend computes
   * `user_hash = HMAC-SHA256(identity_secret, user_id)`. Stored as is (it must be usable to verify);
   * null until one is generated through the admin API.
   */
  identitySecret: text(),
  createdAt: createdAt(),
  updatedAt: createdAt(),
});

/**
 * Link hosts, one row per domain: the primary key makes a domain exclusive to one appspace and is
 * the index host lookups use. `appspaces.domains` keeps the ordered list the API shows (the first
 * one builds referral URLs); both are written in the same batch (src/db/appspaces.ts).
 */
export const appspaceDomains = pgTable(
  "appspace_domains",
  {
    domain: text().primaryKey(),
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
  },
  (t) => [index("appspace_domains_appspace_idx").on(t.appspaceId)],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid().primaryKey().defaultRandom(),
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    type: text({ enum: ["publishable", "secret"] }).notNull(),
    /** SHA-256 of the whole key (hex). The plaintext is shown once and never stored. */
    keyHash: text().notNull(),
    /** The first characters of the key, to recognise it in listings. */
    start: text().notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp({ withTimezone: true, mode: "string" }),
  },
  (t) => [
    uniqueIndex("api_keys_key_hash_idx").on(t.keyHash),
    index("api_keys_appspace_idx").on(t.appspaceId),
    check("api_keys_type_check", sql`${t.type} in ('publishable', 'secret')`),
  ],
);

export const referrals = pgTable(
  "referrals",
  {
    id: uuid().primaryKey().defaultRandom(),
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    code: text().notNull(),
    referrerId: text().notNull(),
    referrerName: text(),
    referredUserId: text(),
    referredUserName: text(),
    /**
     * Stored status: pending | completed | expired. A pending row past `expires_at` *reads* as
     * expired everywhere (lazy expiration); the create path also persists that state so the
     * one-pending-per-user index below holds.
     */
    status: text({ enum: ["pending", "completed", "expired"] })
      .notNull()
      .default("pending"),
    milestone: text().notNull().default("pending"),
    milestoneHistory: jsonb().$type<{ milestone: string; timestamp: string }[]>().notNull(),
    metadata: jsonb().$type<Record<string, unknown>>(),
    /** Keyed hashes (HMAC-SHA256 with IP_HASH_SECRET); raw IPs are never stored. */
    referrerIpHash: text(),
    referrerDeviceId: text(),
    referredIpHash: text(),
    referredDeviceId: text(),
    rewardType: text(),
    rewardValue: text(),
    refereeRewardType: text(),
    refereeRewardValue: text(),
    rewardClaimed: boolean().notNull().default(false),
    rewardClaimedAt: timestamp({ withTimezone: true, mode: "string" }),
    refereeRewardClaimed: boolean().notNull().default(false),
    refereeRewardClaimedAt: timestamp({ withTimezone: true, mode: "string" }),
    /**
     * Link API: the reusable link (src/db/link-api.ts) this referral was converted through, with its
     * promotion and product. Null for Tolinku-style referral codes.
     */
    linkCode: text(),
    promotionId: uuid(),
    productId: text(),
    createdAt: createdAt(),
    completedAt: timestamp({ withTimezone: true, mode: "string" }),
    /** created_at + the appspace's expiration_days at creation time. */
    expiresAt: timestamp({ withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [
    uniqueIndex("referrals_code_idx").on(t.code),
    // At most one open (pending) referral code per user: dedupe is an invariant, not a hope. A
    // reusable link (Link API) has one referral per referee instead, so it is left out here.
    uniqueIndex("referrals_one_pending_code_per_user_idx")
      .on(t.appspaceId, t.referrerId)
      .where(sql`${t.status} = 'pending' and ${t.linkCode} is null`),
    // One referral per referee per reusable link (the conversion that first names a referee creates it).
    uniqueIndex("referrals_link_referee_idx").on(t.linkCode, t.referredUserId).where(sql`${t.linkCode} is not null`),
    // A referee is referred at most once per appspace (abuse rule `already_referred`).
    uniqueIndex("referrals_one_completion_per_referee_idx")
      .on(t.appspaceId, t.referredUserId)
      .where(sql`${t.status} = 'completed'`),
    index("referrals_by_user_idx").on(t.appspaceId, t.referrerId, t.createdAt.desc()),
    // Open referrals by expiry: the cron persists lazy expiry through it (few rows: only those that
    // expired since its last run), and the stats read counts those not persisted yet.
    index("referrals_pending_expiry_idx").on(t.expiresAt).where(sql`${t.status} = 'pending'`),
    index("referrals_pending_expiry_appspace_idx").on(t.appspaceId, t.expiresAt).where(sql`${t.status} = 'pending'`),
    // A referrer's open referrals (the leaderboard's and by-user's live `pending`): the unique
    // one-pending index leaves out Link API referrals, so without this the heaviest referrers'
    // whole history was scanned for it.
    index("referrals_pending_by_user_idx").on(t.appspaceId, t.referrerId).where(sql`${t.status} = 'pending'`),
    // The dashboard's referral list: newest first per appspace, keyset-paginated; its search by the
    // referred user's id and by the start of the referrer's name.
    index("referrals_appspace_created_idx").on(t.appspaceId, t.createdAt.desc(), t.id.desc()),
    index("referrals_referred_user_idx").on(t.appspaceId, t.referredUserId),
    index("referrals_referrer_name_idx").using("btree", t.appspaceId, sql`lower(${t.referrerName}) text_pattern_ops`),
    check("referrals_status_check", sql`${t.status} in ('pending', 'completed', 'expired')`),
  ],
);

/**
 * Per-referrer counters, maintained in the same statement as each referral change, so the
 * leaderboard reads the top N from an index instead of aggregating every referral.
 */
export const referrerStats = pgTable(
  "referrer_stats",
  {
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    referrerId: text().notNull(),
    referrerName: text(),
    total: integer().notNull().default(0),
    completed: integer().notNull().default(0),
    totalRewardValue: numeric().notNull().default("0"),
  },
  (t) => [
    primaryKey({ columns: [t.appspaceId, t.referrerId] }),
    index("referrer_stats_rank_idx").on(t.appspaceId, t.completed.desc(), t.referrerId),
    index("referrer_stats_reward_idx").on(t.appspaceId, t.totalRewardValue.desc(), t.referrerId),
  ],
);

/** Transactional outbox: every state change writes its event here in the same statement. */
export const events = pgTable(
  "events",
  {
    id: uuid().primaryKey().defaultRandom(),
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    type: text().notNull(),
    data: jsonb().$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    dispatchedAt: timestamp({ withTimezone: true, mode: "string" }),
  },
  (t) => [
    index("events_undispatched_idx").on(t.createdAt).where(sql`${t.dispatchedAt} is null`),
    index("events_appspace_idx").on(t.appspaceId, t.createdAt),
  ],
);

/** Webhook subscriptions, per appspace. `events` holds event types, or ["*"] for all. */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: uuid().primaryKey().defaultRandom(),
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    url: text().notNull(),
    events: jsonb().$type<string[]>().notNull(),
    active: boolean().notNull().default(true),
    /** The signing secret must be usable to sign, so it is stored as is (never returned after creation). */
    secret: text().notNull(),
    /** After a rotation the old secret keeps signing (as a second signature) until this time. */
    previousSecret: text(),
    previousSecretExpiresAt: timestamp({ withTimezone: true, mode: "string" }),
    disabledReason: text(),
    createdAt: createdAt(),
    updatedAt: createdAt(),
  },
  (t) => [index("webhook_endpoints_appspace_idx").on(t.appspaceId)],
);

/**
 * The delivery log: one row per attempt. `series` names one delivery of one event to one
 * endpoint (the outbox dispatch, a replay or a test); (series, attempt) is unique, so a queue
 * message delivered twice cannot log — or send — the same attempt twice.
 *
 * It is also the delivery schedule: an attempt's row is written `pending` (with `dueAt`) before
 * any queue message for it is sent, so Postgres — not the queue's retry counter — knows which
 * attempt comes next and when. A lost or dead-lettered message only delays an attempt: the cron
 * sweep re-sends every attempt that is overdue.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid().primaryKey().defaultRandom(),
    endpointId: uuid()
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    eventId: uuid()
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    series: text().notNull(),
    attempt: integer().notNull(),
    /** pending → sending → succeeded | retrying (a later attempt is pending) | failed (no more attempts). */
    status: text({ enum: ["pending", "sending", "succeeded", "retrying", "failed"] }).notNull(),
    statusCode: integer(),
    durationMs: integer(),
    error: text(),
    responseExcerpt: text(),
    nextRetryAt: timestamp({ withTimezone: true, mode: "string" }),
    /** When a pending attempt is due (the sweep re-sends it once it is overdue). */
    dueAt: timestamp({ withTimezone: true, mode: "string" }),
    /** When the attempt was last taken by a consumer (a `sending` row left this long is abandoned). */
    startedAt: timestamp({ withTimezone: true, mode: "string" }),
    createdAt: createdAt(),
    finishedAt: timestamp({ withTimezone: true, mode: "string" }),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_series_attempt_idx").on(t.series, t.attempt),
    // The sweep's view: unfinished attempts only, so it stays small however long the log is.
    index("webhook_deliveries_unfinished_idx").on(t.dueAt).where(sql`status in ('pending', 'sending')`),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.createdAt.desc()),
    index("webhook_deliveries_created_idx").on(t.createdAt),
  ],
);

/** One row per counted click on /ref/:code (written in batches by the click consumer). */
export const clicks = pgTable(
  "clicks",
  {
    id: uuid().primaryKey().defaultRandom(),
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    code: text().notNull(),
    clickedAt: timestamp({ withTimezone: true, mode: "string" }).notNull(),
    /** The routing decision: play_store, ios_page, interstitial, fallback. */
    route: text().notNull(),
    /** The deferred-link token, for store-bound clicks. */
    token: text(),
    os: text(),
    osVersion: text(),
    deviceType: text(),
    browser: text(),
    browserVersion: text(),
    inApp: text(),
    country: text(),
    city: text(),
    utmSource: text(),
    utmMedium: text(),
    utmCampaign: text(),
    utmTerm: text(),
    utmContent: text(),
    refererHost: text(),
    /** The attribution id handed to the landing page (`?aid=`), for clicks that land on a web page. */
    aid: text(),
    /** Keyed hash (HMAC-SHA256 with IP_HASH_SECRET); raw IPs are never stored. */
    ipHash: text(),
  },
  (t) => [index("clicks_appspace_time_idx").on(t.appspaceId, t.clickedAt), index("clicks_code_idx").on(t.code)],
);

/**
 * Deferred-link claims. The record itself lives in KV (24 h TTL); whether it has been claimed is
 * decided here, by the primary key: of any number of concurrent claims of a token, one inserts.
 */
export const deferredClaims = pgTable(
  "deferred_claims",
  {
    token: text().primaryKey(),
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    code: text().notNull(),
    /** token (install referrer or pasteboard), match (iOS signals) or code (typed by the user; `token` is then `code:<appspace>:<install id hash>`). */
    method: text({ enum: ["token", "match", "code"] }).notNull(),
    claimedAt: createdAt(),
  },
  (t) => [index("deferred_claims_appspace_idx").on(t.appspaceId, t.claimedAt)],
);

/**
 * What a dead-letter queue consumer received: the message as it was, so nothing a queue gave up on
 * is lost without a trace (webhook attempts are also rescheduled by the sweep; clicks are inserted
 * by the dead-letter consumer itself). Pruned with the events.
 */
export const deadLetters = pgTable(
  "dead_letters",
  {
    id: uuid().primaryKey().defaultRandom(),
    queue: text().notNull(),
    messageId: text().notNull(),
    body: jsonb().notNull(),
    /** The attempts the original queue made. */
    attempts: integer().notNull(),
    /** What the dead-letter consumer did with it (e.g. "click stored", "attempt left to the sweep"). */
    outcome: text().notNull(),
    receivedAt: createdAt(),
  },
  (t) => [
    uniqueIndex("dead_letters_queue_message_idx").on(t.queue, t.messageId),
    index("dead_letters_received_idx").on(t.receivedAt),
  ],
);

/**
 * Idempotency-Key records: the first request with a key runs and stores its response; a retry
 * with the same key and body within 24 h gets that response again. `scope` is the appspace (or
 * `admin`); (scope, key) is the primary key, so of concurrent same-key requests one inserts and runs.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    scope: text().notNull(),
    key: text().notNull(),
    /** SHA-256 of method, path and body: the same key with another request is refused. */
    requestHash: text().notNull(),
    /** running → done. A running row past `lockedUntil` is abandoned and may be taken over. */
    status: text({ enum: ["running", "done"] }).notNull(),
    lockedUntil: timestamp({ withTimezone: true, mode: "string" }).notNull(),
    responseStatus: integer(),
    responseHeaders: jsonb().$type<Record<string, string>>(),
    responseBody: text(),
    createdAt: createdAt(),
    expiresAt: timestamp({ withTimezone: true, mode: "string" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index("idempotency_keys_expires_idx").on(t.expiresAt)],
);

// ---------------------------------------------------------------------------------------------
// Link API (Aklamio's): email-identified users, promotions, reusable links, consents, conversions,
// the email outbox.

/** A campaign with its own rules; links are created for one promotion. */
export const promotions = pgTable(
  "promotions",
  {
    id: uuid().primaryKey().defaultRandom(),
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    name: text().notNull(),
    rewardReceiver: text({ enum: ["referrer", "referee", "both"] }).notNull(),
    rewardType: text().notNull(),
    rewardValue: text(),
    refereeRewardType: text().notNull(),
    refereeRewardValue: text(),
    targetUrl: text().notNull(),
    /** Hosts a per-link target_url may use (lower case). */
    allowedHosts: jsonb().$type<string[]>().notNull(),
    productId: text(),
    startsAt: timestamp({ withTimezone: true, mode: "string" }),
    endsAt: timestamp({ withTimezone: true, mode: "string" }),
    attributionDays: integer().notNull(),
    /** Phones go to the app stores (deferred deep links) instead of the target URL. */
    appRouting: boolean().notNull().default(false),
    /** subject, text, html, from_name, reply_to (each optional; src/email/template.ts fills the rest). */
    email: jsonb().$type<Record<string, string | null>>().notNull(),
    archivedAt: timestamp({ withTimezone: true, mode: "string" }),
    createdAt: createdAt(),
    updatedAt: createdAt(),
  },
  (t) => [
    index("promotions_appspace_idx").on(t.appspaceId, t.createdAt.desc(), t.id),
    check("promotions_reward_receiver_check", sql`${t.rewardReceiver} in ('referrer', 'referee', 'both')`),
  ],
);

/** A Link API user: identified by email alone, unique per appspace by its normalized form. */
export const users = pgTable(
  "users",
  {
    id: uuid().primaryKey().defaultRandom(),
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    /** Trimmed and lower-cased: the identity. */
    email: text().notNull(),
    /** `email` without +tags (and, at Gmail, dots): the self-referral rule compares these. */
    emailCanonical: text().notNull(),
    name: text(),
    externalUserId: text(),
    metadata: jsonb().$type<Record<string, unknown>>(),
    locale: text(),
    unsubscribedAt: timestamp({ withTimezone: true, mode: "string" }),
    createdAt: createdAt(),
    updatedAt: createdAt(),
  },
  (t) => [
    uniqueIndex("users_email_idx").on(t.appspaceId, t.email),
    index("users_external_id_idx").on(t.appspaceId, t.externalUserId),
  ],
);

/** Every consent a user gave (each Link API call records one): when, which text, through what. */
export const consents = pgTable(
  "consents",
  {
    id: uuid().primaryKey().defaultRandom(),
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    grantedAt: createdAt(),
    textVersion: text(),
    /** e.g. `api:links` plus the key's prefix that made the call. */
    source: text().notNull(),
  },
  (t) => [index("consents_user_idx").on(t.userId, t.grantedAt)],
);

/**
 * A reusable link: one per (user, promotion). Link codes are 8 characters and referral codes 10,
 * from the same alphabet, so the two kinds share /ref/:code without ever colliding (each table's
 * key keeps its own kind unique).
 */
export const links = pgTable(
  "links",
  {
    code: text().primaryKey(),
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    promotionId: uuid()
      .notNull()
      .references(() => promotions.id, { onDelete: "cascade" }),
    /** Overrides of the promotion's, or null. */
    rewardReceiver: text({ enum: ["referrer", "referee", "both"] }),
    targetUrl: text(),
    productId: text(),
    metadata: jsonb().$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("links_user_promotion_idx").on(t.userId, t.promotionId),
    index("links_appspace_idx").on(t.appspaceId, t.createdAt),
    check("links_code_length_check", sql`char_length(${t.code}) = 8`),
  ],
);

/**
 * Conversions reported by a site (POST /v1/api/conversions). With an `order_id` the row is also the
 * idempotency record: (appspace, order_id) is unique, so the same order is processed once and
 * answered with its first result.
 */
export const conversions = pgTable(
  "conversions",
  {
    id: uuid().primaryKey().defaultRandom(),
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    orderId: text(),
    aid: text(),
    code: text().notNull(),
    referralId: uuid().references(() => referrals.id, { onDelete: "set null" }),
    event: text().notNull(),
    amount: numeric(),
    currency: text(),
    productId: text(),
    /** running → done; a running row past lockedUntil was abandoned and may be taken over. */
    status: text({ enum: ["running", "done"] }).notNull(),
    lockedUntil: timestamp({ withTimezone: true, mode: "string" }).notNull(),
    /** The first answer (status and error body; a success is rebuilt from the referral). */
    responseStatus: integer(),
    responseError: jsonb().$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("conversions_order_idx").on(t.appspaceId, t.orderId), index("conversions_code_idx").on(t.code)],
);

/**
 * The email outbox: a row per email, written in the same statement as what causes it; the EMAILS
 * queue sends it (or, with no provider configured, it is kept as `captured`). Once per link: the
 * unique (link_code, kind) index.
 */
export const emails = pgTable(
  "emails",
  {
    id: uuid().primaryKey().defaultRandom(),
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    userId: uuid().references(() => users.id, { onDelete: "set null" }),
    linkCode: text(),
    kind: text().notNull(),
    toAddress: text().notNull(),
    /** Rendered when sent (or captured), from the promotion's template at that moment. */
    subject: text(),
    text: text(),
    html: text(),
    /** queued → sending → sent | captured (no provider) | failed. */
    status: text({ enum: ["queued", "sending", "sent", "captured", "failed"] }).notNull(),
    attempts: integer().notNull().default(0),
    lastError: text(),
    providerMessageId: text(),
    createdAt: createdAt(),
    updatedAt: createdAt(),
    sentAt: timestamp({ withTimezone: true, mode: "string" }),
  },
  (t) => [
    uniqueIndex("emails_link_kind_idx").on(t.linkCode, t.kind),
    index("emails_appspace_idx").on(t.appspaceId, t.createdAt.desc(), t.id),
    index("emails_unsent_idx").on(t.updatedAt).where(sql`status in ('queued', 'sending')`),
  ],
);

// ---------------------------------------------------------------------------------------------
// Analytics rollups. Maintained by statement-level triggers (drizzle/0007_analytics.sql), so every
// statement that writes a referral, a click or an event updates them in the same statement,
// whichever code path it comes from, and a batch is aggregated once. The analytics API and the
// dashboard read these instead of scanning raw rows, so their cost follows the number of buckets
// in the range, not the number of rows behind them.

/** Referrals per creation day (UTC) and promotion, by stored status; lazy expiry is applied on read. */
export const referralRollups = pgTable(
  "referral_rollups",
  {
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    day: date({ mode: "string" }).notNull(),
    /** The referral's promotion, or the zero uuid for referral codes (part of the key, so never null). */
    promotionKey: uuid().notNull(),
    total: integer().notNull().default(0),
    pending: integer().notNull().default(0),
    completed: integer().notNull().default(0),
    expired: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.appspaceId, t.day, t.promotionKey] })],
);

/** Per referrer and UTC day: referrals created, completed and the reward value they earned that day. */
export const referrerDaily = pgTable(
  "referrer_daily",
  {
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    day: date({ mode: "string" }).notNull(),
    referrerId: text().notNull(),
    created: integer().notNull().default(0),
    completed: integer().notNull().default(0),
    rewardValue: numeric().notNull().default("0"),
  },
  (t) => [primaryKey({ columns: [t.appspaceId, t.day, t.referrerId] })],
);

/**
 * The 7- and 30-day leaderboards, kept as running sums so a read is an index range scan: the
 * triggers add each day's changes, and when a day leaves a window (`leaderboard_windows.starts_on`
 * moves) `roll_leaderboard_windows()` subtracts that day's `referrer_daily` rows.
 */
export const referrerWindows = pgTable(
  "referrer_windows",
  {
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    /** '7d' or '30d'. */
    period: text().notNull(),
    referrerId: text().notNull(),
    created: integer().notNull().default(0),
    completed: integer().notNull().default(0),
    rewardValue: numeric().notNull().default("0"),
  },
  (t) => [
    primaryKey({ columns: [t.appspaceId, t.period, t.referrerId] }),
    index("referrer_windows_completed_idx").on(t.appspaceId, t.period, t.completed.desc(), t.referrerId),
    index("referrer_windows_reward_idx").on(t.appspaceId, t.period, t.rewardValue.desc(), t.referrerId),
  ],
);

/** Where each rolling window starts (a UTC day); see referrer_windows. */
export const leaderboardWindows = pgTable(
  "leaderboard_windows",
  {
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    period: text().notNull(),
    startsOn: date({ mode: "string" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.appspaceId, t.period] })],
);

/**
 * Clicks per bucket and dimension value: `dim` is `all` (value `all`), `platform`, `device_type`,
 * `browser`, `country`, `utm_source` or `route` with hourly buckets, and `referral_code` with daily
 * buckets (one row per code and hour would be about one row per click). A missing value is `(none)`.
 * Only inserts count: pruning raw clicks (retention) leaves the rollups, so charts outlive it.
 */
export const clickRollups = pgTable(
  "click_rollups",
  {
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    dim: text().notNull(),
    bucket: timestamp({ withTimezone: true, mode: "string" }).notNull(),
    value: text().notNull(),
    clicks: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.appspaceId, t.dim, t.bucket, t.value] })],
);

/** Events per hour and type (only inserts count, so the outbox's retention leaves the charts). */
export const eventRollups = pgTable(
  "event_rollups",
  {
    appspaceId: uuid()
      .notNull()
      .references(() => appspaces.id, { onDelete: "cascade" }),
    bucket: timestamp({ withTimezone: true, mode: "string" }).notNull(),
    type: text().notNull(),
    count: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.appspaceId, t.bucket, t.type] })],
);

/**
 * Dashboard sessions, server-side: the signed cookie names one by its nonce, and a session is live
 * while its row is (signing out ends it for good, not only in that browser; rows past their
 * expiry are pruned by the cron).
 */
export const dashboardSessions = pgTable(
  "dashboard_sessions",
  {
    /** The session's nonce (random, 128 bits, hex). */
    id: text().primaryKey(),
    /** The API key it was opened with; null for an admin session. */
    keyId: uuid().references(() => apiKeys.id, { onDelete: "cascade" }),
    expiresAt: timestamp({ withTimezone: true, mode: "string" }).notNull(),
    endedAt: timestamp({ withTimezone: true, mode: "string" }),
    createdAt: createdAt(),
  },
  (t) => [index("dashboard_sessions_expires_idx").on(t.expiresAt)],
);
