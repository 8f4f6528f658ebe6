import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import { DEFAULT_SETTINGS, readSettings } from "../../appspaces/settings";
import { forgetAppspace, forgetKey } from "../../auth/caller-cache";
import { generateIdentitySecret } from "../../auth/identity";
import { generateKey, hashKey, type KeyType, keyStart } from "../../auth/keys";
import { loadConfig } from "../../config";
import * as repo from "../../db/appspaces";
import { ApiError, badRequest, notFound } from "../../lib/errors";
import { pgTimestampToIso } from "../../lib/time";
import { publishAppspaceChange } from "../../services/link-snapshots";
import type { AppEnv } from "../../types";
import type * as routes from "./admin.routes";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

const view = (a: repo.AppspaceRow) => ({
  id: a.id,
  name: a.name,
  domains: a.domains,
  settings: readSettings(a.settings),
  created_at: pgTimestampToIso(a.createdAt),
  updated_at: pgTimestampToIso(a.updatedAt),
});

const keyView = (k: repo.KeyRow) => ({
  id: k.id,
  type: k.type,
  start: k.start,
  created_at: pgTimestampToIso(k.createdAt),
  revoked_at: k.revokedAt ? pgTimestampToIso(k.revokedAt) : null,
});

async function newKey(type: KeyType) {
  const key = generateKey(type);
  return { key, stored: { type, hash: await hashKey(key), start: keyStart(key) } };
}

/**
 * The operator's shared link hosts (SHARED_LINK_HOSTS) serve every appspace's codes: no appspace
 * may hold one, or its association files and fallback would answer for every tenant there.
 */
function refuseSharedHosts(c: Context<AppEnv>, domains: readonly string[] | undefined) {
  const shared = loadConfig(c.env).sharedLinkHosts;
  const domain = domains?.find((d) => shared.has(d));
  if (domain) {
    throw new ApiError(409, `Domain ${domain} is a shared link host of this deployment (SHARED_LINK_HOSTS)`, {
      code: "domain_taken",
      field: "domains",
      domain,
    });
  }
}

export const createAppspace: Handler<typeof routes.createAppspace> = async (c) => {
  const body = c.req.valid("json");
  refuseSharedHosts(c, body.domains);
  const [pk, sk] = await Promise.all([newKey("publishable"), newKey("secret")]);
  const identitySecret = generateIdentitySecret();
  const row = await repo.createAppspace(c.var.db, {
    name: body.name,
    domains: body.domains ?? [],
    settings: body.settings ?? DEFAULT_SETTINGS,
    identitySecret,
    keys: [pk.stored, sk.stored],
  });
  await publishAppspaceChange(c.env.LINKS, row);
  return c.json({ ...view(row), publishable_key: pk.key, secret_key: sk.key, identity_secret: identitySecret }, 201);
};

export const listAppspaces: Handler<typeof routes.listAppspaces> = async (c) => {
  const rows = await repo.listAppspaces(c.var.db, c.req.valid("query").limit);
  return c.json({ appspaces: rows.map(view) }, 200);
};

export const getAppspace: Handler<typeof routes.getAppspace> = async (c) => {
  const row = await repo.getAppspace(c.var.db, c.req.valid("param").id);
  if (!row) throw notFound("Appspace not found");
  return c.json(view(row), 200);
};

export const updateAppspace: Handler<typeof routes.updateAppspace> = async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  refuseSharedHosts(c, body.domains);
  if (body.settings?.require_user_hash === true) {
    const current = await repo.getAppspace(c.var.db, id);
    if (current && !current.hasIdentitySecret) {
      throw badRequest(
        "settings.require_user_hash: generate an identity secret first (POST /v1/admin/appspaces/{id}/identity-secret)",
        { field: "settings.require_user_hash" },
      );
    }
  }
  // The domains it had, so the edge stops serving the ones it loses.
  const before = body.domains ? await repo.getAppspace(c.var.db, id) : undefined;
  const row = await repo.updateAppspace(c.var.db, id, {
    name: body.name,
    domains: body.domains,
    settingsPatch: body.settings,
  });
  if (!row) throw notFound("Appspace not found");
  forgetAppspace(id);
  await publishAppspaceChange(c.env.LINKS, row, before?.domains);
  return c.json(view(row), 200);
};

export const createKey: Handler<typeof routes.createKey> = async (c) => {
  const { id } = c.req.valid("param");
  const { type } = c.req.valid("json");
  const { key, stored } = await newKey(type);
  const row = await repo.createKey(c.var.db, id, stored);
  if (!row) throw notFound("Appspace not found");
  return c.json({ id: row.id, key, type }, 201);
};

export const listKeys: Handler<typeof routes.listKeys> = async (c) => {
  const { id } = c.req.valid("param");
  const [appspace, keys] = await Promise.all([repo.getAppspace(c.var.db, id), repo.listKeys(c.var.db, id)]);
  if (!appspace) throw notFound("Appspace not found");
  return c.json({ keys: keys.map(keyView) }, 200);
};

export const revokeKey: Handler<typeof routes.revokeKey> = async (c) => {
  const row = await repo.revokeKey(c.var.db, c.req.valid("param").id);
  if (!row) throw notFound("API key not found");
  forgetKey(row.keyHash);
  return c.json({ id: row.id, revoked_at: row.revokedAt ? pgTimestampToIso(row.revokedAt) : null }, 200);
};

export const rotateIdentitySecret: Handler<typeof routes.rotateIdentitySecret> = async (c) => {
  const { id } = c.req.valid("param");
  const secret = generateIdentitySecret();
  if (!(await repo.setIdentitySecret(c.var.db, id, secret))) throw notFound("Appspace not found");
  forgetAppspace(id);
  return c.json({ identity_secret: secret }, 201);
};
