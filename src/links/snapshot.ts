import { readSettings, type Settings } from "../appspaces/settings";
import type { Db } from "../db/client";
import { findAppspaceByHost, findLink } from "../db/links";
import { type CacheDeps, readThrough } from "./cache";
import type { AppRouting, LinkSnapshot } from "./types";

export function appRouting(settings: Settings): AppRouting {
  return {
    iosAppStoreUrl: settings.ios_app_store_url,
    androidPackage: settings.android_package,
    webFallbackUrl: settings.web_fallback_url,
    ogTitle: settings.og_title,
    ogDescription: settings.og_description,
    ogImageUrl: settings.og_image_url,
  };
}

/** The link behind /ref/:code, from the edge caches (no database round trip when warm). */
export function linkSnapshot(db: Db, deps: CacheDeps, code: string): Promise<LinkSnapshot | null> {
  return readThrough<LinkSnapshot>(`link:${code}`, deps, async ({ background }) => {
    const row = await findLink(db, code, { background });
    if (!row) return null;
    return {
      code: row.code,
      appspaceId: row.appspace_id,
      status: row.status,
      expiresAt: Number(row.expires_at_ms),
      referrerName: row.referrer_name,
      domains: row.domains,
      app: appRouting(readSettings(row.settings)),
    };
  });
}

export interface HostAppspace {
  appspaceId: string;
  settings: Settings;
}

/** The appspace that owns a link domain (unknown codes' fallback, /.well-known files). */
export function hostAppspace(db: Db, deps: CacheDeps, host: string): Promise<HostAppspace | null> {
  return readThrough<HostAppspace>(`host:${host.toLowerCase()}`, deps, async ({ background }) => {
    const row = await findAppspaceByHost(db, host.toLowerCase(), { background });
    return row ? { appspaceId: row.id, settings: readSettings(row.settings) } : null;
  });
}
