import { describe, expect, it, vi } from "vitest";
import { admin, call, createAppspace, createReferral, sql, uniqueDomain, uniqueUser } from "../support/api";
import { deliveriesOf, dispatchedDeliveries, subscribe } from "../support/webhooks";

const completeReferral = async (space: Awaited<ReturnType<typeof createAppspace>>, code: string) =>
  call("POST", "/v1/api/referral/complete", {
    key: space.sk,
    body: { referral_code: code, referred_user_id: uniqueUser("friend") },
  });

describe("webhook delivery through the queue (live, local Queues)", () => {
  it("delivers referral.created, signed in the Standard Webhooks format", async () => {
    const domain = uniqueDomain();
    const space = await createAppspace({ domains: [domain] });
    const { hook, rx } = await subscribe(space);
    const ref = await createReferral(space, { user_id: "jane" });
    const [delivery] = await rx.waitFor(1);
    expect(delivery?.verified).toEqual([true]);
    const body = JSON.parse(delivery?.body ?? "{}");
    const [event] = await sql<{ id: string }>("select id from events where appspace_id = $1", [space.id]);
    expect(body).toEqual({
      id: event?.id,
      type: "referral.created",
      created_at: expect.stringMatching(/Z$/),
      data: {
        referral_code: ref.referral_code,
        referrer_id: "jane",
        referral_url: `https://${domain}/ref/${ref.referral_code}`,
      },
    });
    expect(delivery?.headers["webhook-id"]).toBe(event?.id);
    expect(delivery?.headers["x-webhook-event"]).toBe("referral.created");
    expect(delivery?.headers["content-type"]).toBe("application/json");
    expect(Math.abs(Number(delivery?.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(30);

    const log = await deliveriesOf(hook.id);
    expect(log).toMatchObject([
      { event_id: event?.id, event_type: "referral.created", attempt: 1, status: "succeeded", status_code: 200 },
    ]);
    // A loopback receiver (allowed only by the local-dev switch) is not a public host: its answer
    // is not kept for the tenant to read back (test/webhooks/consumer.test.ts covers public hosts).
    expect(log[0]?.response_excerpt).toBeNull();
    expect(typeof log[0]?.duration_ms).toBe("number");
  });

  it("sends only subscribed event types", async () => {
    const space = await createAppspace();
    const { rx } = await subscribe(space, { events: ["referral.completed"] });
    const ref = await createReferral(space);
    await completeReferral(space, ref.referral_code);
    const got = await rx.waitFor(1);
    // Every event is dispatched and the log says what was scheduled: only the completion.
    const scheduled = await dispatchedDeliveries(space.id);
    expect(scheduled.map((d) => d.type)).toEqual(["referral.completed"]);
    expect((await rx.deliveries()).map((d) => JSON.parse(d.body).type)).toEqual(["referral.completed"]);
    expect(JSON.parse(got[0]?.body ?? "{}").data).toMatchObject({
      referral_code: ref.referral_code,
      milestone: "completed",
    });
  });

  it("fans out one message per endpoint; other appspaces' endpoints get nothing", async () => {
    const space = await createAppspace();
    const other = await createAppspace();
    const a = await subscribe(space);
    const b = await subscribe(space);
    const outsider = await subscribe(other);
    await createReferral(space);
    await a.rx.waitFor(1);
    await b.rx.waitFor(1);
    // The event is dispatched: one attempt per endpoint of its appspace, none for the outsider.
    const scheduled = await dispatchedDeliveries(space.id);
    expect(scheduled.map((d) => d.endpoint_id).sort()).toEqual([a.hook.id, b.hook.id].sort());
    expect(await dispatchedDeliveries(other.id)).toEqual([]);
    expect(await outsider.rx.deliveries()).toEqual([]);
  });

  it("retries a failed delivery through the real queue, logging every attempt", async () => {
    const space = await createAppspace();
    const { hook, rx } = await subscribe(space, { responses: [500] });
    await createReferral(space);
    const got = await rx.waitFor(2);
    expect(got.map((d) => d.answered)).toEqual([500, 200]);
    expect(got[0]?.headers["webhook-id"]).toBe(got[1]?.headers["webhook-id"]);
    const log = await vi.waitFor(async () => {
      const rows = await deliveriesOf(hook.id);
      if (!rows.some((d) => d.status === "succeeded")) throw new Error("attempt 2 not logged yet");
      return rows;
    });
    expect(log.map((d) => [d.attempt, d.status, d.status_code])).toEqual([
      [2, "succeeded", 200],
      [1, "retrying", 500],
    ]);
    expect(log[1]?.next_retry_at).toEqual(expect.any(String));
  });

  it("after the fourth failure the real queue dead-letters the message and the delivery is failed", async () => {
    const space = await createAppspace();
    const { hook, rx } = await subscribe(space, { responses: [500, 500, 500, 500] });
    await createReferral(space);
    await rx.waitFor(4, 20_000);
    const log = await vi.waitFor(
      async () => {
        const rows = await deliveriesOf(hook.id);
        if (rows[0]?.status !== "failed") throw new Error("attempt 4 not logged yet");
        return rows;
      },
      { timeout: 10_000 },
    );
    // Attempt 4 was the last: no attempt 5 is scheduled, so nothing more can be sent.
    expect(log.map((d) => [d.attempt, d.status])).toEqual([
      [4, "failed"],
      [3, "retrying"],
      [2, "retrying"],
      [1, "retrying"],
    ]);
    expect(await rx.deliveries()).toHaveLength(4);
  }, 30_000);

  it("410 Gone disables the endpoint; nothing more is sent", async () => {
    const space = await createAppspace();
    const { hook, rx } = await subscribe(space, { responses: [410] });
    const first = await createReferral(space);
    await rx.waitFor(1);
    const endpoint = await vi.waitFor(async () => {
      const res = await admin<{ webhooks: { id: string; active: boolean; disabled_reason: string | null }[] }>(
        "GET",
        `/appspaces/${space.id}/webhooks`,
      );
      if (res.body.webhooks[0]?.active) throw new Error("endpoint not disabled yet");
      return res;
    });
    expect(endpoint.body.webhooks[0]).toMatchObject({
      id: hook.id,
      active: false,
      disabled_reason: expect.stringMatching(/410/),
    });
    await completeReferral(space, first.referral_code);
    // The completion is dispatched with no attempt for the disabled endpoint: nothing more is sent.
    expect((await dispatchedDeliveries(space.id)).map((d) => d.type)).toEqual(["referral.created"]);
    expect(await rx.deliveries()).toHaveLength(1);
  });

  it("sends a test event on request", async () => {
    const space = await createAppspace();
    const { hook, rx } = await subscribe(space, { events: ["referral.completed"] });
    const res = await admin<{ event_id: string; status: string }>("POST", `/webhooks/${hook.id}/test`);
    expect(res.status).toBe(202);
    const [delivery] = await rx.waitFor(1);
    expect(delivery?.verified).toEqual([true]);
    expect(JSON.parse(delivery?.body ?? "{}")).toMatchObject({ id: res.body.event_id, type: "webhook.test" });
  });

  it("replays an event: same event id, a new delivery series, verified", async () => {
    const space = await createAppspace();
    const { hook, rx } = await subscribe(space);
    await createReferral(space);
    const [first] = await rx.waitFor(1);
    const eventId = first?.headers["webhook-id"] ?? "";
    const res = await admin<{ event_id: string; series: string }>("POST", `/webhooks/${hook.id}/replay`, {
      event_id: eventId,
    });
    expect(res.status).toBe(202);
    expect(res.body.series).toMatch(/^replay:/);
    const got = await rx.waitFor(2);
    expect(got[1]?.headers["webhook-id"]).toBe(eventId);
    expect(got[1]?.body).toBe(first?.body);
    expect(got[1]?.verified).toEqual([true]);
  });

  it("during a secret rotation, deliveries carry both signatures", async () => {
    const space = await createAppspace();
    const { hook, rx } = await subscribe(space);
    const rotated = await admin<{ secret: string; previous_secret_expires_at: string }>(
      "POST",
      `/webhooks/${hook.id}/rotate-secret`,
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(hook.secret);
    const overlapHours = (Date.parse(rotated.body.previous_secret_expires_at) - Date.now()) / 3_600_000;
    expect(overlapHours).toBeGreaterThan(23.9);
    expect(overlapHours).toBeLessThanOrEqual(24);
    await rx.configure([hook.secret, rotated.body.secret]);
    await createReferral(space);
    const [delivery] = await rx.waitFor(1);
    expect(delivery?.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect(delivery?.verified).toEqual([true, true]);
  });
});
