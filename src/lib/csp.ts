/**
 * Content-Security-Policy for the HTML this Worker serves. Inline <script> and <style> bodies are
 * allowed by their SHA-256 (CSP Level 2 hash sources), never by 'unsafe-inline': a page's policy
 * admits exactly the code it ships, so markup injected into it could run nothing.
 */

/** `'sha256-…'` for an inline script or style body, byte for byte as it appears in the page. */
export async function hashSource(content: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(content)));
  return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
}

export type Directives = Readonly<Record<string, readonly string[]>>;

export const serializePolicy = (directives: Directives): string =>
  Object.entries(directives)
    .map(([name, sources]) => [name, ...sources].join(" "))
    .join("; ");

/** What every document starts from: nothing loads, no <base>, no form posts, no framing. */
export const DOCUMENT_BASE: Directives = {
  "default-src": ["'none'"],
  "base-uri": ["'none'"],
  "form-action": ["'none'"],
  "frame-ancestors": ["'none'"],
};
