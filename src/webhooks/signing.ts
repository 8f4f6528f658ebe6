import { Webhook } from "standardwebhooks";

/** `whsec_` + base64 of 32 random bytes (Standard Webhooks' secret format). */
export function generateSigningSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

export interface SignedHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/**
 * Standard Webhooks headers, signed at send time: each attempt gets a fresh timestamp, so
 * receivers can reject stale or replayed requests. While a rotated-out secret is still valid
 * both signatures are sent (space-separated), and receivers holding either one verify.
 */
export function signWebhook(
  secrets: readonly string[],
  id: string,
  body: string,
  now: Date = new Date(),
): SignedHeaders {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(id, now, body));
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": signatures.join(" "),
  };
}
