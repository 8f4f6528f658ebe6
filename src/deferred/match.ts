/**
 * Deferred deep-link matching for iOS (POST /api/deferred/match): given the signals an app
 * reports on first launch and the unclaimed click records from the same IP, pick the click the
 * install most likely followed — or none. Pure: the route loads the candidates, calls this, and
 * claims the returned record.
 *
 * Two strategies:
 *
 * - `published` — the documented seed rule, unchanged: 1 point each for exact timezone, exact
 *   language, |Δwidth| ≤ 50 and |Δheight| ≤ 50 (width against width, height against height);
 *   at least 2 points; highest score wins; a tie goes to the most recent click. It returns what
 *   the rule returns: `minConfidence` does NOT gate it (gating would make it a different rule;
 *   it is kept for apps that depend on that rule). Its matches still carry the confidence below,
 *   so such an app can apply its own threshold.
 *
 * - `strict` (the default) — built on the fact that the page and the app run on the same device:
 *   the browser's CSS pixels are the app's points, so the screen size must be EXACTLY equal
 *   (a rotated report, w×h against h×w, counts as equal: Safari's `screen` is always portrait,
 *   the app's bounds follow the launch orientation). Timezone and the Safari `Version/x.y`
 *   token (against the iOS version the SDK reports) are device properties that do not change
 *   between a click and a first launch minutes later, so a mismatch on either, when both sides
 *   have it, disqualifies. Language may differ legitimately (per-app language setting, "en" vs
 *   "en-US"), so a language mismatch does not disqualify; it scores nothing and counts against
 *   the candidate in the confidence. Score = agreeing signals among screen_size, timezone,
 *   language (full tag) and safari_version; a disqualified candidate scores 0; at least 2 points
 *   (so screen size plus one more). Among the top-scoring records the most probable one (below)
 *   wins; when a record of another link is at least half as probable the result is `ambiguous`.
 *   Finally the match must reach `minConfidence`.
 *
 * Confidence (both strategies, same model): the posterior probability that the returned RECORD is
 * the installer's own click — device level, not just the right link (a colleague's record of the
 * same shared link is someone else's click, and claiming it would take it from them):
 *
 *   weight(c)  = timePrior(now − c.clickedAt) × LR(c)
 *   confidence = weight(winner) / (nonePrior + Σ_{c in window} weight(c))
 *
 * - LR(c): P(signals | c is this device's click) / P(signals | another device behind the IP).
 *   Screen size and iOS version weigh 1 / (how common the value is among the IP's other records,
 *   with the population share as a prior): in an office full of one model its size says little.
 *   A disagreement on them, or on timezone, is near-disqualifying; a language disagreement (the
 *   primary language) is strong evidence against. A signal either side lacks says nothing
 *   (factor 1), so a report without `os_version` gets the lower confidence it deserves.
 * - timePrior: how likely a click that long ago produces a first launch now (lognormal delay,
 *   median 6 min; × the click-to-install rate).
 * - nonePrior: the rate of installs at this IP that follow none of these records — organic ones,
 *   or ones whose click was recorded elsewhere — proportional to how many clicks the IP records
 *   (`ipRecords` over 24 h): a busy office or carrier NAT has more of them, a quiet home fewer.
 * The constants are population estimates; `unexplainedPerClickInstall` was set where bench/attribution's
 * populations come out calibrated (each confidence bucket's observed precision within ~1 point of
 * its stated value; see bench/README.md), which the outside measurement should confirm.
 *
 * Window: a candidate is considered when `now - windowMinutes·60000 <= clickedAt <= now` — both
 * edges inclusive; clicks stamped after `now` (clock skew, replays) are ignored.
 */

export interface DeviceSignals {
  /** IANA name, e.g. "America/New_York" (compared exactly, after trimming). */
  timezone: string | null;
  /** BCP 47 tag, e.g. "en-US" (compared case-insensitively, "_" read as "-"). */
  language: string | null;
  /** Screen size in points (app) / CSS pixels (browser `screen.width` / `screen.height`). */
  screenWidth: number | null;
  screenHeight: number | null;
  /** Click side: Safari's `Version/x.y` token. Install side: the iOS version the SDK reports
   * (iOS Safari's version follows the OS's). Compared on major.minor. */
  safariVersion: string | null;
}

export interface MatchCandidate {
  token: string;
  /** Epoch milliseconds. */
  clickedAt: number;
  signals: DeviceSignals;
  path: string;
  code: string;
}

export type MatchStrategy = "published" | "strict";

export interface MatchOptions {
  strategy: MatchStrategy;
  /** Gates `strict` only (see above). */
  minConfidence: number;
  windowMinutes: number;
  /** Epoch milliseconds. */
  now: number;
  /**
   * How many records this IP has in all over the last `lookbackMinutes` (claimed ones included):
   * how busy the network is, which sets the prior of "none of these" (see `nonePrior`). Defaults to
   * the candidates given, over the window.
   */
  ipRecords?: number;
  /** The span `ipRecords` covers (default: the records' 24 h lifetime). */
  lookbackMinutes?: number;
}

