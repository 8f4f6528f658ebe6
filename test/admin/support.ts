import { expect } from "vitest";
import type { ApiResponse } from "../support/api";

/** Shapes of the admin API's responses, as the contract describes them. */

export interface Settings {
  referrals_enabled: boolean;
  expiration_days: number;
  max_referrals_per_user: number | null;
  milestones: string[];
  reward_milestone: string;
  reward_type: string;
  reward_value: string | null;
  referee_reward_type: string;
  referee_reward_value: string | null;
  require_user_hash: boolean;
  ios_app_store_url: string | null;
  android_package: string | null;
  web_fallback_url: string | null;
  og_title: string | null;
  og_description: string | null;
  og_image_url: string | null;
  match_window_minutes: number;
  match_strategy: string;
  match_min_confidence: number;
  ios_pasteboard_claim: boolean;
  apple_team_id: string | null;
  ios_bundle_ids: string[];
  android_sha256_cert_fingerprints: string[];
}

export interface AppspaceBody {
  id: string;
  name: string;
  domains: string[];
  settings: Settings;
  created_at: string;
  updated_at: string;
}

export interface CreatedAppspaceBody extends AppspaceBody {
  publishable_key: string;
  secret_key: string;
  identity_secret: string;
}

export interface KeyInfo {
  id: string;
  type: "publishable" | "secret";
  start: string;
  created_at: string;
  revoked_at: string | null;
}

export interface CreatedKeyBody {
  id: string;
  key: string;
  type: "publishable" | "secret";
}

export interface ErrorBody {
  error: string;
  field?: string;
}

export const DEFAULT_SETTINGS: Settings = {
  referrals_enabled: true,
  expiration_days: 30,
  max_referrals_per_user: null,
  milestones: [],
  reward_milestone: "completed",
  reward_type: "none",
  reward_value: null,
  referee_reward_type: "none",
  referee_reward_value: null,
  require_user_hash: false,
  ios_app_store_url: null,
  android_package: null,
  web_fallback_url: null,
  og_title: null,
  og_description: null,
  og_image_url: null,
  ios_pasteboard_claim: false,
  match_window_minutes: 120,
  match_strategy: "strict",
  match_min_confidence: 0.85,
  apple_team_id: null,
  ios_bundle_ids: [],
  android_sha256_cert_fingerprints: [],
};

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const PUBLISHABLE_KEY = /^pk_[A-Za-z0-9]{32,}$/;
export const SECRET_KEY = /^sk_[A-Za-z0-9]{32,}$/;
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export const uniqueName = (label = "admin") => `${label}-${crypto.randomUUID()}`;

/**
 * A 400 whose `error` message names the offending field and whose body carries `field`
 * (by default exactly that field; pass a RegExp when only a prefix is meaningful).
 */
export function expectBadRequest(
  res: ApiResponse<unknown>,
  field: string,
  fieldProperty: string | RegExp = field,
): void {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  const body = res.body as ErrorBody;
  expect(typeof body.error).toBe("string");
  expect(body.error).toContain(field);
  if (typeof fieldProperty === "string") expect(body.field).toBe(fieldProperty);
  else expect(body.field).toMatch(fieldProperty);
}

export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
