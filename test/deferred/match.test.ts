import { describe, expect, it } from "vitest";
import {
  type DeviceSignals,
  likelihoodRatio,
  type MatchCandidate,
  type MatchOptions,
  type MatchResult,
  matchInstall,
  nonePrior,
  timePrior,
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
    expect(m.confidence).toBeLessThan(0.99);
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
    const full = expectMatch(matchInstall(device, [click({})], strict));
    expect(region.confidence).toBeLessThan(full.confidence);
    expect(region.confidence).toBeGreaterThan(0.9);
  });

  it("needs at least 2 points: the size alone is not enough", () => {
    const c = click({ timezone: null, language: "de-DE", safariVersion: null });
    expect(expectNoMatch(matchInstall(device, [c], strict))).toMatchObject({ reason: "below_min_score", bestScore: 1 });
  });

  it("returns no match when records of different links are about as probable", () => {
    const a = click({}, { clickedAt: NOW - 5 * MINUTE });
    const b = click({}, { clickedAt: NOW - 5 * MINUTE });
    const r = expectNoMatch(matchInstall(device, [a, b], strict));
    expect(r).toMatchObject({ reason: "ambiguous", bestScore: 4, candidates: 2 });
    expect(r.confidence).toBeLessThan(0.5);
  });

  it("records of one link are no more certain together: the confidence is for the record returned", () => {
    // Two colleagues who clicked the same shared link: the right link either way, but only one of
    // the two records is this device's click.
    const ann = click({}, { clickedAt: NOW - 5 * MINUTE, path: "/p/x", code: "x" });
    const bob = click({}, { clickedAt: NOW - 5 * MINUTE, path: "/p/x", code: "x" });
    const r = matchInstall(device, [ann, bob], { ...strict, minConfidence: 0 });
    const m = expectMatch(r);
    expect(m.confidence).toBeLessThan(0.5);
    expect(expectNoMatch(matchInstall(device, [ann, bob], strict)).reason).toBe("low_confidence");
  });

  it("a lower-scoring candidate is not a tie, but it lowers the confidence", () => {
    const best = click({});
    const other = click({ safariVersion: null });
    const alone = expectMatch(matchInstall(device, [best], { ...strict, minConfidence: 0 }));
    const m = expectMatch(matchInstall(device, [best, other], { ...strict, minConfidence: 0 }));
    expect(m.candidate).toBe(best);
    expect(m.confidence).toBeLessThan(alone.confidence);
  });
});