export type MatchSignal = "timezone" | "language" | "screen_width" | "screen_height" | "screen_size" | "safari_version";

export type NoMatchReason = "no_candidates" | "below_min_score" | "ambiguous" | "low_confidence";

export interface MatchFound {
  matched: true;
  candidate: MatchCandidate;
  strategy: MatchStrategy;
  score: number;
  maxScore: number;
  matchedSignals: MatchSignal[];
  /** Candidates considered (within the window). */
  candidates: number;
  confidence: number;
}

export interface NoMatch {
  matched: false;
  strategy: MatchStrategy;
  reason: NoMatchReason;
  candidates: number;
  /** Highest score among the candidates considered (null when there were none). */
  bestScore: number | null;
  /** Confidence of the would-be winner (`ambiguous`, `low_confidence`), else null. */
  confidence: number | null;
}

export type MatchResult = MatchFound | NoMatch;

export const DEFAULT_MATCH_STRATEGY: MatchStrategy = "strict";
export const DEFAULT_MIN_CONFIDENCE = 0.85;
/** Both strategies need at least this many points. */
export const MIN_SCORE = 2;
/** The published rule's screen tolerance, per dimension. */
export const PUBLISHED_TOLERANCE_PX = 50;
export const MAX_SCORE = 4;

/**
 * Likelihood ratios P(observation | same device) / P(observation | another device behind the
 * same IP), for the signals whose agreement says little by itself. Screen size and iOS version are
 * weighed by how common the value is among the IP's own records instead (`agreeRatio`).
 */
export const EVIDENCE = {
  screenSize: {
    /** Population share of the most common iPhone size in points (~20%): the prior for how often
     * another device agrees, before the IP's own records say more (see `agreeRatio`). */
    commonShare: 0.2,
    /** The same device reports a different size ~1% of the time (Display Zoom toggled between
     * click and launch, an SDK reading another screen API); another device ~85%. */
    disagree: 0.01,
  },
  safariVersion: {
    /** The most common iOS minor release runs on ~30–35% of iPhones. */
    commonShare: 0.33,
    /** An iOS update between click and first launch is rare (< 1%); another device differs ~80%. */
    disagree: 0.01,
  },
  timezone: {
    /** Behind one IP nearly every device shares the timezone: agreement is no evidence. */
    agree: 1,
    /** The same device changes timezone within the window ~0.1% (travel); another device ~5%. */
    disagree: 0.02,
  },
  language: {
    /** ~85% of devices behind one IP share the full tag → 1 / 0.85. */
    agree: 1.2,
    /** Same primary language, different region ("en" vs "en-GB"): no evidence either way. */
    partial: 1,
    /** The same device reports another primary language ~1–2% of the time (a per-app language
     * setting); another device behind the IP ~15%: strong evidence against. */
    disagree: 0.1,
  },
  /** How many records' worth of weight the population prior gets against the IP's own records
   * when estimating how common a screen size or iOS version is there. */
  priorRecords: 4,
} as const;

/**
 * When an install follows a click (population figures, estimates: attribution vendors'
 * click-to-install times and industry click-to-install rates). They set each candidate's prior
 * (how likely a click this long ago produces a first launch now) against the prior of "none of
 * these" (an organic install, or one whose click was recorded elsewhere), which grows with how
 * many clicks the IP records: a crowded office or carrier NAT has more organic installs too.
 */
export const TIMING = {
  /** Click → first launch, lognormal: median 6 minutes, σ 1.3. */
  delayMedianMinutes: 6,
  delaySigma: 1.3,
  /** Share of store-bound clicks that become an install. */
  clickToInstall: 0.3,
  /** Installs that follow no recorded click, per click-driven install: organic installs plus those
   * whose click was recorded from another IP (Private Relay, another network). Industry figures put
   * organic at half of installs or more (→ 1–1.5); 1.2 is where bench/attribution's populations come
   * out calibrated. */
  unexplainedPerClickInstall: 1.2,
} as const;

type Comparison = "agree" | "partial" | "disagree" | "missing";

function text(value: string | null): string | null {
  const v = value?.trim();
  return v ? v : null;
}

function languageTag(value: string | null): string | null {
  const v = text(value);
  return v ? v.replaceAll("_", "-").toLowerCase() : null;
}

function dimension(value: number | null): number | null {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : null;
}

/** "17.4", "17.4.1", "Version/17.4" → "17.4"; "18" → "18.0"; anything else → null. */
function majorMinor(value: string | null): string | null {
  const m = text(value)?.match(/(\d+)(?:\.(\d+))?/);
  if (!m) return null;
  return `${Number(m[1])}.${Number(m[2] ?? 0)}`;
}

