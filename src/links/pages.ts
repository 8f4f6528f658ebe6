/**
 * The few HTML pages /ref/:code serves. Self-contained (no external requests), small, and every
 * interpolated value is escaped; URLs in them come from stored settings, never from the request.
 * Each page comes with its Content-Security-Policy: nothing loads, and the one style and script
 * they carry are allowed by hash. So the inline code is a constant (per-request values live in
 * the markup, escaped, and the script reads them from there).
 */
import { DOCUMENT_BASE, hashSource, serializePolicy } from "../lib/csp";

/** A page and the policy (the `Content-Security-Policy` header) it must be served with. */
export interface HtmlPage {
  html: string;
  csp: string;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);

const STYLE =
  "body{font:16px/1.5 system-ui,-apple-system,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#111}" +
  "a.button{display:block;text-align:center;padding:.8rem;margin:.6rem 0;border-radius:.6rem;background:#111;color:#fff;text-decoration:none}" +
  "a.secondary{background:#eee;color:#111}" +
  "button.button{width:100%;font:inherit;border:0;cursor:pointer}";

/**
 * The device signals the app can report again after install (timezone, language, screen size in
 * CSS px = points), as the query string /ref/:code/continue reads: one expression both scripts use.
 */
const SIGNALS =
  'function s(){var q=new URLSearchParams();var o=Intl.DateTimeFormat().resolvedOptions();q.set("tz",o.timeZone||"");q.set("l",navigator.language||"");q.set("w",String(screen.width));q.set("h",String(screen.height));return q.toString();}';

/**
 * The iOS page's script: records the signals by continuing to the link's /continue URL, which it
 * reads from the page's own "Continue" link.
 */
const IOS_SCRIPT = `(function(){${SIGNALS}var u=document.getElementById("continue").getAttribute("href");try{location.replace(u+"&"+s());}catch(e){location.replace(u);}})();`;

/**
 * The iOS page with the pasteboard offer: both buttons carry the signals; "Copy code and get the
 * app" first puts `edgeref-token:<token>` (read from the button) on the pasteboard — a user's
 * explicit tap, as iOS requires — then continues; no automatic redirect.
 */
const PASTEBOARD_SCRIPT = `(function(){${SIGNALS}var c=document.getElementById("continue");var u=c.getAttribute("href")+"&"+s();c.setAttribute("href",u);var b=document.getElementById("copy");b.hidden=false;b.addEventListener("click",function(){var go=function(){location.href=u;};try{navigator.clipboard.writeText("edgeref-token:"+b.getAttribute("data-token")).then(go,go);}catch(e){go();}});})();`;

/**
 * The in-app interstitial's script: its "Get the app" link to /continue (iOS) carries the same
 * signals, so an in-app click can be matched like a Safari one. The link works without it (the
 * record then keeps what the headers tell); a store URL (Android's Play Store link) is left alone.
 */
const STORE_SCRIPT = `(function(){${SIGNALS}var a=document.getElementById("store");if(!a)return;var u=a.getAttribute("href");if(!u||u.charAt(0)!=="/")return;try{a.setAttribute("href",u+"&"+s());}catch(e){}})();`;

// Once per isolate, when the module loads (digest does no I/O).
const [STYLE_HASH, IOS_SCRIPT_HASH, STORE_SCRIPT_HASH, PASTEBOARD_SCRIPT_HASH] = await Promise.all([
  hashSource(STYLE),
  hashSource(IOS_SCRIPT),
  hashSource(STORE_SCRIPT),
  hashSource(PASTEBOARD_SCRIPT),
]);

