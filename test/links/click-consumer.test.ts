import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../src";
import type { ClickMessage } from "../../src/services/clicks";
import type { DeferredRecord } from "../../src/services/deferred-records";
import { createAppspace, databaseDown, sql } from "../support/api";

/**
 * The click consumer and its dead-letter consumer, called with hand-made batches whose
 * ack/retry are spies; the webhook queue is a no-op spy (events are counted in Postgres).
 */
const webhooks = { send: vi.fn(async () => {}), sendBatch: vi.fn(async () => {}) };
const up = { ...env, WEBHOOKS: webhooks } as unknown as typeof env;
const down = databaseDown(up);

/** LINKS, except that writes of keys containing `failing` reject (a KV 429 on a hot key). */
function flakyKv(failing: string): KVNamespace {
  return new Proxy(env.LINKS, {
    get(target, prop) {
      if (prop === "put")
        return (key: string, ...rest: unknown[]) =>
          key.includes(failing)
            ? Promise.reject(new Error("KV PUT failed: 429 Too Many Requests"))
            : (target.put as (...a: unknown[]) => Promise<void>)(key, ...rest);
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function click(appspaceId: string, code: string, extra: Partial<ClickMessage> = {}): ClickMessage {
  return {
    id: crypto.randomUUID(),
    appspaceId,
    code,
    clickedAt: new Date().toISOString(),
    route: "fallback",
    token: null,
    userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Version/17.4 Mobile/15E148 Safari/604.1",
    ipHash: "h".repeat(64),
    country: "DE",
    city: null,
    utm: {},
    refererHost: null,
    ...extra,
  };
}

function deferred(appspaceId: string, code: string, token: string, device: string): DeferredRecord {
  return {
    token,
    appspaceId,
    code,
    path: `/ref/${code}`,
    ipHash: "i".repeat(64),
    fingerprint: device,
    os: "android",
    signals: { timezone: null, language: "de-DE", screenWidth: null, screenHeight: null, safariVersion: null },
    source: "headers",
    clickedAt: Date.now(),
  };
}

let seq = 0;
function message(body: ClickMessage, attempts = 1) {
  return {
    id: `click-${++seq}-${crypto.randomUUID()}`,
    timestamp: new Date(),
    body,
    attempts,
    ack: vi.fn(),
    retry: vi.fn(),
  };
}
type Msg = ReturnType<typeof message>;

function batch(queue: string, messages: Msg[]) {
  return { queue, messages, ackAll: vi.fn(), retryAll: vi.fn() } as unknown as MessageBatch<unknown> & {
    ackAll: ReturnType<typeof vi.fn>;
  };
}

const counts = async (code: string) => {
  const [row] = await sql<{ clicks: string; events: string }>(
    `select (select count(*) from clicks where code = $1)::text as clicks,
            (select count(*) from events where type = 'link.clicked' and data->>'referral_code' = $1)::text as events`,
    [code],
  );
  return { clicks: Number(row?.clicks), events: Number(row?.events) };
};

const code = () => `CC${crypto.randomUUID().replace(/-/g, "").slice(0, 8).toUpperCase()}`;

beforeEach(() => {
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("click consumer: a failure stays with its message", () => {
  it("one failing KV write retries that click alone; its redelivery stores nothing twice", async () => {
    const space = await createAppspace();
    const c = code();
    const bad = `tok_${crypto.randomUUID()}`;
    const messages = [
      message(click(space.id, c)),
      message(click(space.id, c, { route: "play_store", token: bad, deferred: deferred(space.id, c, bad, "dev-a") })),
      message(click(space.id, c)),
    ];
    await worker.queue(batch("edgeref-clicks", messages), { ...up, LINKS: flakyKv(bad) } as typeof env);
    expect(messages.map((m) => [m.ack.mock.calls.length, m.retry.mock.calls.length])).toEqual([
      [1, 0],
      [0, 1],
      [1, 0],
    ]);
    expect(await counts(c)).toEqual({ clicks: 3, events: 3 });

    // The redelivery, with KV healthy again: the record is written, the click not stored twice.
    const again = message(messages[1]?.body as ClickMessage, 2);
    await worker.queue(batch("edgeref-clicks", [again]), up);
    expect(again.ack).toHaveBeenCalled();
    expect(await counts(c)).toEqual({ clicks: 3, events: 3 });
    expect(await env.LINKS.get(`t:${space.id}:${bad}`)).not.toBeNull();
  });

  it("a click Postgres refuses is dead-lettered alone; the rest of the batch is stored", async () => {
    const space = await createAppspace();
    const c = code();
    const refused = message(click(space.id, c, { clickedAt: "not a time" }));
    const fine = [message(click(space.id, c)), message(click(space.id, c))];
    await worker.queue(batch("edgeref-clicks", [fine[0] as Msg, refused, fine[1] as Msg]), up);
    for (const m of [...fine, refused]) expect(m.ack).toHaveBeenCalled();
    expect(await counts(c)).toEqual({ clicks: 2, events: 2 });
    const [letter] = await sql<{ outcome: string }>("select outcome from dead_letters where message_id = $1", [
      refused.id,
    ]);
    expect(letter?.outcome).toBe("click refused by the database");
  });

  it("a click of an appspace deleted since is skipped, not a failed batch", async () => {
    const space = await createAppspace();
    const c = code();
    const orphan = message(click(crypto.randomUUID(), c));
    const fine = message(click(space.id, c));
    await worker.queue(batch("edgeref-clicks", [orphan, fine]), up);
    expect(orphan.ack).toHaveBeenCalled();
    expect(fine.ack).toHaveBeenCalled();
    expect(await counts(c)).toEqual({ clicks: 1, events: 1 });
  });

  it("the database away retries the whole batch with backoff; nothing is acked", async () => {
    const space = await createAppspace();
    const c = code();
    const messages = [message(click(space.id, c), 1), message(click(space.id, c), 4)];
    await worker.queue(batch("edgeref-clicks", messages), down);
    expect(messages.map((m) => m.ack.mock.calls.length)).toEqual([0, 0]);
    expect(messages.map((m) => m.retry.mock.calls[0]?.[0])).toEqual([{ delaySeconds: 30 }, { delaySeconds: 240 }]);
  });
});

describe("clicks dead-letter queue", () => {
  it("stores each click it still can and records every message, once", async () => {
    const space = await createAppspace();
    const c = code();
    const messages = [message(click(space.id, c), 11), message(click(space.id, c, { clickedAt: "never" }), 11)];
    const first = batch("edgeref-clicks-dlq", messages);
    await worker.queue(first, up);
    expect(first.ackAll).toHaveBeenCalled();
    // Redelivered (the ack was lost): still one click, one record per message.
    await worker.queue(batch("edgeref-clicks-dlq", messages), up);
    expect(await counts(c)).toEqual({ clicks: 1, events: 1 });
    const letters = await sql<{ message_id: string; outcome: string }>(
      "select message_id, outcome from dead_letters where message_id = any($1::text[]) order by outcome",
      [messages.map((m) => m.id)],
    );
    expect(letters).toEqual([
      { message_id: messages[1]?.id, outcome: "click refused by the database" },
      { message_id: messages[0]?.id, outcome: "click stored" },
    ]);
  });

  it("with the database still away it throws, so the dead-letter queue redelivers", async () => {
    const space = await createAppspace();
    await expect(
      worker.queue(batch("edgeref-clicks-dlq", [message(click(space.id, code()), 11)]), down),
    ).rejects.toThrow();
  });
});

describe("clicks queued before they carried an id", () => {
  it("get a stable id from their queue message: a redelivery is stored once", async () => {
    const space = await createAppspace();
    const c = code();
    const { id: _omit, ...legacy } = click(space.id, c);
    const first = message(legacy as ClickMessage);
    await worker.queue(batch("edgeref-clicks", [first]), up);
    const again = { ...message(legacy as ClickMessage, 2), id: first.id };
    await worker.queue(batch("edgeref-clicks", [again]), up);
    expect(first.ack).toHaveBeenCalled();
    expect(again.ack).toHaveBeenCalled();
    expect(await counts(c)).toEqual({ clicks: 1, events: 1 });
  });
});
