/**
 * Diagnostic only (bench/support/redirect-ablation.ts): the real Worker (src/index.ts) with parts
 * of its per-click work swapped for no-ops, to measure what each part costs under load. The
 * `BENCH_ABLATE` binding lists what to remove (comma-separated):
 *
 *   queue      CLICKS.send/sendBatch resolve at once (no message reaches the queue broker)
 *   limiter    CLICK_LIMITER.limit resolves { success: true } without calling the binding
 *
 * Parts inside the bundle (HMACs, headers, …) are removed by source patches instead
 * (redirect-ablation.ts's PATCHES).
 *
 * Plain JavaScript on purpose: bench/ is type-checked against Node's types, not the Workers'.
 */
import worker from "../../../src/index";

const patched = new WeakMap();

function ablate(env) {
  const cached = patched.get(env);
  if (cached) return cached;
  const parts = new Set(
    String(env.BENCH_ABLATE ?? "")
      .split(",")
      .filter(Boolean),
  );
  const next = { ...env };
  if (parts.has("queue")) next.CLICKS = { send: async () => {}, sendBatch: async () => {} };
  if (parts.has("limiter")) next.CLICK_LIMITER = { limit: async () => ({ success: true }) };
  patched.set(env, next);
  return next;
}

export default {
  fetch: (request, env, ctx) => worker.fetch(request, ablate(env), ctx),
};
