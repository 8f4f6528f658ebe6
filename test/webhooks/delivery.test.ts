import { describe, expect, it } from "vitest";
import { admin, call, createAppspace, createReferral, sql, uniqueDomain, uniqueUser } from "../support/api";
import { deliveriesOf, subscribe } from "../support/webhooks";

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
    await new Promise((r) => setTimeout(r, 500));
    const all = await rx.deliveries();
    expect(all.map((d) => JSON.parse(d.body).type)).toEqual(["referral.completed"]);
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
    await new Promise((r) => setTimeout(r, 500));
    expect(await outsider.rx.deliveries()).toEqual([]);
  });

  it("retries a failed delivery through the real queue, logging every attempt", async () => {
    const space = await createAppspace();
    const { hook, rx } = await subscribe(space, { responses: [500] });
    await createReferral(space);
    const got = await rx.waitFor(2);
    expect(got.map((d) => d.answered)).toEqual([500, 200]);
    expect(got[0]?.headers["webhook-id"]).toBe(got[1]?.headers["webhook-id"]);
    let log = await deliveriesOf(hook.id);
    for (let i = 0; i < 50 && !log.some((d) => d.status === "succeeded"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      log = await deliveriesOf(hook.id);
    }
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
    let log = await deliveriesOf(hook.id);
    for (let i = 0; i < 100 && log[0]?.status !== "failed"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      log = await deliveriesOf(hook.id);
    }
    expect(log.map((d) => [d.attempt, d.status])).toEqual([
      [4, "failed"],
      [3, "retrying"],
      [2, "retrying"],
      [1, "retrying"],
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await rx.deliveries()).toHaveLength(4);
  }, 30_000);

  it("410 Gone disables the endpoint; nothing more is sent", async () => {
    const space = await createAppspace();
    const { hook, rx } = await subscribe(space, { responses: [410] });
    const first = await createReferral(space);
    await rx.waitFor(1);
    let endpoint = await admin<{ webhooks: { id: string; active: boolean; disabled_reason: string | null }[] }>(
      "GET",
      `/appspaces/${space.id}/webhooks`,
    );
    for (let i = 0; i < 50 && endpoint.body.webhooks[0]?.active; i++) {
      await new Promise((r) => setTimeout(r, 100));
      endpoint = await admin("GET", `/appspaces/${space.id}/webhooks`);
    }
    expect(endpoint.body.webhooks[0]).toMatchObject({
      id: hook.id,
      active: false,
      disabled_reason: expect.stringMatching(/410/),
    });
    await completeReferral(space, first.referral_code);
    await new Promise((r) => setTimeout(r, 1500));
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
