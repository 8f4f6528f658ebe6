import type { Route } from "./types";

/** What /ref/:code sends to the click queue, off the response path. */
export interface ClickMessage {
  appspaceId: string;
  code: string;
  clickedAt: string;
  route: Route["kind"];
  token: string | null;
  /** Parsed fully by the consumer (the hot path only classifies what routing needs). */
  userAgent: string | null;
  /** Keyed hash; the raw IP never leaves the request. */
  ipHash: string | null;
  country: string | null;
  city: string | null;
  utm: Partial<Record<"source" | "medium" | "campaign" | "term" | "content", string>>;
  refererHost: string | null;
}

const UTM_KEYS = ["source", "medium", "campaign", "term", "content"] as const;

export function utmParams(url: URL): ClickMessage["utm"] {
  const utm: ClickMessage["utm"] = {};
  for (const key of UTM_KEYS) {
    const value = url.searchParams.get(`utm_${key}`);
    if (value) utm[key] = value.slice(0, 200);
  }
  return utm;
}

export function refererHost(referer: string | undefined): string | null {
  if (!referer) return null;
  try {
    return new URL(referer).hostname.slice(0, 253) || null;
  } catch {
    return null;
  }
}
