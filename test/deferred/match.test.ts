import { describe, expect, it } from "vitest";
import {
  type DeviceSignals,
  EVIDENCE,
  type MatchCandidate,
  type MatchOptions,
  type MatchResult,
  matchInstall,
} from "../../src/deferred/match";

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const MINUTE = 60_000;

const device: DeviceSignals = {
  timezone: "America/New_York",
  language: "en-US",
  screenWidth: 390,
  screenHeight: 844,
  safariVersion: "18.3",
};

let seq = 0;
function click(signals: Partial<DeviceSignals>, extra: Partial<Omit<MatchCandidate, "signals">> = {}): MatchCandidate {
  seq++;
  return {
    token: `t${seq}`,
    clickedAt: NOW - 5 * MINUTE,
    signals: { ...device, ...signals },
    path: `/p/${seq}`,
    code: `c${seq}`,
    ...extra,
  };
}

const nothing: DeviceSignals = {
  timezone: null,
  language: null,
  screenWidth: null,
  screenHeight: null,
  safariVersion: null,
};

const published: MatchOptions = { strategy: "published", minConfidence: 0.9, windowMinutes: 60, now: NOW };
const strict: MatchOptions = { ...published, strategy: "strict" };

function expectMatch(result: MatchResult) {
  if (!result.matched) throw new Error(`expected a match, got ${JSON.stringify(result)}`);
  return result;
}

function expectNoMatch(result: MatchResult) {
  if (result.matched) throw new Error(`expected no match, got ${JSON.stringify(result)}`);
  return result;
}

describe("published strategy", () => {
  it("scores one point per signal: timezone, language, width, height", () => {
    const only = (signals: Partial<DeviceSignals>) => click({ ...nothing, ...signals });
    const install = device;
    for (const [signals, name] of [
      [{ timezone: "America/New_York" }, "timezone"],
      [{ language: "en-US" }, "language"],
      [{ screenWidth: 390 }, "screen_width"],
      [{ screenHeight: 844 }, "screen_height"],
    ] as const) {
      // One point alone is below the minimum; with the timezone point it matches.
      expect(expectNoMatch(matchInstall(install, [only(signals)], published))).toMatchObject({
        reason: "below_min_score",
        bestScore: 1,
        candidates: 1,
      });
      if (name === "timezone") continue;
      const m = expectMatch(matchInstall(install, [only({ ...signals, timezone: "America/New_York" })], published));
      expect(m.score).toBe(2);
      expect(m.matchedSignals).toEqual(["timezone", name]);
    }
    const all = expectMatch(matchInstall(install, [click({})], published));
    expect(all).toMatchObject({ strategy: "published", score: 4, maxScore: 4, candidates: 1 });
    expect(all.matchedSignals).toEqual(["timezone", "language", "screen_width", "screen_height"]);
  });

  it("allows ±50 px per dimension: 50 counts, 51 does not", () => {
    const score = (c: MatchCandidate) => expectMatch(matchInstall(device, [c], published)).matchedSignals;
    expect(score(click({ screenWidth: 440, screenHeight: 794 }))).toContain("screen_width");
    expect(score(click({ screenWidth: 440, screenHeight: 794 }))).toContain("screen_height");
    expect(score(click({ screenWidth: 340, screenHeight: 894 }))).toEqual([
      "timezone",
      "language",
      "screen_width",
      "screen_height",
    ]);
    expect(score(click({ screenWidth: 441, screenHeight: 793 }))).toEqual(["timezone", "language"]);
    expect(score(click({ screenWidth: 339, screenHeight: 895 }))).toEqual(["timezone", "language"]);
  });

  it("needs at least 2 points", () => {
    const c = click({ timezone: "Europe/Paris", language: "fr-FR", screenWidth: 390, screenHeight: 1000 });
    expect(expectNoMatch(matchInstall(device, [c], published))).toMatchObject({
      reason: "below_min_score",
      bestScore: 1,
    });
  });

  it("gives a tie to the most recent click, and the higher score beats recency", () => {
    const older = click({}, { clickedAt: NOW - 20 * MINUTE });
    const newer = click({}, { clickedAt: NOW - 2 * MINUTE });
    expect(expectMatch(matchInstall(device, [newer, older], published)).candidate).toBe(newer);
    expect(expectMatch(matchInstall(device, [older, newer], published)).candidate).toBe(newer);
    const newerWorse = click({ screenWidth: 500 }, { clickedAt: NOW - 1 * MINUTE });
    expect(expectMatch(matchInstall(device, [older, newerWorse], published)).candidate).toBe(older);
  });

  it("compares width with width: a rotated report scores only timezone and language", () => {
    const m = expectMatch(matchInstall({ ...device, screenWidth: 844, screenHeight: 390 }, [click({})], published));
    expect(m.matchedSignals).toEqual(["timezone", "language"]);
  });

  it("ignores the Safari version", () => {
    const m = expectMatch(matchInstall(device, [click({ safariVersion: "16.7" })], published));
    expect(m.score).toBe(4);
    expect(m.matchedSignals).not.toContain("safari_version");
  });

  it("is not gated by minConfidence (it returns what the rule returns), but reports the confidence", () => {
    const a = click({ safariVersion: null }, { clickedAt: NOW - 3 * MINUTE });
    const b = click({ safariVersion: null }, { clickedAt: NOW - 4 * MINUTE });
    const m = expectMatch(matchInstall(device, [a, b], { ...published, minConfidence: 0.99 }));
    expect(m.candidate).toBe(a);
    expect(m.confidence).toBeLessThan(0.5);
  });
});

