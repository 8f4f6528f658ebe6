/**
 * Diagnostic only (bench/support/redirect-ablation.ts): the real Worker (src/index.ts) with parts
 * of its per-click work swapped for no-ops, to measure what each part costs under load. The
 * `BENCH_ABLATE` binding lists what to remove (comma-separated):
 *
 *   queue        CLICKS.send resolves at once (no message to the queue broker)
 *   queue-batch  CLICKS.send buffers in the isolate; one CLICKS.sendBatch per 100 messages or 20 ms
 *                (see `batching` below)
 *   kv-put-d     LINKS.put of device keys ("d:…") resolves at once; token keys ("t:…") are written
 *   kv-put       LINKS.put resolves at once (the deferred record's 2 writes; reads still go to KV)
 *   hmac         crypto.subtle.importKey/sign return a fixed key/signature (the IP and fingerprint hashes)
 *   limiter      CLICK_LIMITER.limit resolves { success: true } without calling the binding
 *
 * Plain JavaScript on purpose: bench/ is type-checked against Node's types, not the Workers'.
 */
import worker from "../../../src/index";

const patched = new WeakMap();

/**
 * A CLICKS producer that coalesces sends into sendBatch calls (max 100 messages or 20 ms). Every
 * request's I/O stays in its own request context (workerd cancels cross-request I/O): the request
 * that buffers the first message owns the timed flush and awaits it in its waitUntil; the one that
 * fills a batch sends it itself; the others return at once, their message riding on either.
 */
function batching(queue) {
  let pending = [];
  let owner;
  const take = () => {
    const batch = pending;
    pending = [];
    owner = undefined;
    return batch.map(({ body, options }) => ({ body, ...options }));
  };
  return {
    send(body, options) {
      pending.push({ body, options });
      if (pending.length >= 100) return queue.sendBatch(take());
      if (owner) return Promise.resolve();
      const mine = {};
      owner = mine;
      return new Promise((ok) => setTimeout(ok, 20)).then(() => {
        if (owner !== mine) return undefined;
        const batch = take();
        return batch.length ? queue.sendBatch(batch) : undefined;
      });
    },
    sendBatch: (messages, options) => queue.sendBatch(messages, options),
  };
}

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
  if (parts.has("queue-batch")) next.CLICKS = batching(env.CLICKS);
  if (parts.has("limiter")) next.CLICK_LIMITER = { limit: async () => ({ success: true }) };
  if (parts.has("kv-put") || parts.has("kv-put-d")) {
    const kv = env.LINKS;
    const all = parts.has("kv-put");
    next.LINKS = {
      get: (...args) => kv.get(...args),
      list: (...args) => kv.list(...args),
      getWithMetadata: (...args) => kv.getWithMetadata(...args),
      delete: (...args) => kv.delete(...args),
      put: async (key, ...rest) => (all || key.startsWith("d:") ? undefined : kv.put(key, ...rest)),
    };
  }
  if (parts.has("hmac")) {
    const signature = new ArrayBuffer(32);
    const subtle = crypto.subtle;
    const importKey = subtle.importKey.bind(subtle);
    const sign = subtle.sign.bind(subtle);
    const fakeKey = { fake: true };
    Object.defineProperty(subtle, "importKey", {
      value: (format, key, algorithm, ...rest) =>
        algorithm?.name === "HMAC" ? Promise.resolve(fakeKey) : importKey(format, key, algorithm, ...rest),
    });
    Object.defineProperty(subtle, "sign", {
      value: (algorithm, key, data) => (key === fakeKey ? Promise.resolve(signature) : sign(algorithm, key, data)),
    });
  }
  patched.set(env, next);
  return next;
}

export default {
  fetch: (request, env, ctx) => worker.fetch(request, ablate(env), ctx),
};
