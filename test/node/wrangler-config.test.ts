import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { POLICIES } from "../../src/ratelimit/policies";

/**
 * The rate limits live twice: in wrangler.toml (what Cloudflare enforces) and in
 * src/ratelimit/policies.ts (what the 429 headers and messages quote). The workers tests lift
 * every limiter and spy on the bindings, so this is what keeps the two figures in step.
 * (A regex over the [[ratelimits]] blocks: their shape is fixed, and no TOML parser is a
 * dependency of ours.)
 */
const toml = readFileSync(resolve(import.meta.dirname, "../../wrangler.toml"), "utf8");

function configuredLimits() {
  const blocks = toml.split(/^\[\[ratelimits\]\]\s*$/m).slice(1);
  return new Map(
    blocks.map((block) => {
      const name = block.match(/^name\s*=\s*"([A-Z_]+)"/m)?.[1];
      const simple = block.match(/^simple\s*=\s*\{\s*limit\s*=\s*(\d+)\s*,\s*period\s*=\s*(\d+)\s*\}/m);
      return [name, { limit: Number(simple?.[1]), period: Number(simple?.[2]) }];
    }),
  );
}

describe("wrangler.toml", () => {
  it("configures every rate-limit policy with the figures its headers quote", () => {
    const configured = configuredLimits();
    for (const policy of Object.values(POLICIES)) {
      expect(configured.get(policy.binding), policy.binding).toEqual({
        limit: policy.limit,
        period: policy.periodSeconds,
      });
    }
    // Policies may share a binding (distinct names keep their counters apart).
    expect([...configured.keys()].sort()).toEqual([...new Set(Object.values(POLICIES).map((p) => p.binding))].sort());
  });

  it("gives every queue a dead-letter queue, and every dead-letter queue a consumer", () => {
    const consumers = toml
      .split(/^\[\[queues\.consumers\]\]\s*$/m)
      .slice(1)
      .map((block) => ({
        queue: block.match(/^queue\s*=\s*"([^"]+)"/m)?.[1] ?? "",
        dlq: block.match(/^dead_letter_queue\s*=\s*"([^"]+)"/m)?.[1],
        maxRetries: block.match(/^max_retries\s*=\s*(\d+)/m)?.[1],
      }));
    // Local and production defaults differ: every consumer says how often it retries.
    for (const consumer of consumers) expect(consumer.maxRetries, consumer.queue).toMatch(/^\d+$/);
    const main = consumers.filter((c) => !c.queue.endsWith("-dlq"));
    expect(main.map((c) => c.queue).sort()).toEqual(["edgeref-clicks", "edgeref-emails", "edgeref-webhooks"]);
    for (const consumer of main) {
      expect(consumer.dlq, consumer.queue).toBe(`${consumer.queue}-dlq`);
      expect(
        consumers.map((c) => c.queue),
        `${consumer.queue}-dlq has a consumer`,
      ).toContain(consumer.dlq);
    }
  });
});