describe("confidence: the posterior of the returned record", () => {
  const open = { ...strict, minConfidence: 0 };
  const conf = (candidates: MatchCandidate[], options: Partial<MatchOptions> = {}, install = device) =>
    expectMatch(matchInstall(install, candidates, { ...open, ...options })).confidence;

  it("is weight(winner) / (none + Σ weights), weight = timePrior × likelihood ratio", () => {
    const c = click({}, { clickedAt: NOW - 5 * MINUTE });
    const weight = timePrior(5) * likelihoodRatio(device, c.signals, []);
    expect(conf([c])).toBeCloseTo(weight / (nonePrior(1, 60) + weight), 10);
    expect(conf([c], { ipRecords: 30 })).toBeCloseTo(weight / (nonePrior(30, 24 * 60) + weight), 10);
  });

  it("a lone click that agrees on everything, minutes ago, on a quiet network: near certain", () => {
    expect(conf([click({})], { ipRecords: 1 })).toBeGreaterThan(0.98);
  });

  it("falls as the network gets busier (an office, a carrier NAT: more organic installs behind it)", () => {
    const c = click({});
    const byLoad = [1, 10, 50, 200].map((ipRecords) => conf([c], { ipRecords }));
    for (let i = 1; i < byLoad.length; i++) expect(byLoad[i]).toBeLessThan(byLoad[i - 1] ?? 0);
  });

  it("treats a language disagreement as strong evidence against (odds down tenfold or more)", () => {
    const odds = (p: number) => p / (1 - p);
    const agree = conf([click({})], { ipRecords: 10 });
    const other = conf([click({ language: "ja-JP" })], { ipRecords: 10 });
    expect(odds(agree) / odds(other)).toBeGreaterThanOrEqual(10);
    // Another region of the same language is no evidence against.
    expect(conf([click({ language: "en-GB" })], { ipRecords: 10 })).toBeGreaterThan(other);
  });

  it("is lower without os_version (and without Safari's token on the click)", () => {
    const c = click({});
    const full = conf([c], { ipRecords: 10 });
    expect(conf([c], { ipRecords: 10 }, { ...device, safariVersion: null })).toBeLessThan(full);
    expect(conf([click({ safariVersion: null })], { ipRecords: 10 })).toBeLessThan(full);
  });

  it("weighs a screen size by how common it is among the IP's records: a fleet of one model says little", () => {
    const own = click({}, { clickedAt: NOW - 5 * MINUTE });
    const sameModel = Array.from({ length: 8 }, (_, i) =>
      click({ timezone: "Europe/Berlin" }, { clickedAt: NOW - (30 + i) * MINUTE }),
    );
    const otherModels = Array.from({ length: 8 }, (_, i) =>
      click({ timezone: "Europe/Berlin", screenWidth: 430, screenHeight: 932 }, { clickedAt: NOW - (30 + i) * MINUTE }),
    );
    // The others disagree on timezone (they can't be this install), so only the evidence moves.
    expect(conf([own, ...sameModel])).toBeLessThan(conf([own, ...otherModels]));
  });

  it("prefers a click minutes old to one from an hour ago", () => {
    expect(conf([click({}, { clickedAt: NOW - 5 * MINUTE })], { ipRecords: 10 })).toBeGreaterThan(
      conf([click({}, { clickedAt: NOW - 55 * MINUTE })], { ipRecords: 10 }),
    );
  });

  it("falls as more candidates agree with the install, and stays in (0, 1)", () => {
    const own = click({}, { clickedAt: NOW - 1 * MINUTE });
    const lookalikes = Array.from({ length: 5 }, (_, i) =>
      click({ safariVersion: null }, { clickedAt: NOW - (10 + i) * MINUTE }),
    );
    const confidences = [0, 1, 2, 3, 5].map((n) => conf([own, ...lookalikes.slice(0, n)]));
    for (let i = 1; i < confidences.length; i++) expect(confidences[i]).toBeLessThan(confidences[i - 1] ?? 0);
    for (const c of confidences) {
      expect(c).toBeGreaterThan(0);
      expect(c).toBeLessThan(1);
    }
  });

  it("barely moves for candidates that disagree with the install (on a network as busy)", () => {
    const own = click({});
    const others = Array.from({ length: 10 }, (_, i) => click({ screenWidth: 428, screenHeight: 926 + i }));
    const m = expectMatch(matchInstall(device, [own, ...others], { ...strict, ipRecords: 11 }));
    expect(m.candidates).toBe(11);
    expect(Math.abs(m.confidence - conf([own], { ipRecords: 11 }))).toBeLessThan(0.01);
  });

  it("gates strict matches by minConfidence", () => {
    const candidates = [click({}), click({ safariVersion: null })];
    const gated = expectNoMatch(matchInstall(device, candidates, strict));
    expect(gated.reason).toBe("low_confidence");
    const c = gated.confidence ?? 1;
    expect(expectMatch(matchInstall(device, candidates, { ...strict, minConfidence: c - 0.01 })).score).toBe(4);
    expect(expectMatch(matchInstall(device, [click({})], strict)).confidence).toBeGreaterThanOrEqual(0.9);
  });
});

describe("window", () => {
  const at = (clickedAt: number) => click({}, { clickedAt });

  it("includes a click exactly at the window's start and one at `now`", () => {
    // (Not gated: an hour-old click is in the window, just less likely the one.)
    const open = { ...strict, minConfidence: 0 };
    expect(expectMatch(matchInstall(device, [at(NOW - 60 * MINUTE)], open)).candidates).toBe(1);
    expect(expectMatch(matchInstall(device, [at(NOW)], open)).candidates).toBe(1);
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
