import { afterEach, describe, expect, it, vi } from "vitest";
import { mintAid } from "../../src/link-api/aid";
import { call, createReferral, isPostgres, sql, type TestAppspace } from "../support/api";
import { createLink, linkApiSpace, uniqueEmail } from "../support/link-api";
import { UA, visit } from "../support/links";

const SECRET = "test-ip-hash-secret-0123456789";

afterEach(() => vi.restoreAllMocks());

const REWARDS = {
  reward_type: "credit",
  reward_value: "10",
  referee_reward_type: "discount",
  referee_reward_value: "5",
};

/** A promotion link, clicked once from a desktop: its AID as the landing page got it. */
async function clickedLink(
  promotion: Record<string, unknown> = {},
  settings: Record<string, unknown> = {},
  email = uniqueEmail(),
) {
  const fixture = await linkApiSpace({ ...REWARDS, ...promotion }, settings);
  const link = await createLink(fixture.space, { email, promotion_id: fixture.promotionId, name: "Ann" });
  const code = link.body.link.code;
  const aid = await clickAid(fixture.domain, code);
  return { ...fixture, code, aid, userId: link.body.user.id };
}

async function clickAid(domain: string, code: string): Promise<string> {
  const res = await visit(`https://${domain}/ref/${code}`, { ua: UA.desktop });
  return new URL(res.headers.get("location") ?? "").searchParams.get("aid") ?? "";
}

interface ConversionBody {
  conversion: Record<string, unknown>;
  referral: Record<string, unknown> & { id: string; referral_code: string };
  error?: string;
  reason?: string;
}

const convert = (space: TestAppspace, body: Record<string, unknown>) =>
  call<ConversionBody>("POST", "/v1/api/conversions", { key: space.sk, body });

async function eventsOf(space: TestAppspace, type: string) {
  const rows = await sql<{ data: string }>(
    "select data::text as data from events where appspace_id = $1 and type = $2 order by created_at",
    [space.id, type],
  );
  return rows.map((r) => JSON.parse(r.data) as Record<string, unknown>);
}