describe("strict strategy", () => {
  it("matches on exact size plus timezone, language and Safari version", () => {
    const m = expectMatch(matchInstall(device, [click({})], strict));
    expect(m).toMatchObject({ strategy: "strict", score: 4, maxScore: 4, candidates: 1 });
    expect(m.matchedSignals).toEqual(["screen_size", "timezone", "language", "safari_version"]);
  });

  it("requires the exact size: one point off disqualifies", () => {
    for (const off of [{ screenWidth: 391 }, { screenHeight: 843 }, { screenWidth: 393, screenHeight: 852 }]) {
      expect(expectNoMatch(matchInstall(device, [click(off)], strict))).toMatchObject({
        reason: "below_min_score",
        bestScore: 0,
      });
    }
    expect(expectNoMatch(matchInstall({ ...device, screenWidth: null }, [click({})], strict)).reason).toBe(
      "below_min_score",
    );
  });

  it("treats a rotated report as the same size", () => {
    const m = expectMatch(matchInstall({ ...device, screenWidth: 844, screenHeight: 390 }, [click({})], strict));
    expect(m.matchedSignals).toContain("screen_size");
    expect(m.score).toBe(4);
  });

  it("uses the Safari Version token on major.minor; a mismatch disqualifies, a missing side is neutral", () => {
    expect(expectMatch(matchInstall({ ...device, safariVersion: "18.3.1" }, [click({})], strict)).score).toBe(4);
    expect(expectMatch(matchInstall(device, [click({ safariVersion: "Version/18.3" })], strict)).score).toBe(4);
    expect(expectNoMatch(matchInstall(device, [click({ safariVersion: "18.2" })], strict))).toMatchObject({
      reason: "below_min_score",
      bestScore: 0,
    });
    const missing = expectMatch(matchInstall(device, [click({ safariVersion: null })], strict));
    expect(missing.score).toBe(3);
    expect(missing.matchedSignals).toEqual(["screen_size", "timezone", "language"]);
  });

  it("disqualifies a timezone mismatch; a language mismatch only scores nothing", () => {
    expect(expectNoMatch(matchInstall(device, [click({ timezone: "America/Chicago" })], strict)).bestScore).toBe(0);
    const lang = expectMatch(matchInstall(device, [click({ language: "es-US" })], { ...strict, minConfidence: 0 }));
    expect(lang.matchedSignals).toEqual(["screen_size", "timezone", "safari_version"]);
  });

  it("compares language tags case-insensitively, with _ as -; another region is neither a point nor a mismatch", () => {
    expect(expectMatch(matchInstall({ ...device, language: "EN_us" }, [click({})], strict)).score).toBe(4);
    const region = expectMatch(matchInstall({ ...device, language: "en-GB" }, [click({})], strict));
    expect(region.matchedSignals).not.toContain("language");
    expect(region.confidence).toBeCloseTo(15 / 15.5, 10);
  });

  it("needs at least 2 points: the size alone is not enough", () => {
    const c = click({ timezone: null, language: "de-DE", safariVersion: null });
    expect(expectNoMatch(matchInstall(device, [c], strict))).toMatchObject({ reason: "below_min_score", bestScore: 1 });
  });

  it("returns no match when different links tie at the top score", () => {
    const a = click({}, { clickedAt: NOW - 2 * MINUTE });
    const b = click({}, { clickedAt: NOW - 9 * MINUTE });
    const r = expectNoMatch(matchInstall(device, [a, b], strict));
    expect(r).toMatchObject({ reason: "ambiguous", bestScore: 4, candidates: 2 });
    expect(r.confidence).toBeCloseTo(18 / 36.5, 10);
  });

  it("does not call a tie within one link ambiguous (a double tap): the most recent record wins", () => {
    const first = click({}, { clickedAt: NOW - 9 * MINUTE, path: "/p/x", code: "x" });
    const again = click({}, { clickedAt: NOW - 8 * MINUTE, path: "/p/x", code: "x" });
    const m = expectMatch(matchInstall(device, [first, again], strict));
    expect(m.candidate).toBe(again);
    expect(m.confidence).toBeCloseTo(36 / 36.5, 10);
  });

  it("a lower-scoring candidate is not a tie, but it lowers the confidence", () => {
    const best = click({});
    const other = click({ safariVersion: null });
    const m = expectMatch(matchInstall(device, [best, other], { ...strict, minConfidence: 0 }));
    expect(m.candidate).toBe(best);
    expect(m.confidence).toBeCloseTo(18 / (0.5 + 18 + 6), 10);
  });
});

