import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, sql } from "../support/api";
import { createLink, linkApiSpace, uniqueEmail } from "../support/link-api";
import { UA, visit } from "../support/links";

async function aidFor(domain: string, code: string) {
  const res = await visit(`https://${domain}/ref/${code}`, { ua: UA.desktop });
  return new URL(res.headers.get("location") ?? "").searchParams.get("aid") ?? "";
}

/** Ann refers Bob through her link; Carol refers Ann through hers. */
async function world() {
  const fixture = await linkApiSpace(
    { reward_type: "credit", reward_value: "10" },
    { web_fallback_url: "https://x.example/" },
  );
  const { space, domain, promotionId } = fixture;
  const ann = uniqueEmail("ann");
  const annLink = await createLink(space, {
    email: ann,
    promotion_id: promotionId,
    name: "Ann Example",
    external_user_id: "crm-ann",
    metadata: { plan: "gold" },
    consent: { granted: true, text_version: "v1" },
  });
  const carolLink = await createLink(space, { email: uniqueEmail("carol"), promotion_id: promotionId, name: "Carol" });
  const bob = await call("POST", "/v1/api/conversions", {
    key: space.sk,
    body: { aid: await aidFor(domain, annLink.body.link.code), referee_email: uniqueEmail("bob") },
  });
  expect(bob.status).toBe(200);
  const annReferred = await call("POST", "/v1/api/conversions", {
    key: space.sk,
    body: { aid: await aidFor(domain, carolLink.body.link.code), referee_email: ann.toUpperCase() },
  });
  expect(annReferred.status).toBe(200);
  return { ...fixture, ann, annId: annLink.body.user.id, annCode: annLink.body.link.code };
}

describe("privacy", () => {
  it("export holds everything about the user", async () => {
    const { space, ann, annId, annCode } = await world();
    const res = await call<Record<string, Record<string, unknown>>>("GET", `/v1/api/users/${annId}/export`, {
      key: space.sk,
    });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: annId, email: ann, name: "Ann Example", external_user_id: "crm-ann" });
    expect(res.body.consents).toEqual([
      { granted_at: expect.any(String), text_version: "v1", source: expect.any(String) },
    ]);
    expect(res.body.links).toEqual([expect.objectContaining({ code: annCode, clicks: expect.any(Number) })]);
    expect(res.body.referrals_as_referrer).toEqual([
      expect.objectContaining({ link_code: annCode, status: "completed" }),
    ]);
    expect(res.body.referrals_as_referee).toEqual([
      expect.objectContaining({ referred_user_id: ann, status: "completed" }),
    ]);
    expect(res.body.emails).toEqual([expect.objectContaining({ to: ann, link_code: annCode })]);
    expect((await call("GET", `/v1/api/users/${crypto.randomUUID()}/export`, { key: space.sk })).status).toBe(404);
  });

  it("erasure removes the personal data everywhere and keeps the counts", async () => {
    const { space, domain, promotionId, ann, annId, annCode } = await world();
    await visit(`https://${domain}/ref/${annCode}`, { ua: UA.slackbot }); // cached at the edge
    const boardBefore = await call("GET", "/v1/api/referral/leaderboard", { key: space.sk });

    const erased = await call("DELETE", `/v1/api/users/${annId}`, { key: space.sk });
    expect(erased.status).toBe(204);
    expect((await call("GET", `/v1/api/users/${annId}`, { key: space.sk })).status).toBe(404);
    expect((await call("GET", `/v1/api/users?email=${encodeURIComponent(ann)}`, { key: space.sk })).status).toBe(404);
    expect((await call("DELETE", `/v1/api/users/${annId}`, { key: space.sk })).status).toBe(404);

    // No table holds her email, name, external id or metadata any more.
    for (const needle of [ann, "Ann Example", "crm-ann", "gold"]) {
      const hits = await sql(
        `select 'users' as t from users where appspace_id = $1 and (email = $2 or name = $2 or external_user_id = $2)
         union all select 'referrals' from referrals where appspace_id = $1
           and ($2 in (referred_user_id, coalesce(referrer_name, ''), coalesce(referred_user_name, '')) or metadata::text like '%' || $2 || '%')
         union all select 'emails' from emails where appspace_id = $1 and (to_address = $2 or coalesce(text, '') like '%' || $2 || '%')
         union all select 'events' from events where appspace_id = $1 and data::text like '%' || $2 || '%'
         union all select 'stats' from referrer_stats where appspace_id = $1 and referrer_name = $2`,
        [space.id, needle],
      );
      expect(hits, needle).toEqual([]);
    }
    // The leaderboard's counts are what they were (names aside).
    const boardAfter = await call<{ leaderboard: Record<string, unknown>[] }>("GET", "/v1/api/referral/leaderboard", {
      key: space.sk,
    });
    const counts = (b: { leaderboard: Record<string, unknown>[] }) =>
      b.leaderboard.map(({ referrer_id, total, completed, total_reward_value }) => ({
        referrer_id,
        total,
        completed,
        total_reward_value,
      }));
    expect(counts(boardAfter.body)).toEqual(counts(boardBefore.body as { leaderboard: Record<string, unknown>[] }));

    // Her link stops resolving, at the edge too.
    expect(await env.LINKS.get(`link:${annCode}`)).toBeNull();
    const res = await visit(`https://${domain}/ref/${annCode}`, { ua: UA.desktop });
    expect(res.headers.get("location")).toBe("https://x.example/");

    // The same email later signs up a new user.
    const again = await createLink(space, { email: ann, promotion_id: promotionId });
    expect(again.status).toBe(201);
    expect(again.body.user).toMatchObject({ created: true });
    expect(again.body.user.id).not.toBe(annId);
  });
});