function compareTimezone(a: string | null, b: string | null): Comparison {
  const x = text(a);
  const y = text(b);
  if (x === null || y === null) return "missing";
  return x === y ? "agree" : "disagree";
}

function compareLanguage(a: string | null, b: string | null): Comparison {
  const x = languageTag(a);
  const y = languageTag(b);
  if (x === null || y === null) return "missing";
  if (x === y) return "agree";
  return x.split("-")[0] === y.split("-")[0] ? "partial" : "disagree";
}

/** Exact size in points, a rotated report counting as equal. */
function compareSize(a: DeviceSignals, b: DeviceSignals): Comparison {
  const aw = dimension(a.screenWidth);
  const ah = dimension(a.screenHeight);
  const bw = dimension(b.screenWidth);
  const bh = dimension(b.screenHeight);
  if (aw === null || ah === null || bw === null || bh === null) return "missing";
  const [x1, y1] = [Math.round(aw), Math.round(ah)];
  const [x2, y2] = [Math.round(bw), Math.round(bh)];
  return (x1 === x2 && y1 === y2) || (x1 === y2 && y1 === x2) ? "agree" : "disagree";
}

function compareVersion(a: string | null, b: string | null): Comparison {
  const x = majorMinor(a);
  const y = majorMinor(b);
  if (x === null || y === null) return "missing";
  return x === y ? "agree" : "disagree";
}

interface Comparisons {
  timezone: Comparison;
  language: Comparison;
  size: Comparison;
  version: Comparison;
}

function compareAll(install: DeviceSignals, click: DeviceSignals): Comparisons {
  return {
    timezone: compareTimezone(install.timezone, click.timezone),
    language: compareLanguage(install.language, click.language),
    size: compareSize(install, click),
    version: compareVersion(install.safariVersion, click.safariVersion),
  };
}

function factor(c: Comparison, e: { agree: number; disagree: number; partial?: number }): number {
  if (c === "agree") return e.agree;
  if (c === "disagree") return e.disagree;
  if (c === "partial") return e.partial ?? 1;
  return 1;
}

const sizeKey = (d: DeviceSignals) => {
  const w = dimension(d.screenWidth);
  const h = dimension(d.screenHeight);
  return w === null || h === null ? null : [Math.round(w), Math.round(h)].sort((a, b) => a - b).join("x");
};

/**
 * How much an agreement on a value says: 1 / P(another device behind this IP shows it), estimated
 * from the IP's other records (a fleet of one model in an office makes its size weak evidence
 * there) with the population share as a prior worth `priorRecords` records.
 */
function agreeRatio(value: string, others: readonly (string | null)[], commonShare: number): number {
  const known = others.filter((v): v is string => v !== null);
  const same = known.filter((v) => v === value).length;
  const p = (same + EVIDENCE.priorRecords * commonShare) / (known.length + EVIDENCE.priorRecords);
  return 1 / Math.min(1, Math.max(p, 0.01));
}

/**
 * The likelihood ratio of one candidate against the other records of its IP (see the module
 * comment); `others` are every other record the matcher was given.
 */
export function likelihoodRatio(
  install: DeviceSignals,
  click: DeviceSignals,
  others: readonly DeviceSignals[] = [],
): number {
  const c = compareAll(install, click);
  const size = sizeKey(click);
  const version = majorMinor(click.safariVersion);
  const sizeFactor =
    c.size === "agree" && size
      ? agreeRatio(size, others.map(sizeKey), EVIDENCE.screenSize.commonShare)
      : c.size === "disagree"
        ? EVIDENCE.screenSize.disagree
        : 1;
  const versionFactor =
    c.version === "agree" && version
      ? agreeRatio(
          version,
          others.map((o) => majorMinor(o.safariVersion)),
          EVIDENCE.safariVersion.commonShare,
        )
      : c.version === "disagree"
        ? EVIDENCE.safariVersion.disagree
        : 1;
  return sizeFactor * versionFactor * factor(c.timezone, EVIDENCE.timezone) * factor(c.language, EVIDENCE.language);
}

/** P(first launch this many minutes after the click), per minute, × the click's install rate. */
export function timePrior(minutes: number): number {
  const x = Math.max(minutes, 0.25);
  const z = (Math.log(x) - Math.log(TIMING.delayMedianMinutes)) / TIMING.delaySigma;
  return (TIMING.clickToInstall * Math.exp(-0.5 * z * z)) / (x * TIMING.delaySigma * Math.sqrt(2 * Math.PI));
}

/**
 * The prior of "none of these", per minute: unexplained installs at this IP's click rate, which is
 * estimated from the IP's other records over the lookback (the candidate being judged is the reason
 * we are looking, so it doesn't count) plus half a record, so a lone click on a quiet home network
 * isn't read as a busy one.
 */
