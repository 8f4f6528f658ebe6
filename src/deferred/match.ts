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
 *   (so screen size plus one more). When two or more different links (path + code) tie at the top
 *   score the result is `ambiguous` and nothing is returned; tied records of ONE link (a double
 *   tap, or colleagues who clicked the same shared link) are not ambiguous — every one of them
 *   gives the same answer — and the most recent is returned. Finally the match must reach
 *   `minConfidence`.
 *
 * Confidence (both strategies, same model): the posterior probability that the install followed
 * the returned LINK, from a likelihood-ratio model over every candidate in the window:
 *
 *   LR(c)      = Π over signals of EVIDENCE[signal][agree | partial | disagree]   (missing → 1)
 *   confidence = Σ_{c in window, same path+code as the winner} LR(c) / (EVIDENCE.noneWeight + Σ_{c in window} LR(c))
 *
 * LR(c) is P(signals | c is this device's click) / P(signals | c is another device behind the
 * IP); `noneWeight` is the prior weight of "the install followed none of these records" (an
 * organic install, or a click recorded from another IP) relative to one candidate. So a lone
 * candidate that agrees on everything scores 18 / 18.5 ≈ 0.97, one without the Safari token
 * 6 / 6.5 ≈ 0.92, and each further candidate that agrees with the install pulls the
 * winner's share down (two identical ones: < 0.5). The figure is always in [0, 1).
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
export const DEFAULT_MIN_CONFIDENCE = 0.9;
/** Both strategies need at least this many points. */
export const MIN_SCORE = 2;
/** The published rule's screen tolerance, per dimension. */
export const PUBLISHED_TOLERANCE_PX = 50;
export const MAX_SCORE = 4;

/**
 * Likelihood ratios P(observation | same device) / P(observation | another device behind the
 * same IP). Deliberately conservative, population-level figures — not fitted to bench/attribution.
 */
export const EVIDENCE = {
  screenSize: {
    /** The most common iPhone size in points holds ~20% of iPhones in use, so another device
     * agrees at most ~1 time in 5; using that worst case for every size understates rarer sizes. */
    agree: 5,
    /** The same device reports a different size ~1% of the time (Display Zoom toggled between
     * click and launch, an SDK reading another screen API); another device ~85%. */
    disagree: 0.01,
  },
  safariVersion: {
    /** The most common iOS minor release runs on ~30–35% of iPhones → ~3. */
    agree: 3,
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
    /** The same device reports another language ~2–3% (per-app language); another device ~15%. */
    disagree: 0.2,
  },
  /** Prior weight of "none of these records" (organic, or clicked from another IP) relative to
   * one candidate: a lone candidate with no evidence either way reads as 2:1 for. */
  noneWeight: 0.5,
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

/** The likelihood ratio of one candidate (see the module comment). */
export function likelihoodRatio(install: DeviceSignals, click: DeviceSignals): number {
  const c = compareAll(install, click);
  return (
    factor(c.size, EVIDENCE.screenSize) *
    factor(c.version, EVIDENCE.safariVersion) *
    factor(c.timezone, EVIDENCE.timezone) *
    factor(c.language, EVIDENCE.language)
  );
}

interface Scored {
  candidate: MatchCandidate;
  score: number;
  signals: MatchSignal[];
  lr: number;
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
    lr: likelihoodRatio(install, candidate.signals),
  }));
  const bestScore = Math.max(...scored.map((s) => s.score));
  if (bestScore < MIN_SCORE) return noMatch("below_min_score", bestScore, null);

  const top = scored.filter((s) => s.score === bestScore).sort(mostRecent);
  const winner = top[0];
  if (!winner) return noMatch("below_min_score", bestScore, null);

  const totalLr = scored.reduce((sum, s) => sum + s.lr, 0);
  const link = linkOf(winner.candidate);
  const linkLr = scored.filter((s) => linkOf(s.candidate) === link).reduce((sum, s) => sum + s.lr, 0);
  const confidence = linkLr / (EVIDENCE.noneWeight + totalLr);

  if (strategy === "strict") {
    if (top.some((s) => linkOf(s.candidate) !== link)) return noMatch("ambiguous", bestScore, confidence);
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
