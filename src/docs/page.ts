/**
 * /docs: Swagger UI, served entirely by this Worker. The pinned swagger-ui-dist files live in
 * public/docs/ (Workers static assets, copied there by scripts/docs-assets.mjs) and are served at
 * /docs/* through the ASSETS binding: no CDN, so the page where admins paste the admin token runs
 * only code from this origin, and it works offline.
 */
import { DOCUMENT_BASE, hashSource, serializePolicy } from "../lib/csp";
import assets from "./assets.json";

/**
 * What /docs/* serves from the assets: the page's files and their licence texts (the bundle's
 * banner points at its LICENSE.txt). One list, read by scripts/docs-assets.mjs too, which copies
 * them from swagger-ui-dist into public/docs/.
 */
export const DOCS_ASSETS: readonly string[] = assets;

// validatorUrl: null — Swagger UI would otherwise send the spec to validator.swagger.io.
// Authorisations are not persisted (persistAuthorization defaults to false): a pasted admin token
// lives only as long as the tab.
const INIT = `window.ui=SwaggerUIBundle({url:"/openapi.json",dom_id:"#swagger-ui",deepLinking:true,validatorUrl:null,presets:[SwaggerUIBundle.presets.apis],layout:"BaseLayout"});`;

const INIT_HASH = await hashSource(INIT);

export const DOCS_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>edgeref API reference</title><link rel="icon" type="image/png" href="/docs/favicon-32x32.png"><link rel="stylesheet" href="/docs/swagger-ui.css"></head><body><div id="swagger-ui"></div><script src="/docs/swagger-ui-bundle.js"></script><script>${INIT}</script></body></html>`;

/**
 * Same-origin script and styles plus the initialiser's hash; Swagger UI's CSS icons are data:
 * images; connect-src 'self' lets it fetch /openapi.json and "Try it out" call this API, and
 * nothing else.
 */
export const DOCS_CSP = serializePolicy({
  ...DOCUMENT_BASE,
  "script-src": ["'self'", INIT_HASH],
  "style-src": ["'self'"],
  "img-src": ["'self'", "data:"],
  "connect-src": ["'self'"],
});
