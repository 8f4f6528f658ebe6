import { readSettings, type Settings } from "../appspaces/settings";
import type { Db } from "../db/client";
import { findAppspaceByHost, findAppspaceEdge, findLink, findPromotionEdge } from "../db/links";
import { log } from "../lib/log";
import type { AppRouting, LinkSnapshot } from "../links/types";
import { type CacheDeps, forget, readThrough, writeThrough } from "./edge-cache";

/**
 * The edge's cached view of links and appspaces, in three kinds of entry so that each changes in
 * one place: `link:<code>` (the referral: status, expiry, referrer name), `appspace:<id>` (its
 * domains and settings, shared by all its codes) and `host:<domain>` (which appspace owns a link
 * domain). An admin change rewrites `appspace:<id>` and drops the `host:` entries it affects
 * (`publishAppspace`), so it is served at once — instead of living on in every code's snapshot.
 */

export function appRouting(settings: Settings): AppRouting {
  return {
    iosAppStoreUrl: settings.ios_app_store_url,
    iosPasteboard: settings.ios_pasteboard_claim,
    androidPackage: settings.android_package,
    webFallbackUrl: settings.web_fallback_url,
    ogTitle: settings.og_title,
    ogDescription: settings.og_description,
    ogImageUrl: settings.og_image_url,
  };
}

/** A referral as the edge caches it (the appspace's part is cached apart). */
interface LinkRecord {
  code: string;
  appspaceId: string;
  status: LinkSnapshot["status"];
  expiresAt: number;
  referrerName: string | null;
  /** Link API links (absent in entries cached before links existed: read as null). */
  promotionId?: string | null;
  targetUrl?: string | null;
}

/** A promotion as the edge caches it (`promotion:<id>`), rewritten when the promotion changes. */
export interface PromotionEdge {
  promotionId: string;
  targetUrl: string;
  appRouting: boolean;
}

export interface AppspaceEdge {
  appspaceId: string;
  /** Link domains, lower case. */
  domains: string[];
  settings: Settings;
}

const appspaceKey = (appspaceId: string) => `appspace:${appspaceId}`;
const hostKey = (host: string) => `host:${host.toLowerCase()}`;
const promotionKey = (promotionId: string) => `promotion:${promotionId}`;
export const linkKey = (code: string) => `link:${code}`;

function promotionEdge(db: Db, deps: CacheDeps, promotionId: string): Promise<PromotionEdge | null> {
  return readThrough<PromotionEdge>(promotionKey(promotionId), deps, async ({ background }) => {
    const row = await findPromotionEdge(db, promotionId, { background });
    return row ? { promotionId, targetUrl: row.target_url, appRouting: row.app_routing } : null;
  });
}

/** An appspace's domains and settings, from the edge caches. */
export function appspaceEdge(db: Db, deps: CacheDeps, appspaceId: string): Promise<AppspaceEdge | null> {
  return readThrough<AppspaceEdge>(appspaceKey(appspaceId), deps, async ({ background }) => {
    const row = await findAppspaceEdge(db, appspaceId, { background });
    return row ? { appspaceId: row.id, domains: row.domains, settings: readSettings(row.settings) } : null;
  });
}

/** The link behind /ref/:code, from the edge caches (no database round trip when warm). */
export async function linkSnapshot(db: Db, deps: CacheDeps, code: string): Promise<LinkSnapshot | null> {
  const record = await readThrough<LinkRecord>(linkKey(code), deps, async ({ background }) => {
    const row = await findLink(db, code, { background });
    if (!row) return null;
    return {
      code: row.code,
      appspaceId: row.appspace_id,
      status: row.status,
      expiresAt: Number(row.expires_at_ms),
      referrerName: row.referrer_name,
      promotionId: row.promotion_id,
      targetUrl: row.target_url,
    };
  });
  if (!record) return null;
  const [space, promotion] = await Promise.all([
    appspaceEdge(db, deps, record.appspaceId),
    record.promotionId ? promotionEdge(db, deps, record.promotionId) : null,
  ]);
  if (!space || (record.promotionId && !promotion)) return null;
  const { code: c, appspaceId, status, expiresAt, referrerName } = record;
  return {
    code: c,
    appspaceId,
    status,
    expiresAt,
    referrerName,
    domains: space.domains,
    app: appRouting(space.settings),
    landing: promotion
      ? { targetUrl: record.targetUrl ?? promotion.targetUrl, appRouting: promotion.appRouting }
      : null,
  };
}

export interface HostAppspace {
  appspaceId: string;
  settings: Settings;
}

/** The appspace that owns a link domain (unknown codes' fallback, /.well-known files). */
export async function hostAppspace(db: Db, deps: CacheDeps, host: string): Promise<HostAppspace | null> {
  const owner = await readThrough<{ appspaceId: string }>(hostKey(host), deps, async ({ background }) => {
    const row = await findAppspaceByHost(db, host.toLowerCase(), { background });
    return row ? { appspaceId: row.id } : null;
  });
  if (!owner) return null;
  const space = await appspaceEdge(db, deps, owner.appspaceId);
  return space ? { appspaceId: space.appspaceId, settings: space.settings } : null;
}

/**
 * After an admin create or update: the appspace's new domains and settings are served by this
 * isolate at once and replace KV's copy; the `host:` entries of every domain it gained or lost
 * are dropped (a lost domain must stop serving its codes, a gained one may be cached as unknown).
 */
export async function publishAppspace(
  deps: Pick<CacheDeps, "kv">,
  space: AppspaceEdge,
  previousDomains: readonly string[] = [],
): Promise<void> {
  const changed = new Set(
    [...space.domains, ...previousDomains].filter((d) => !(space.domains.includes(d) && previousDomains.includes(d))),
  );
  await Promise.all([
    writeThrough(appspaceKey(space.appspaceId), deps, space),
    ...[...changed].map((domain) => forget(hostKey(domain), deps)),
  ]);
}

/**
 * After an appspace change (admin API, dashboard settings): links and app-association files served
 * by this isolate use the new domains and settings at once, and KV's copy is replaced. A failure is
 * logged, not the caller's error: the change is saved, and the edge sees it within a minute anyway.
 */
export async function publishAppspaceChange(
  kv: KVNamespace,
  row: { id: string; domains: string[]; settings: unknown },
  previousDomains?: readonly string[],
): Promise<void> {
  await publishAppspace(
    { kv },
    { appspaceId: row.id, domains: row.domains, settings: readSettings(row.settings) },
    previousDomains,
  ).catch((error: unknown) => log.error("appspace change not published to the edge cache", { error }));
}

/** After a promotion changes: its links land on the new target (and routing) at once. */
export async function publishPromotion(deps: Pick<CacheDeps, "kv">, promotion: PromotionEdge): Promise<void> {
  await writeThrough(promotionKey(promotion.promotionId), deps, promotion);
}

/** After an erasure: the link's cached record goes, so it stops resolving. */
export async function forgetLink(deps: Pick<CacheDeps, "kv">, code: string): Promise<void> {
  await forget(linkKey(code), deps);
}
