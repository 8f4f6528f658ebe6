import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { KeyType } from "../auth/keys";
import { ApiError } from "../lib/errors";
import type { Db } from "./client";
import { PG_UNIQUE_VIOLATION, pgErrorCode } from "./errors";
import { apiKeys, appspaceDomains, appspaces } from "./schema";

/** Appspace, API key and authentication data access. */

const appspaceColumns = {
  id: appspaces.id,
  name: appspaces.name,
  domains: appspaces.domains,
  settings: appspaces.settings,
  createdAt: appspaces.createdAt,
  updatedAt: appspaces.updatedAt,
};

export type AppspaceRow = {
  id: string;
  name: string;
  domains: string[];
  settings: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
};

export interface NewKey {
  type: KeyType;
  hash: string;
  start: string;
}

/** A domain another appspace holds: 409 naming it (appspace_domains' primary key said no). */
export class DomainTaken extends ApiError {
  constructor(readonly domain: string) {
    super(409, `Domain ${domain} is already used by another appspace`, {
      code: "domain_taken",
      field: "domains",
      domain,
    });
  }
}

/** After a unique violation on appspace_domains: which of `domains` someone else holds. */
async function takenDomain(db: Db, appspaceId: string, domains: readonly string[]): Promise<string | undefined> {
  const result = await db.execute(sql`
    select domain from appspace_domains
    where domain in (select jsonb_array_elements_text(${JSON.stringify(domains)}::jsonb))
      and appspace_id <> ${appspaceId}::uuid
    order by domain limit 1`);
  return (result as unknown as { rows: { domain: string }[] }).rows[0]?.domain;
}

async function rethrowDomainConflict(
  db: Db,
  error: unknown,
  appspaceId: string,
  domains: readonly string[],
): Promise<never> {
  if (pgErrorCode(error) === PG_UNIQUE_VIOLATION && domains.length) {
    const domain = await takenDomain(db, appspaceId, domains);
    if (domain) throw new DomainTaken(domain);
  }
  throw error;
}

const domainRows = (appspaceId: string, domains: readonly string[]) =>
  sql`select d, ${appspaceId}::uuid from jsonb_array_elements_text(${JSON.stringify(domains)}::jsonb) as d`;

/**
 * Creates the appspace, its domains and first keys in one transaction (one round trip). A domain
 * held by another appspace fails the whole batch: `DomainTaken` (409).
 */
export async function createAppspace(
  db: Db,
  p: { name: string; domains: string[]; settings: Record<string, unknown>; identitySecret: string; keys: NewKey[] },
): Promise<AppspaceRow> {
  const id = crypto.randomUUID();
  try {
    const [created] = await db.batch([
      db
        .insert(appspaces)
        .values({ id, name: p.name, domains: p.domains, settings: p.settings, identitySecret: p.identitySecret })
        .returning(appspaceColumns),
      db.execute(sql`insert into appspace_domains (domain, appspace_id) ${domainRows(id, p.domains)}`),
      db.insert(apiKeys).values(p.keys.map((k) => ({ appspaceId: id, type: k.type, keyHash: k.hash, start: k.start }))),
    ]);
    const row = created[0];
    if (!row) throw new Error("appspace insert returned no row");
    return row;
  } catch (error) {
    return rethrowDomainConflict(db, error, id, p.domains);
  }
}

export async function listAppspaces(db: Db, limit: number): Promise<AppspaceRow[]> {
  return db.select(appspaceColumns).from(appspaces).orderBy(desc(appspaces.createdAt)).limit(limit);
}

export async function getAppspace(
  db: Db,
  id: string,
): Promise<(AppspaceRow & { hasIdentitySecret: boolean }) | undefined> {
  const [row] = await db
    .select({ ...appspaceColumns, hasIdentitySecret: sql<boolean>`${appspaces.identitySecret} is not null` })
    .from(appspaces)
    .where(eq(appspaces.id, id));
  return row;
}

/**
 * Partial update in one transaction: `settings || patch` merges only the keys given (each already
 * validated), so concurrent PATCHes of different settings don't overwrite each other. New
 * domains replace the appspace's rows in appspace_domains in the same batch (`DomainTaken` if
 * another appspace holds one).
 */