/** Static pages: the stylesheet, nothing else. */
const PAGE_CSP = serializePolicy({ ...DOCUMENT_BASE, "style-src": [STYLE_HASH] });
/** The iOS page: the stylesheet and its one script. */
const IOS_CSP = serializePolicy({ ...DOCUMENT_BASE, "script-src": [IOS_SCRIPT_HASH], "style-src": [STYLE_HASH] });
/** The iOS page with the pasteboard offer. */
const PASTEBOARD_CSP = serializePolicy({
  ...DOCUMENT_BASE,
  "script-src": [PASTEBOARD_SCRIPT_HASH],
  "style-src": [STYLE_HASH],
});
/** The interstitial: the stylesheet and the store link's script. */
const INTERSTITIAL_CSP = serializePolicy({
  ...DOCUMENT_BASE,
  "script-src": [STORE_SCRIPT_HASH],
  "style-src": [STYLE_HASH],
});

function page(title: string, head: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>${head}<style>${STYLE}</style></head><body>${body}</body></html>`;
}

/** `{{referrer_name}}` in preview texts becomes the referrer's display name. */
export function fillPlaceholders(text: string, referrerName: string | null): string {
  const name = referrerName ?? "A friend";
  // A function replacer: a replacement *string* would expand `$&`, `$\`` and `$'` in the name.
  return text.replace(/\{\{\s*referrer_name\s*\}\}/g, () => name);
}

export function previewPage(p: { title: string; description: string; imageUrl: string | null; url: string }): HtmlPage {
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
  return {
    html: page(
      p.title,
      description + meta + twitter,
      `<h1>${escapeHtml(p.title)}</h1><p>${escapeHtml(p.description)}</p>`,
    ),
    csp: PAGE_CSP,
  };
}

/**
 * iOS: continues through /ref/:code/continue, which stores the device signals IOS_SCRIPT adds and
 * redirects to the App Store. Without JavaScript the <noscript> refresh takes the same path
 * without signals, so the record keeps what the headers tell.
 */
export function iosPage(p: { continueUrl: string; pasteboardToken?: string | null }): HtmlPage {
  const href = escapeHtml(p.continueUrl);
  if (p.pasteboardToken) {
    // No refresh and no automatic continue: the visitor chooses. Without JavaScript the plain link
    // works (the copy button, which needs script, stays hidden).
    return {
      html: page(
        "Get the app",
        "",
        `<h1>Get the app</h1><button class="button" id="copy" type="button" hidden data-token="${escapeHtml(p.pasteboardToken)}">Copy code and get the app</button><a class="button secondary" id="continue" href="${href}">Get the app</a><p>Copying lets the app find your invitation after it is installed.</p><script>${PASTEBOARD_SCRIPT}</script>`,
      ),
      csp: PASTEBOARD_CSP,
    };
  }
  return {
    html: page(
      "Opening the App Store…",
      `<noscript><meta http-equiv="refresh" content="0;url=${href}"></noscript>`,
      `<p>Opening the App Store…</p><a class="button" id="continue" href="${href}">Continue to the App Store</a><script>${IOS_SCRIPT}</script>`,
    ),
    csp: IOS_CSP,
  };
}

/**
 * In-app browsers (Instagram, Facebook, TikTok, …) don't hand links to installed apps. Offer to
 * open the link in the system browser, where universal links / app links work, and let the
 * visitor go on to the store from here.
 */
export function interstitialPage(p: {
  os: string;
  openUrl: string | null;
  storeUrl: string | null;
  title: string;
}): HtmlPage {
  const open = p.openUrl
    ? `<a class="button" href="${escapeHtml(p.openUrl)}">Open in ${p.os === "ios" ? "Safari" : "your browser"}</a>`
    : `<p>Tap ••• and choose “Open in ${p.os === "ios" ? "Safari" : "browser"}” to continue.</p>`;
  const store = p.storeUrl
    ? `<a class="button secondary" id="store" href="${escapeHtml(p.storeUrl)}">Get the app</a><script>${STORE_SCRIPT}</script>`
    : "";
  return {
    html: page(p.title, "", `<h1>${escapeHtml(p.title)}</h1>${open}${store}`),
    csp: p.storeUrl ? INTERSTITIAL_CSP : PAGE_CSP,
  };
}

export function notFoundPage(): HtmlPage {
  return { html: page("Link not found", "", "<h1>This link doesn’t exist or has expired.</h1>"), csp: PAGE_CSP };
}
