import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/**
 * The dashboard's page shell and small shared pieces, as `hono/html` templates (every
 * interpolation is escaped; nothing here builds markup from strings by hand). No script: links
 * and forms do everything, so the CSP forbids scripts outright.
 */

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export const DASHBOARD_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const NAV = [
  ["overview", "/dashboard", "Overview"],
  ["referrals", "/dashboard/referrals", "Referrals"],
  ["leaderboard", "/dashboard/leaderboard", "Leaderboard"],
  ["analytics", "/dashboard/analytics", "Analytics"],
  ["webhooks", "/dashboard/webhooks", "Webhooks"],
  ["emails", "/dashboard/emails", "Emails"],
  ["promotions", "/dashboard/promotions", "Promotions"],
  ["settings", "/dashboard/settings", "Settings"],
] as const;
export type NavKey = (typeof NAV)[number][0] | "appspaces";

export interface Chrome {
  csrf: string;
  appspaceName: string | null;
  admin: boolean;
}

export function page(p: {
  title: string;
  nav: NavKey | null;
  chrome: Chrome | null;
  body: Html;
  cssHref: string;
}): Html {
  const c = p.chrome;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${p.title} · edgeref</title>
<link rel="stylesheet" href="${p.cssHref}">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <span class="brand">edgeref</span>
  ${
    c
      ? html`<span class="space">${c.appspaceName ?? "No appspace"}${c.admin ? html` · <a href="/dashboard/appspaces">switch</a>` : ""}</span>
  <form method="post" action="/dashboard/sign-out" class="inline">
    <input type="hidden" name="_csrf" value="${c.csrf}">
    <button type="submit" class="link">Sign out</button>
  </form>`
      : ""
  }
</header>
${
  c?.appspaceName
    ? html`<nav aria-label="Dashboard"><ul>${NAV.map(
        ([key, href, label]) =>
          html`<li><a href="${href}"${key === p.nav ? html` aria-current="page"` : ""}>${label}</a></li>`,
      )}</ul></nav>`
    : ""
}
<main id="main">
<h1>${p.title}</h1>
${p.body}
</main>
</body>
</html>`;
}

/** Links that switch a query parameter, the current one marked (tabs, period switches). */
export function switcher(label: string, options: readonly { href: string; text: string; current: boolean }[]): Html {
  return html`<nav class="switch" aria-label="${label}"><ul>${options.map(
    (o) => html`<li><a href="${o.href}"${o.current ? html` aria-current="true"` : ""}>${o.text}</a></li>`,
  )}</ul></nav>`;
}

export function card(label: string, value: string, hint?: string): Html {
  return html`<div class="card"><div class="card-label">${label}</div><div class="card-value">${value}</div>${
    hint ? html`<div class="card-hint">${hint}</div>` : ""
  }</div>`;
}

export const fmtInt = (n: number) => n.toLocaleString("en-US");
export const fmtPct = (rate: number) => `${(rate * 100).toFixed(1)}%`;
export const fmtTime = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "—");

export function badge(text: string, tone: "ok" | "warn" | "bad" | "info" | "muted"): Html {
  return html`<span class="badge ${tone}">${text}</span>`;
}

export const statusTone = (status: string): "ok" | "warn" | "bad" | "info" | "muted" =>
  status === "completed" || status === "succeeded" || status === "sent"
    ? "ok"
    : status === "pending" || status === "queued" || status === "sending" || status === "retrying"
      ? "info"
      : status === "failed"
        ? "bad"
        : status === "expired"
          ? "muted"
          : "warn";

/** `?a=1&b=2` from the given values, leaving out empty ones. */
export function query(values: Record<string, string | number | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  const text = params.toString();
  return text ? `?${text}` : "";
}
