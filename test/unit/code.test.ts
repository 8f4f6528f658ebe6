import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { randomString } from "../../src/lib/crypto";
import { CODE_ALPHABET, CODE_LENGTH, generateReferralCode, normalizeCode } from "../../src/referrals/code";

describe("referral codes", () => {
  it("are 10 characters from the unambiguous alphabet", () => {
    for (let i = 0; i < 1000; i++) {
      const code = generateReferralCode();
      expect(code).toHaveLength(CODE_LENGTH);
      expect([...code].every((ch) => CODE_ALPHABET.includes(ch))).toBe(true);
    }
    expect(CODE_ALPHABET).toHaveLength(32);
    expect(CODE_ALPHABET).not.toMatch(/[01IO]/);
  });

  it("are uniform over the alphabet (chi-squared, 200k symbols)", () => {
    const counts = new Map<string, number>();
    const draws = 20_000;
    for (let i = 0; i < draws; i++) for (const ch of generateReferralCode()) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    const expected = (draws * CODE_LENGTH) / CODE_ALPHABET.length;
    const chi2 = [...CODE_ALPHABET].reduce((sum, ch) => sum + ((counts.get(ch) ?? 0) - expected) ** 2 / expected, 0);
    // 31 degrees of freedom: p = 0.0001 at ~66. A biased generator lands far above.
    expect(chi2).toBeLessThan(66);
  });

  it("do not repeat in 100k draws", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(generateReferralCode());
    expect(seen.size).toBe(100_000);
  });

  it("normalise user input", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const n = normalizeCode(s);
        expect(n).toBe(n.trim());
        expect(n).toBe(n.toUpperCase());
        expect(normalizeCode(n)).toBe(n);
      }),
    );
  });
});

describe("randomString", () => {
  it("draws only from the alphabet, at the requested length, for any alphabet size", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 1, unit: "grapheme-ascii" }), {
          minLength: 2,
          maxLength: 95,
        }),
        fc.integer({ min: 0, max: 64 }),
        (chars, length) => {
          const alphabet = chars.join("");
          const out = randomString(alphabet, length);
          expect(out).toHaveLength(length);
          expect([...out].every((ch) => alphabet.includes(ch))).toBe(true);
        },
      ),
    );
  });

  it("is unbiased for alphabets that don't divide 256 (rejection sampling)", () => {
    const alphabet = "ABC"; // 256 % 3 = 1: naive modulo would favour "A"
    const counts = { A: 0, B: 0, C: 0 };
    const out = randomString(alphabet, 300_000);
    for (const ch of out) counts[ch as keyof typeof counts]++;
    for (const n of Object.values(counts)) expect(Math.abs(n - 100_000)).toBeLessThan(1_500);
  });
});