describe("confidence", () => {
  it("is the winner's likelihood share, with the documented constants", () => {
    expect(EVIDENCE.noneWeight).toBe(0.5);
    expect(expectMatch(matchInstall(device, [click({})], strict)).confidence).toBeCloseTo(18 / 18.5, 10);
    expect(expectMatch(matchInstall(device, [click({ safariVersion: null })], strict)).confidence).toBeCloseTo(
      6 / 6.5,
      10,
    );
  });

  it("falls as more candidates agree with the install, and stays in [0, 1]", () => {
    const own = click({}, { clickedAt: NOW - 1 * MINUTE });
    const lookalikes = Array.from({ length: 5 }, (_, i) =>
      click({ safariVersion: null }, { clickedAt: NOW - (10 + i) * MINUTE }),
    );
    const confidences = [0, 1, 2, 3, 5].map(
      (n) =>
        expectMatch(matchInstall(device, [own, ...lookalikes.slice(0, n)], { ...strict, minConfidence: 0 })).confidence,
    );
    for (let i = 1; i < confidences.length; i++) expect(confidences[i]).toBeLessThan(confidences[i - 1] ?? 0);
    for (const c of confidences) {
      expect(c).toBeGreaterThan(0);
      expect(c).toBeLessThan(1);
    }
  });

  it("barely moves for candidates that disagree with the install", () => {
    const others = Array.from({ length: 10 }, (_, i) => click({ screenWidth: 428, screenHeight: 926 + i }));
    const m = expectMatch(matchInstall(device, [click({}), ...others], strict));
    expect(m.confidence).toBeGreaterThan(0.95);
    expect(m.candidates).toBe(11);
  });

  it("gates strict matches by minConfidence", () => {
    const candidates = [click({}), click({ safariVersion: null })];
    const gated = expectNoMatch(matchInstall(device, candidates, strict));
    expect(gated.reason).toBe("low_confidence");
    expect(gated.confidence).toBeCloseTo(18 / 24.5, 10);
    expect(expectMatch(matchInstall(device, candidates, { ...strict, minConfidence: 0.7 })).score).toBe(4);
    expect(expectMatch(matchInstall(device, [click({})], strict)).confidence).toBeGreaterThanOrEqual(0.9);
  });
});

describe("window", () => {
  const at = (clickedAt: number) => click({}, { clickedAt });

  it("includes a click exactly at the window's start and one at `now`", () => {
    expect(expectMatch(matchInstall(device, [at(NOW - 60 * MINUTE)], strict)).candidates).toBe(1);
    expect(expectMatch(matchInstall(device, [at(NOW)], strict)).candidates).toBe(1);
  });

  it("excludes a click one millisecond before the window, and clicks from the future", () => {
    for (const strategy of ["published", "strict"] as const) {
      const options = { ...strict, strategy };
      for (const c of [at(NOW - 60 * MINUTE - 1), at(NOW + 1)]) {
        expect(matchInstall(device, [c], options)).toEqual({
          matched: false,
          strategy,
          reason: "no_candidates",
          candidates: 0,
          bestScore: null,
          confidence: null,
        });
      }
    }
  });

  it("counts only candidates within the window", () => {
    const m = expectMatch(matchInstall(device, [at(NOW - 2 * MINUTE), at(NOW - 61 * MINUTE), click({})], published));
    expect(m.candidates).toBe(2);
  });
});

describe("no candidates", () => {
  it("returns no_candidates for an empty list", () => {
    for (const strategy of ["published", "strict"] as const) {
      expect(expectNoMatch(matchInstall(device, [], { ...strict, strategy }))).toEqual({
        matched: false,
        strategy,
        reason: "no_candidates",
        candidates: 0,
        bestScore: null,
        confidence: null,
      });
    }
  });
});