describe("POST /v1/api/conversions", () => {
  it("a conversion by AID creates and completes the referee's referral, with the promotion's rewards", async () => {
    const { space, code, aid, userId, promotionId } = await clickedLink({ product_id: "plan-a" });
    const res = await convert(space, {
      aid,
      referee_email: "Bob@Example.com",
      order_id: "o-1",
      amount: 49.9,
      currency: "eur",
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      conversion: {
        id: expect.any(String),
        order_id: "o-1",
        event: "completed",
        amount: "49.9",
        currency: "EUR",
        product_id: null,
        created_at: expect.any(String),
      },
      referral: {
        id: expect.any(String),
        referral_code: expect.stringMatching(/^[A-HJ-NP-Z2-9]{10}$/),
        link_code: code,
        promotion_id: promotionId,
        referrer_id: userId,
        referred_user_id: "bob@example.com",
        status: "completed",
        milestone: "completed",
        ...REWARDS,
        completed_at: expect.any(String),
      },
    });
    expect(await eventsOf(space, "referral.completed")).toEqual([
      expect.objectContaining({
        referral_code: res.body.referral.referral_code,
        referrer_id: userId,
        referred_user_id: "bob@example.com",
        promotion_id: promotionId,
        product_id: "plan-a",
        order_id: "o-1",
        link_code: code,
      }),
    ]);
    // Every view of referrals sees it.
    const lookup = await call("GET", `/v1/api/referral/${res.body.referral.referral_code}`, { key: space.sk });
    expect(lookup.body).toMatchObject({ status: "completed", referrer_id: userId });
    const byUser = await call<{ total: number }>("GET", `/v1/api/referral/by-user/${userId}`, { key: space.sk });
    expect(byUser.body.total).toBe(1);
    const board = await call<{ leaderboard: Record<string, unknown>[] }>("GET", "/v1/api/referral/leaderboard", {
      key: space.sk,
    });
    expect(board.body.leaderboard).toEqual([
      expect.objectContaining({ referrer_id: userId, referrer_name: "Ann", completed: 1, total_reward_value: "10" }),
    ]);
    const detail = await call("GET", `/v1/api/links/${code}`, { key: space.sk });
    expect(detail.body).toMatchObject({ referrals: 1, conversions: 1 });
  });

  it("a link is reusable: each referee gets their own referral", async () => {
    const { space, domain, code, aid } = await clickedLink();
    const first = await convert(space, { aid, referee_email: uniqueEmail("bob") });
    const second = await convert(space, { aid: await clickAid(domain, code), referee_user_id: "site-user-2" });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body.referral.referral_code).not.toBe(second.body.referral.referral_code);
    const detail = await call("GET", `/v1/api/links/${code}`, { key: space.sk });
    expect(detail.body).toMatchObject({ referrals: 2, conversions: 2 });
  });

  it.each([
    [
      "referrer",
      { reward_type: "credit", reward_value: "10", referee_reward_type: "none", referee_reward_value: null },
    ],
    [
      "referee",
      { reward_type: "none", reward_value: null, referee_reward_type: "discount", referee_reward_value: "5" },
    ],
    ["both", REWARDS],
  ] as const)("rewards follow the receiver rule: %s", async (receiver, expected) => {
    const { space, aid } = await clickedLink({ reward_receiver: receiver });
    const res = await convert(space, { aid, referee_email: uniqueEmail("bob") });
    expect(res.body.referral).toMatchObject(expected);
    const referralCode = res.body.referral.referral_code as string;
    const referrer = await call("POST", "/v1/api/referral/claim-reward", {
      key: space.sk,
      body: { referral_code: referralCode },
    });
    const referee = await call("POST", "/v1/api/referral/claim-referee-reward", {
      key: space.sk,
      body: { referral_code: referralCode },
    });
    const outcome = (r: { status: number; body: Record<string, unknown> }) => (r.status === 200 ? 200 : r.body.error);
    expect([outcome(referrer), outcome(referee)]).toEqual([
      receiver === "referee" ? "No reward to claim" : 200,
      receiver === "referrer" ? "No reward to claim" : 200,
    ]);
  });

  it("refuses self-referral by normalized email (+tags, Gmail dots, googlemail.com)", async () => {
    const { space, aid } = await clickedLink({}, {}, `jdoe.${crypto.randomUUID().slice(0, 6)}@gmail.com`);
    const [user] = await sql<{ email: string }>("select email from users where appspace_id = $1", [space.id]);
    const [local] = (user?.email ?? "").split("@");
    const disguised = `${(local ?? "").replace("jdoe", "J.Doe")}+promo@GoogleMail.com`;
    const res = await convert(space, { aid, referee_email: disguised });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: "Referral flagged for abuse", reason: "self_referral" });
    expect(await sql("select 1 from referrals where appspace_id = $1", [space.id])).toEqual([]);
  });

  it("a referee already referred in this appspace → 409 already_referred", async () => {
    const { space, domain, promotionId, aid } = await clickedLink();
    expect((await convert(space, { aid, referee_email: "carol@example.com" })).status).toBe(200);
    const other = await createLink(space, { email: uniqueEmail("dan"), promotion_id: promotionId });
    const otherAid = await clickAid(domain, other.body.link.code);
    const res = await convert(space, { aid: otherAid, referee_email: "CAROL@example.com" });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ reason: "already_referred" });
  });

  it("order_id makes it idempotent: the first result again, never a second completion", async () => {
    const { space, domain, code, aid } = await clickedLink();
    const first = await convert(space, { aid, referee_email: "erin@example.com", order_id: "order-42" });
    const again = await convert(space, { aid, referee_email: "erin@example.com", order_id: "order-42" });
    const otherReferee = await convert(space, {
      aid: await clickAid(domain, code),
      referee_email: "frank@example.com",
      order_id: "order-42",
    });
    expect(again.body).toEqual(first.body);
    expect(otherReferee.body).toEqual(first.body);
    expect(await eventsOf(space, "referral.completed")).toHaveLength(1);
    // A refused order answers its refusal again.
    // A refused order (erin's referral is completed: it can't move to another milestone) answers
    // its refusal again, even when the repeat alone would have been fine.
    const refused = await convert(space, {
      aid,
      referee_email: "erin@example.com",
      order_id: "order-43",
      event: "nope",
    });
    const refusedAgain = await convert(space, { aid, referee_email: "erin@example.com", order_id: "order-43" });
    expect(refused.status).toBe(404);
    expect(refusedAgain.status).toBe(404);
    expect(refusedAgain.body.error).toBe(refused.body.error);
  });

  it("unknown, forged, foreign and stale AIDs → 404 Attribution not found", async () => {
    const { space, code, aid } = await clickedLink({ attribution_days: 1 });
    const other = await clickedLink();
    const stale = await mintAid(SECRET, { appspaceId: space.id, code, now: Date.now() - 2 * 86_400_000 });
    const forged = `${aid.slice(0, -4)}0000`;
    for (const bad of ["nope", forged, other.aid, stale]) {
      const res = await convert(space, { aid: bad, referee_email: uniqueEmail("gus") });
      expect(res.status, bad).toBe(404);
      expect(res.body, bad).toMatchObject({ error: "Attribution not found", code: "not_found" });
    }
    expect((await convert(space, { aid, referee_email: uniqueEmail("gus") })).status).toBe(200);
  });

  it("an archived promotion's link still lands, but converts no more: 409 Promotion is not active", async () => {
    const { space, promotionId, aid } = await clickedLink();
    await call("POST", `/v1/api/promotions/${promotionId}/archive`, { key: space.sk });
    const res = await convert(space, { aid, referee_email: uniqueEmail("hal") });
    expect(res.status).toBe(409);
    expect(res.body.error).toBe("Promotion is not active");
  });

  it("a milestone event advances the referral; the reward milestone completes it later", async () => {
    const { space, aid } = await clickedLink({}, { milestones: ["signed_up", "first_purchase"] });
    const signedUp = await convert(space, { aid, referee_email: "ivy@example.com", event: "signed_up" });
    expect(signedUp.body.referral).toMatchObject({ status: "pending", milestone: "signed_up" });
    expect(await eventsOf(space, "referral.milestone")).toEqual([expect.objectContaining({ milestone: "signed_up" })]);
    const done = await convert(space, { aid, referee_email: "ivy@example.com" });
    expect(done.body.referral).toMatchObject({
      status: "completed",
      referral_code: signedUp.body.referral.referral_code,
    });
  });

  it("converts a referral code's click too (AID on the web fallback, or the code itself)", async () => {
    const { space, domain } = await linkApiSpace({}, { web_fallback_url: "https://shop.example.com/" });
    const referral = await createReferral(space, { user_id: "jane" });
    const aid = await clickAid(domain, referral.referral_code);
    const res = await convert(space, { aid, referee_user_id: "kim" });
    expect(res.status).toBe(200);
    expect(res.body.referral).toMatchObject({
      referral_code: referral.referral_code,
      status: "completed",
      link_code: null,
    });
    const byCode = await convert(space, { referral_code: referral.referral_code, referee_user_id: "kim" });
    expect(byCode.body.referral).toMatchObject({ referral_code: referral.referral_code });
  });

  it("a Link API referral moves only through conversions, under its promotion's rules", async () => {
    const { space, aid } = await clickedLink({ reward_receiver: "referrer" }, { milestones: ["signed_up"] });
    const signedUp = await convert(space, { aid, referee_email: "lee@example.com", event: "signed_up" });
    const referralCode = signedUp.body.referral.referral_code;
    // The Referrals API's own calls don't see it (they would skip the receiver rule)...
    const plain = await call("POST", "/v1/api/referral/complete", {
      key: space.sk,
      body: { referral_code: referralCode, referred_user_id: "someone-else", ip: "198.51.100.9" },
    });
    expect(plain.status).toBe(404);
    // ...and its code, given to conversions, converts on its link: the referee stays the referee,
    // the rewards follow the promotion.
    const done = await convert(space, { referral_code: referralCode, referee_email: "lee@example.com" });
    expect(done.body.referral).toMatchObject({
      referral_code: referralCode,
      referred_user_id: "lee@example.com",
      status: "completed",
      referee_reward_type: "none",
    });
  });

  it("an unknown milestone is refused before anything is written", async () => {
    const { space, aid } = await clickedLink({}, { milestones: ["signed_up"] });
    const res = await convert(space, { aid, referee_email: "mo@example.com", event: "signup_v2", order_id: "o-9" });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: "event" });
    expect(await sql("select 1 from referrals where appspace_id = $1", [space.id])).toEqual([]);
    expect(await sql("select 1 from conversions where appspace_id = $1", [space.id])).toEqual([]);
    // The order wasn't claimed: a corrected retry runs.
    const retried = await convert(space, { aid, referee_email: "mo@example.com", event: "signed_up", order_id: "o-9" });
    expect(retried.status).toBe(200);
  });

  it("validates the body, naming the field", async () => {
    const { space, aid } = await clickedLink();
    const cases: [Record<string, unknown>, string][] = [
      [{ referee_email: "a@example.com" }, "aid"],
      [{ aid }, "referee_email"],
      [{ aid, referee_email: "nope" }, "referee_email"],
      [{ aid, referee_email: "a@example.com", amount: -1 }, "amount"],
      [{ aid, referee_email: "a@example.com", currency: "euro" }, "currency"],
      [{ aid, referee_email: "a@example.com", refferer: 1 }, "refferer"],
    ];
    for (const [body, field] of cases) {
      const res = await convert(space, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body, JSON.stringify(body)).toMatchObject({ field });
    }
  });

  it.runIf(isPostgres())("20 concurrent conversions of one order → one completion", async () => {
    const { space, aid } = await clickedLink();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => convert(space, { aid, referee_email: "zed@example.com", order_id: "same" })),
    );
    const statuses = results.map((r) => r.status);
    expect(
      statuses.every((s) => s === 200 || s === 409),
      String(statuses),
    ).toBe(true);
    expect(new Set(results.filter((r) => r.status === 200).map((r) => r.body.referral.id)).size).toBe(1);
    expect(await eventsOf(space, "referral.completed")).toHaveLength(1);
  });
});