export async function updateAppspace(
  db: Db,
  id: string,
  p: { name?: string; domains?: string[]; settingsPatch?: Record<string, unknown> },
): Promise<AppspaceRow | undefined> {
  const update = db
    .update(appspaces)
    .set({
      ...(p.name !== undefined ? { name: p.name } : {}),
      ...(p.domains !== undefined ? { domains: p.domains } : {}),
      ...(p.settingsPatch !== undefined
        ? { settings: sql`${appspaces.settings} || ${JSON.stringify(p.settingsPatch)}::jsonb` }
        : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(appspaces.id, id))
    .returning(appspaceColumns);
  const domains = p.domains;
  if (domains === undefined) {
    const [row] = await update;
    return row;
  }
  try {
    const [rows] = await db.batch([
      update,
      db.delete(appspaceDomains).where(eq(appspaceDomains.appspaceId, id)),
      db.execute(sql`insert into appspace_domains (domain, appspace_id)
        ${domainRows(id, domains)} where exists (select 1 from appspaces where id = ${id}::uuid)`),
    ]);
    return rows[0];
  } catch (error) {
    return rethrowDomainConflict(db, error, id, domains);
  }
}

/** A new identity secret (rotation: the old one stops verifying at once); undefined if no appspace. */
export async function setIdentitySecret(db: Db, id: string, secret: string): Promise<boolean> {
  const rows = await db
    .update(appspaces)
    .set({ identitySecret: secret, updatedAt: sql`now()` })
    .where(eq(appspaces.id, id))
    .returning({ id: appspaces.id });
  return rows.length > 0;
}

export interface KeyRow {
  id: string;
  type: KeyType;
  start: string;
  createdAt: string;
  revokedAt: string | null;
}

const keyColumns = {
  id: apiKeys.id,
  type: apiKeys.type,
  start: apiKeys.start,
  createdAt: apiKeys.createdAt,
  revokedAt: apiKeys.revokedAt,
};

/** Adds a key to an existing appspace; undefined when the appspace does not exist. */
export async function createKey(db: Db, appspaceId: string, key: NewKey): Promise<KeyRow | undefined> {
  const result = await db.execute(sql`
    insert into api_keys (appspace_id, type, key_hash, start)
    select id, ${key.type}::text, ${key.hash}::text, ${key.start}::text from appspaces where id = ${appspaceId}::uuid
    returning id, type, start, created_at as "createdAt", revoked_at as "revokedAt"`);
  return (result as unknown as { rows: KeyRow[] }).rows[0];
}

export async function listKeys(db: Db, appspaceId: string): Promise<KeyRow[]> {
  return db.select(keyColumns).from(apiKeys).where(eq(apiKeys.appspaceId, appspaceId)).orderBy(apiKeys.createdAt);
}

/** Revokes a key (idempotent). Returns its hash so caches can drop it, or undefined if unknown. */
export async function revokeKey(
  db: Db,
  id: string,
): Promise<{ id: string; keyHash: string; revokedAt: string | null } | undefined> {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(eq(apiKeys.id, id))
    .returning({ id: apiKeys.id, keyHash: apiKeys.keyHash, revokedAt: apiKeys.revokedAt });
  return row;
}

export interface KeyAuthRow {
  keyId: string;
  keyType: KeyType;
  keyHash: string;
  appspace: Pick<AppspaceRow, "id" | "name" | "domains" | "settings"> & { identitySecret: string | null };
}

/** The active key with this hash and its appspace, in one indexed read. */
export async function findActiveKey(db: Db, keyHash: string): Promise<KeyAuthRow | undefined> {
  const [row] = await db
    .select({
      keyId: apiKeys.id,
      keyType: apiKeys.type,
      keyHash: apiKeys.keyHash,
      id: appspaces.id,
      name: appspaces.name,
      domains: appspaces.domains,
      settings: appspaces.settings,
      identitySecret: appspaces.identitySecret,
    })
    .from(apiKeys)
    .innerJoin(appspaces, eq(appspaces.id, apiKeys.appspaceId))
    .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)));
  if (!row) return undefined;
  const { keyId, keyType, keyHash: hash, ...appspace } = row;
  return { keyId, keyType, keyHash: hash, appspace };
}

export async function ping(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}
