import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { KeyType } from "../auth/keys";
import type { Db } from "./client";
import { apiKeys, appspaces } from "./schema";

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

/** Creates the appspace and its first keys in one transaction (one round trip). */
export async function createAppspace(
  db: Db,
  p: { name: string; domains: string[]; settings: Record<string, unknown>; keys: NewKey[] },
): Promise<AppspaceRow> {
  const id = crypto.randomUUID();
  const [created] = await db.batch([
    db
      .insert(appspaces)
      .values({ id, name: p.name, domains: p.domains, settings: p.settings })
      .returning(appspaceColumns),
    db.insert(apiKeys).values(p.keys.map((k) => ({ appspaceId: id, type: k.type, keyHash: k.hash, start: k.start }))),
  ]);
  const row = created[0];
  if (!row) throw new Error("appspace insert returned no row");
  return row;
}

export async function listAppspaces(db: Db, limit: number): Promise<AppspaceRow[]> {
  return db.select(appspaceColumns).from(appspaces).orderBy(desc(appspaces.createdAt)).limit(limit);
}

export async function getAppspace(db: Db, id: string): Promise<AppspaceRow | undefined> {
  const [row] = await db.select(appspaceColumns).from(appspaces).where(eq(appspaces.id, id));
  return row;
}

/**
 * Partial update in one statement: `settings || patch` merges only the keys given (each already
 * validated), so concurrent PATCHes of different settings don't overwrite each other.
 */
export async function updateAppspace(
  db: Db,
  id: string,
  p: { name?: string; domains?: string[]; settingsPatch?: Record<string, unknown> },
): Promise<AppspaceRow | undefined> {
  const [row] = await db
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
  return row;
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
  appspace: Pick<AppspaceRow, "id" | "name" | "domains" | "settings">;
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