export function nonePrior(records: number, lookbackMinutes: number): number {
  const others = Math.max(0, records - 1) + 0.5;
  return (others / Math.max(lookbackMinutes, 1)) * TIMING.clickToInstall * TIMING.unexplainedPerClickInstall;
}

interface Scored {
  candidate: MatchCandidate;
  score: number;
  signals: MatchSignal[];
  /** Time prior × likelihood ratio: this record's unnormalised posterior. */
  weight: number;
}

function scorePublished(install: DeviceSignals, click: DeviceSignals): { score: number; signals: MatchSignal[] } {
  const signals: MatchSignal[] = [];
  if (compareTimezone(install.timezone, click.timezone) === "agree") signals.push("timezone");
  if (compareLanguage(install.language, click.language) === "agree") signals.push("language");
  const near = (a: number | null, b: number | null) => {
    const x = dimension(a);
    const y = dimension(b);
    return x !== null && y !== null && Math.abs(x - y) <= PUBLISHED_TOLERANCE_PX;
  };
  if (near(install.screenWidth, click.screenWidth)) signals.push("screen_width");
  if (near(install.screenHeight, click.screenHeight)) signals.push("screen_height");
  return { score: signals.length, signals };
}

function scoreStrict(install: DeviceSignals, click: DeviceSignals): { score: number; signals: MatchSignal[] } {
  const c = compareAll(install, click);
  if (c.size !== "agree" || c.timezone === "disagree" || c.version === "disagree") return { score: 0, signals: [] };
  const signals: MatchSignal[] = ["screen_size"];
  if (c.timezone === "agree") signals.push("timezone");
  if (c.language === "agree") signals.push("language");
  if (c.version === "agree") signals.push("safari_version");
  return { score: signals.length, signals };
}

const linkOf = (c: MatchCandidate) => `${c.path}\u0000${c.code}`;

/** Most recent first; equal timestamps keep input order (the earlier entry wins). */
function mostRecent(a: Scored, b: Scored): number {
  return b.candidate.clickedAt - a.candidate.clickedAt;
}

export function matchInstall(
  install: DeviceSignals,
  candidates: readonly MatchCandidate[],
  options: MatchOptions,
): MatchResult {
  const { strategy, now } = options;
  const start = now - options.windowMinutes * 60_000;
  const inWindow = candidates.filter((c) => c.clickedAt >= start && c.clickedAt <= now);
  const noMatch = (reason: NoMatchReason, bestScore: number | null, confidence: number | null): NoMatch => ({
    matched: false,
    strategy,
    reason,
    candidates: inWindow.length,
    bestScore,
    confidence,
  });
  if (inWindow.length === 0) return noMatch("no_candidates", null, null);

  const scoreOf = strategy === "strict" ? scoreStrict : scorePublished;
  const scored: Scored[] = inWindow.map((candidate) => ({
    candidate,
    ...scoreOf(install, candidate.signals),
    weight:
      timePrior((now - candidate.clickedAt) / 60_000) *
      likelihoodRatio(
        install,
        candidate.signals,
        candidates.filter((o) => o !== candidate).map((o) => o.signals),
      ),
  }));
  const bestScore = Math.max(...scored.map((s) => s.score));
  if (bestScore < MIN_SCORE) return noMatch("below_min_score", bestScore, null);

  const top = scored.filter((s) => s.score === bestScore);
  // strict: the most probable of the top-scoring records; published: its own rule (most recent).
  const winner =
    strategy === "strict"
      ? [...top].sort((a, b) => b.weight - a.weight || mostRecent(a, b))[0]
      : [...top].sort(mostRecent)[0];
  if (!winner) return noMatch("below_min_score", bestScore, null);

  const none =
    options.ipRecords === undefined
      ? nonePrior(inWindow.length, options.windowMinutes)
      : nonePrior(Math.max(options.ipRecords, inWindow.length), options.lookbackMinutes ?? 24 * 60);
  const total = scored.reduce((sum, s) => sum + s.weight, 0);
  // Device level: the probability that this very record is the installer's own click.
  const confidence = winner.weight / (none + total);

  if (strategy === "strict") {
    const link = linkOf(winner.candidate);
    if (top.some((s) => s !== winner && linkOf(s.candidate) !== link && s.weight * 2 >= winner.weight)) {
      return noMatch("ambiguous", bestScore, confidence);
    }
    if (confidence < options.minConfidence) return noMatch("low_confidence", bestScore, confidence);
  }
  return {
    matched: true,
    candidate: winner.candidate,
    strategy,
    score: bestScore,
    maxScore: MAX_SCORE,
    matchedSignals: winner.signals,
    candidates: inWindow.length,
    confidence,
  };
}
