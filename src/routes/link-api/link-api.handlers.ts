import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import { referralUrlPrefix } from "../../appspaces/settings";
import { PG_UNIQUE_VIOLATION, pgErrorCode } from "../../db/errors";
import * as repo from "../../db/link-api";
import * as privacy from "../../db/privacy";
import { badRequest, notFound } from "../../lib/errors";
import { canonicalEmail, normalizeEmail } from "../../link-api/email-address";
import { httpsHost, type RewardReceiver } from "../../link-api/promotions";
import { generateLinkCode, normalizeCode } from "../../referrals/code";
import { forgetLink } from "../../services/link-snapshots";
import type { AppEnv } from "../../types";
import type * as routes from "./link-api.routes";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

const CODE_ATTEMPTS = 5;

/** `true` or `{ granted: true, … }`: the consent's text version, or null when it wasn't given. */
function grantedConsent(consent: boolean | { granted: boolean; text_version?: string } | undefined) {
  if (consent === true) return { textVersion: null };
  if (typeof consent === "object" && consent.granted) return { textVersion: consent.text_version ?? null };
  return null;
}

export const createLink: Handler<typeof routes.createLink> = async (c) => {
  const body = c.req.valid("json");
  const consent = grantedConsent(body.consent);
  if (!consent) throw badRequest("Consent is required", { field: "consent" });
  if (body.target_url !== undefined && httpsHost(body.target_url) === null) {
    throw badRequest("target_url: must be an https URL", { field: "target_url" });
  }
  const { appspace, keyId } = c.var.caller;
  const prefix = referralUrlPrefix(appspace.domains);
  const email = normalizeEmail(body.email);
  for (let attempt = 0; attempt < CODE_ATTEMPTS; attempt++) {
    let result: repo.CreateLinkResult;
    try {
      result = await repo.createLink(c.var.db, {
        appspaceId: appspace.id,
        promotionId: body.promotion_id,
        email,
        emailCanonical: canonicalEmail(email),
        name: body.name ?? null,
        externalUserId: body.external_user_id ?? null,
        userMetadata: null,
        locale: body.locale ?? null,
        code: generateLinkCode(),
        rewardReceiver: body.reward_receiver ?? null,
        targetUrl: body.target_url ?? null,
        targetHost: body.target_url === undefined ? null : httpsHost(body.target_url),
        productId: body.product_id ?? null,
        linkMetadata: body.metadata ?? null,
        consentTextVersion: consent.textVersion,
        consentSource: `api:links key:${keyId}`,
        sendEmail: body.send_email,
        urlPrefix: prefix,
      });
    } catch (error) {
      // The drawn code is taken by another link: draw again (the user, if new, was rolled back too).
      if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) continue;
      throw error;
    }
    if (result.kind === "promotion_inactive") throw notFound("Promotion not found or inactive");
    if (result.kind === "target_not_allowed") {
      const host = httpsHost(body.target_url ?? "");
      throw badRequest(`target_url: host ${host} is not in the promotion's allowed_hosts`, { field: "target_url" });
    }
    const { user, link, emailId } = result;
    return c.json(
      {
        user: { id: user.id, email: user.email, created: user.created },
        link: { code: link.code, url: prefix ? prefix + link.code : null, created: link.created },
        promotion_id: link.promotion_id,
        reward_receiver: link.reward_receiver as RewardReceiver,
        target_url: link.target_url,
        email: { status: emailId ? ("queued" as const) : ("skipped" as const) },
      },
      link.created ? 201 : 200,
    );
  }
  throw new Error(`could not allocate a unique link code in ${CODE_ATTEMPTS} attempts`);
};

export const getLink: Handler<typeof routes.getLink> = async (c) => {
  const { appspace } = c.var.caller;
  const row = await repo.findLinkDetail(c.var.db, appspace.id, normalizeCode(c.req.valid("param").code));
  if (!row) throw notFound("Link not found");
  const prefix = referralUrlPrefix(appspace.domains);
  const { code, ...rest } = row;
  return c.json(
    { code, url: prefix ? prefix + code : null, ...rest, reward_receiver: rest.reward_receiver as RewardReceiver },
    200,
  );
};

const userView = (u: repo.UserRow) => u;

export const getUser: Handler<typeof routes.getUser> = async (c) => {
  const row = await repo.findUser(c.var.db, c.var.caller.appspace.id, { id: c.req.valid("param").id });
  if (!row) throw notFound("User not found");
  return c.json(userView(row), 200);
};

export const findUserByEmail: Handler<typeof routes.findUserByEmail> = async (c) => {
  const email = normalizeEmail(c.req.valid("query").email);
  const row = await repo.findUser(c.var.db, c.var.caller.appspace.id, { email });
  if (!row) throw notFound("User not found");
  return c.json(userView(row), 200);
};

export const exportUser: Handler<typeof routes.exportUser> = async (c) => {
  const { id } = c.req.valid("param");
  const appspaceId = c.var.caller.appspace.id;
  const [user, held] = await Promise.all([
    repo.findUser(c.var.db, appspaceId, { id }),
    privacy.exportUser(c.var.db, appspaceId, id),
  ]);
  if (!user || !held) throw notFound("User not found");
  return c.json({ user: userView(user), ...held }, 200);
};

export const deleteUser: Handler<typeof routes.deleteUser> = async (c) => {
  const erased = await privacy.eraseUser(c.var.db, c.var.caller.appspace.id, c.req.valid("param").id);
  if (!erased) throw notFound("User not found");
  // The edge forgets their links (and the referrals naming them) here and in KV; other isolates'
  // memory copies expire within the cache's freshness window (src/services/edge-cache.ts).
  await Promise.all(erased.codes.map((code) => forgetLink({ kv: c.env.LINKS }, code)));
  return c.body(null, 204);
};
