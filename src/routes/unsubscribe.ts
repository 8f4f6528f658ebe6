import { type Context, Hono } from "hono";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { unsubscribeState, unsubscribeUser } from "../db/emails";
import { checkUnsubscribeToken } from "../email/unsubscribe-token";
import { DOCUMENT_BASE, hashSource, serializePolicy } from "../lib/csp";
import { services } from "../middleware/services";
import { POLICIES } from "../ratelimit/policies";
import { clientKey, rateLimitedText, withinLimit } from "../services/rate-limiter";
import type { AppEnv } from "../types";

/**
 * Unsubscribe links of the Link API's emails (src/services/email-outbox.ts), on the public link domain:
 *
 *   GET  /unsubscribe/:token   a confirmation page with one button (mail scanners that open links
 *                              must not unsubscribe anyone), which POSTs to the same URL
 *   POST /unsubscribe/:token   unsubscribes the token's user from their appspace's emails; also the
 *                              RFC 8058 one-click target of the List-Unsubscribe header (a mail
 *                              client POSTs `List-Unsubscribe=One-Click`; any body is accepted
 *                              and none is read). Idempotent.
 *
 * The token is signed (src/email/unsubscribe-token.ts): a forged one is a 404 without a database
 * read, as is a valid one whose user is gone. The pages show no address or name: a forwarded
 * email's link tells whoever opens it nothing about the recipient. Anonymous, so limited per IP.
 */
export const unsubscribeRouter = new Hono<AppEnv>();

const STYLE =
  "body{font:16px/1.5 system-ui,-apple-system,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#111}" +
  "button{display:block;width:100%;padding:.8rem;margin:1rem 0;border:0;border-radius:.6rem;background:#111;color:#fff;font:inherit;cursor:pointer}";

const STYLE_HASH = await hashSource(STYLE);
/** The confirmation page: its stylesheet, and its form may post back here. */
const FORM_CSP = serializePolicy({ ...DOCUMENT_BASE, "form-action": ["'self'"], "style-src": [STYLE_HASH] });
/** The other pages: the stylesheet, nothing else. */
const PAGE_CSP = serializePolicy({ ...DOCUMENT_BASE, "style-src": [STYLE_HASH] });

function page(title: string, body: HtmlEscapedString | Promise<HtmlEscapedString>) {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${title}</title><style>${raw(STYLE)}</style></head><body>${body}</body></html>`;
}

function respond(
  c: Context<AppEnv>,
  body: HtmlEscapedString | Promise<HtmlEscapedString>,
  status: 200 | 404,
  csp = PAGE_CSP,
) {
  return c.html(body, status, {
    "cache-control": "no-store",
    // The token is in the URL: no Referer may carry it anywhere.
    "referrer-policy": "no-referrer",
    "content-security-policy": csp,
    "x-robots-tag": "noindex",
  });
}

const notFound = (c: Context<AppEnv>) =>
  respond(
    c,
    page(
      "Link not found",
      html`<h1>This unsubscribe link is not valid.</h1><p>It may be incomplete: copy the whole link from the email.</p>`,
    ),
    404,
  );

const unsubscribed = (c: Context<AppEnv>) =>
  respond(
    c,
    page("Unsubscribed", html`<h1>You are unsubscribed.</h1><p>You will not get these emails any more.</p>`),
    200,
  );

unsubscribeRouter.use("/unsubscribe/*", async (c, next) => {
  const ok = await withinLimit(c.env, POLICIES.public, clientKey(c.req.header("cf-connecting-ip")));
  if (!ok) return rateLimitedText(POLICIES.public);
  await next();
});
// Config and database client as the API and /ref/:code get them, for these paths only.
unsubscribeRouter.use("/unsubscribe/*", services());

unsubscribeRouter.get("/unsubscribe/:token", async (c) => {
  const token = c.req.param("token");
  const userId = await checkUnsubscribeToken(c.var.config.ipHashSecret, token);
  if (!userId) return notFound(c);
  const state = await unsubscribeState(c.var.db, userId);
  if (!state) return notFound(c);
  if (state.unsubscribed) return unsubscribed(c);
  return respond(
    c,
    page(
      "Unsubscribe",
      html`<h1>Unsubscribe from these emails?</h1><form method="post" action="/unsubscribe/${token}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
    ),
    200,
    FORM_CSP,
  );
});

unsubscribeRouter.post("/unsubscribe/:token", async (c) => {
  const userId = await checkUnsubscribeToken(c.var.config.ipHashSecret, c.req.param("token"));
  if (!userId) return notFound(c);
  if (!(await unsubscribeUser(c.var.db, userId))) return notFound(c);
  return unsubscribed(c);
});
