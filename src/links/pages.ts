/**
 * The few HTML pages /ref/:code serves. Self-contained (no external requests), small, and every
 * interpolated value is escaped; URLs in them come from stored settings, never from the request.
 */
const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);

/** Safe inside a <script> string literal: JSON, with "<" escaped so "</script>" can't close it. */
const jsString = (value: string) => JSON.stringify(value).replace(/</g, "\\u003c");

const STYLE =
  "body{font:16px/1.5 system-ui,-apple-system,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#111}" +
  "a.button{display:block;text-align:center;padding:.8rem;margin:.6rem 0;border-radius:.6rem;background:#111;color:#fff;text-decoration:none}" +
  "a.secondary{background:#eee;color:#111}";

function page(title: string, head: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>${head}<style>${STYLE}</style></head><body>${body}</body></html>`;
}

/** `{{referrer_name}}` in preview texts becomes the referrer's display name. */
export function fillPlaceholders(text: string, referrerName: string | null): string {
  return text.replace(/\{\{\s*referrer_name\s*\}\}/g, referrerName ?? "A friend");
}

export function previewPage(p: { title: string; description: string; imageUrl: string | null; url: string }): string {
  const meta = [
    ["og:type", "website"],
    ["og:title", p.title],
    ["og:description", p.description],
    ["og:url", p.url],
    ...(p.imageUrl ? [["og:image", p.imageUrl]] : []),
  ]
    .map(([property, content]) => `<meta property="${property}" content="${escapeHtml(content ?? "")}">`)
    .join("");
  const twitter = [
    ["twitter:card", p.imageUrl ? "summary_large_image" : "summary"],
    ["twitter:title", p.title],
    ["twitter:description", p.description],
    ...(p.imageUrl ? [["twitter:image", p.imageUrl]] : []),
  ]
    .map(([name, content]) => `<meta name="${name}" content="${escapeHtml(content ?? "")}">`)
    .join("");
  const description = `<meta name="description" content="${escapeHtml(p.description)}">`;
  return page(
    p.title,
    description + meta + twitter,
    `<h1>${escapeHtml(p.title)}</h1><p>${escapeHtml(p.description)}</p>`,
  );
}

/**
 * iOS: records the device signals the app can report again after install (timezone, language,
 * screen size in CSS px = points), by continuing through /ref/:code/continue, which stores them
 * and redirects to the App Store. Without JavaScript the <noscript> refresh takes the same path
 * without signals, so the record keeps what the headers tell.
 */
export function iosPage(p: { continueUrl: string }): string {
  const script = `(function(){try{var q=new URLSearchParams();var o=Intl.DateTimeFormat().resolvedOptions();q.set("tz",o.timeZone||"");q.set("l",navigator.language||"");q.set("w",String(screen.width));q.set("h",String(screen.height));location.replace(${jsString(p.continueUrl)}+"&"+q.toString());}catch(e){location.replace(${jsString(p.continueUrl)});}})();`;
  const href = escapeHtml(p.continueUrl);
  return page(
    "Opening the App Store…",
    `<noscript><meta http-equiv="refresh" content="0;url=${href}"></noscript>`,
    `<p>Opening the App Store…</p><a class="button" href="${href}">Continue to the App Store</a><script>${script}</script>`,
  );
}

/**
 * In-app browsers (Instagram, Facebook, TikTok, …) don't hand links to installed apps. Offer to
 * open the link in the system browser, where universal links / app links work, and let the
 * visitor go on to the store from here.
 */
export function interstitialPage(p: { os: string; openUrl: string | null; storeUrl: string | null; title: string }) {
  const open = p.openUrl
    ? `<a class="button" href="${escapeHtml(p.openUrl)}">Open in ${p.os === "ios" ? "Safari" : "your browser"}</a>`
    : `<p>Tap ••• and choose “Open in ${p.os === "ios" ? "Safari" : "browser"}” to continue.</p>`;
  const store = p.storeUrl ? `<a class="button secondary" href="${escapeHtml(p.storeUrl)}">Get the app</a>` : "";
  return page(p.title, "", `<h1>${escapeHtml(p.title)}</h1>${open}${store}`);
}

export function notFoundPage(): string {
  return page("Link not found", "", "<h1>This link doesn’t exist or has expired.</h1>");
}
