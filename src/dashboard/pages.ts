import { html } from "hono/html";
import type { Series } from "../analytics/range";
import type { Settings } from "../appspaces/settings";
import type { ReferralStats } from "../db/analytics";
import type { ListedReferral, ReferralClick } from "../db/dashboard";
import type { EmailRow } from "../db/emails";
import type { PromotionRow } from "../db/promotions";
import type { LeaderboardRow, ReferralRow } from "../db/referrals";
import type { DeliveryRow, EndpointRow } from "../db/webhooks";
import { chart } from "./chart";
import { badge, card, fmtInt, fmtPct, fmtTime, type Html, query, statusTone, switcher } from "./layout";

/**
 * The dashboard's page bodies: pure functions of the data their route read. Everything a user
 * typed comes back escaped (hono/html); nothing secret is ever passed in (no keys, no webhook
 * secrets, no identity secret).
 */

// ---------------------------------------------------------------------------------------------
// sign-in

export function signInBody(p: { error: string | null; admin: boolean }): Html {
  return html`<div class="signin panel">
    <p>Sign in with your appspace's <strong>secret key</strong> (<code>sk_…</code>)${
      p.admin ? ", or the deployment's admin token to see every appspace" : ""
    }.</p>
    ${p.error ? html`<p class="notice bad" role="alert" id="signin-error">${p.error}</p>` : ""}
    <form method="post" action="/dashboard/sign-in">
      <div class="field">
        <label for="key">Secret key</label>
        <input type="password" id="key" name="key" autocomplete="current-password" required size="40"${
          p.error ? html` aria-invalid="true" aria-describedby="signin-error"` : ""
        }>
      </div>
      <button type="submit">Sign in</button>
    </form>
  </div>`;
}

export function appspacesBody(p: {
  appspaces: { id: string; name: string }[];
  current: string | null;
  csrf: string;
}): Html {
  if (!p.appspaces.length) return html`<p class="empty-state">No appspaces yet: create one with the admin API.</p>`;
  return html`<div class="table-wrap"><table>
    <caption class="muted">Appspaces (newest first)</caption>
    <thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col"><span class="muted">Open</span></th></tr></thead>
    <tbody>${p.appspaces.map(
      (
        a,
      ) => html`<tr><td>${a.name}${a.id === p.current ? html` ${badge("open", "info")}` : ""}</td><td><code>${a.id}</code></td>
        <td><form method="post" action="/dashboard/appspaces/switch" class="inline">
          <input type="hidden" name="_csrf" value="${p.csrf}"><input type="hidden" name="appspace_id" value="${a.id}">
          <button type="submit" class="secondary" aria-label="Open ${a.name}">Open</button></form></td></tr>`,
    )}</tbody></table></div>`;
}

// ---------------------------------------------------------------------------------------------
// overview

export const PERIODS = [7, 30, 90] as const;
export type PeriodDays = (typeof PERIODS)[number];

export function overviewBody(p: {
  days: PeriodDays;
  stats: ReferralStats & { conversion_rate: number };
  clicks: Series[];
  conversions: Series[];
  top: LeaderboardRow[];
  topLabel: string;
}): Html {
  const s = p.stats;
  return html`${switcher(
    "Period",
    PERIODS.map((d) => ({ href: `/dashboard${query({ days: d })}`, text: `${d} days`, current: d === p.days })),
  )}
  <p class="muted">Referrals created in the last ${p.days} days (UTC), with lazy expiry applied.</p>
  <div class="cards" data-testid="stats">
    ${card("Total referrals", fmtInt(s.total))}
    ${card("Pending", fmtInt(s.pending))}
    ${card("Completed", fmtInt(s.completed))}
    ${card("Expired", fmtInt(s.expired))}
    ${card("Conversion rate", fmtPct(s.conversion_rate), "completed / total")}
  </div>
  <div class="two">
    ${chart(p.clicks, { title: "Clicks per day", unit: "clicks", interval: "day", empty: "No clicks yet in this period." })}
    ${chart(p.conversions, {
      title: "Conversions per day",
      unit: "completed referrals",
      interval: "day",
      empty: "No completed referrals yet in this period.",
    })}
  </div>
  <h2>Top referrers <span class="muted">(${p.topLabel})</span></h2>
  ${leaderboardTable(p.top)}`;
}

// ---------------------------------------------------------------------------------------------
// referrals

/** The appspace's pipeline: `pending` (where every referral starts), then its milestones or its reward milestone. */
export const pipelineOf = (settings: Settings): string[] => [
  "pending",
  ...(settings.milestones.length ? settings.milestones : [settings.reward_milestone]).filter((m) => m !== "pending"),
];

export function milestoneSteps(pipeline: readonly string[], current: string, status: string): Html {
  const at = pipeline.indexOf(current);
  if (at < 0) return html`<span>${current}</span>`;
  return html`<ol class="steps" aria-label="Milestone ${at + 1} of ${pipeline.length}: ${current}">${pipeline.map(
    (m, i) =>
      html`<li class="${i < at || (i === at && status === "completed") ? "done" : i === at ? "now" : ""}">${m}</li>`,
  )}</ol>`;
}

const reward = (type: string | null, value: string | null, claimed: boolean) =>
  type === null
    ? html`<span class="muted">—</span>`
    : html`${type}${value ? html` ${value}` : ""} ${claimed ? badge("claimed", "ok") : type === "none" ? "" : badge("not claimed", "muted")}`;

export const STATUS_FILTERS = ["", "pending", "completed", "expired"] as const;

export function referralsBody(p: {
  rows: ListedReferral[];
  status: string;
  q: string;
  pipeline: readonly string[];
  next: string | null;
  first: boolean;
}): Html {
  return html`<form class="filters" method="get" action="/dashboard/referrals" role="search">
      <div><label for="q">Search</label><input id="q" name="q" type="search" value="${p.q}" placeholder="Code, user id or name" size="28"></div>
      <div><label for="status">Status</label><select id="status" name="status">${STATUS_FILTERS.map(
        (s) => html`<option value="${s}"${s === p.status ? html` selected` : ""}>${s || "All"}</option>`,
      )}</select></div>
      <button type="submit">Apply</button>
    </form>
    ${
      p.rows.length === 0
        ? html`<p class="empty-state">${p.q || p.status ? "No referrals match." : "No referrals yet."}</p>`
        : html`<div class="table-wrap"><table>
      <thead><tr><th scope="col">Code</th><th scope="col">Referrer</th><th scope="col">Referred user</th><th scope="col">Status</th>
      <th scope="col">Milestone</th><th scope="col">Referrer reward</th><th scope="col">Referee reward</th><th scope="col">Created</th></tr></thead>
      <tbody>${p.rows.map(
        (r) => html`<tr>
          <td><a href="/dashboard/referrals/${r.code}"><code>${r.code}</code></a></td>
          <td>${r.referrer_name ?? ""}<div class="muted">${r.referrer_id}</div></td>
          <td>${r.referred_user_name ?? ""}<div class="muted">${r.referred_user_id ?? "—"}</div></td>
          <td>${badge(r.status, statusTone(r.status))}</td>
          <td>${milestoneSteps(p.pipeline, r.milestone, r.status)}</td>
          <td>${reward(r.reward_type, r.reward_value, r.reward_claimed)}</td>
          <td>${reward(r.referee_reward_type, r.referee_reward_value, r.referee_reward_claimed)}</td>
          <td>${fmtTime(r.created_at)}</td>
        </tr>`,
      )}</tbody></table></div>`
    }
    <nav class="pager" aria-label="Pages">
      ${p.first ? "" : html`<a href="/dashboard/referrals${query({ status: p.status, q: p.q })}">First page</a>`}
      ${p.next ? html`<a href="/dashboard/referrals${query({ status: p.status, q: p.q, cursor: p.next })}" rel="next">Next page</a>` : ""}
    </nav>`;
}

export function referralBody(p: { r: ReferralRow; pipeline: readonly string[]; clicks: ReferralClick[] }): Html {
  const r = p.r;
  return html`<p><a href="/dashboard/referrals">← All referrals</a></p>
  <div class="two">
    <div class="panel"><dl class="facts">
      <dt>Status</dt><dd>${badge(r.status, statusTone(r.status))}</dd>
      <dt>Referrer</dt><dd>${r.referrer_name ?? ""} <span class="muted">${r.referrer_id}</span></dd>
      <dt>Referred user</dt><dd>${r.referred_user_name ?? ""} <span class="muted">${r.referred_user_id ?? "—"}</span></dd>
      <dt>Milestone</dt><dd>${milestoneSteps(p.pipeline, r.milestone, r.status)}</dd>
      <dt>Referrer reward</dt><dd>${reward(r.reward_type, r.reward_value, r.reward_claimed)}</dd>
      <dt>Referee reward</dt><dd>${reward(r.referee_reward_type, r.referee_reward_value, r.referee_reward_claimed)}</dd>
      <dt>Created</dt><dd>${fmtTime(r.created_at)}</dd>
      <dt>Completed</dt><dd>${fmtTime(r.completed_at)}</dd>
      <dt>Expires</dt><dd>${fmtTime(r.expires_at)}</dd>
    </dl></div>
    <div><h2>Milestone history</h2><div class="table-wrap"><table>
      <thead><tr><th scope="col">Milestone</th><th scope="col">When</th></tr></thead>
      <tbody>${r.milestone_history.map((m) => html`<tr><td>${m.milestone}</td><td>${fmtTime(m.timestamp)}</td></tr>`)}</tbody>
    </table></div></div>
  </div>
  <h2>Clicks <span class="muted">(latest ${p.clicks.length})</span></h2>
  ${
    p.clicks.length === 0
      ? html`<p class="empty-state">No clicks yet.</p>`
      : html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">When</th><th scope="col">Route</th><th scope="col">Platform</th><th scope="col">Device</th>
    <th scope="col">Browser</th><th scope="col">Country</th><th scope="col">UTM source</th><th scope="col">From</th></tr></thead>
    <tbody>${p.clicks.map(
      (
        c,
      ) => html`<tr><td>${fmtTime(c.clicked_at)}</td><td>${c.route}</td><td>${c.os ?? "—"}</td><td>${c.device_type ?? "—"}</td>
        <td>${c.in_app ? `${c.in_app} (in-app)` : (c.browser ?? "—")}</td><td>${c.country ?? "—"}</td><td>${c.utm_source ?? "—"}</td>
        <td>${c.referer_host ?? "—"}</td></tr>`,
    )}</tbody></table></div>`
  }`;
}

// ---------------------------------------------------------------------------------------------
// leaderboard

export function leaderboardTable(rows: LeaderboardRow[]): Html {
  if (!rows.length) return html`<p class="empty-state">No referrers yet in this period.</p>`;
  return html`<div class="table-wrap"><table>
    <thead><tr><th scope="col" class="num">#</th><th scope="col">Referrer</th><th scope="col" class="num">Completed</th>
    <th scope="col" class="num">Referrals</th><th scope="col" class="num">Pending</th><th scope="col" class="num">Reward value</th></tr></thead>
    <tbody>${rows.map(
      (
        r,
        i,
      ) => html`<tr><td class="num">${i + 1}</td><td>${r.referrer_name ?? ""} <span class="muted">${r.referrer_id}</span></td>
        <td class="num">${fmtInt(r.completed)}</td><td class="num">${fmtInt(r.total)}</td><td class="num">${fmtInt(r.pending)}</td>
        <td class="num">${r.total_reward_value}</td></tr>`,
    )}</tbody></table></div>`;
}

export function leaderboardBody(p: { rows: LeaderboardRow[]; sort: string; period: string }): Html {
  const href = (sort: string, period: string) => `/dashboard/leaderboard${query({ sort, period })}`;
  return html`${switcher("Rank by", [
    { href: href("completed", p.period), text: "Completed referrals", current: p.sort === "completed" },
    { href: href("reward_value", p.period), text: "Reward value", current: p.sort === "reward_value" },
  ])}
  ${switcher("Period", [
    { href: href(p.sort, "all"), text: "All time", current: p.period === "all" },
    { href: href(p.sort, "30d"), text: "30 days", current: p.period === "30d" },
    { href: href(p.sort, "7d"), text: "7 days", current: p.period === "7d" },
  ])}
  ${leaderboardTable(p.rows)}`;
}

// ---------------------------------------------------------------------------------------------
// analytics

export const DIMENSION_LABELS: Record<string, string> = {
  platform: "Platform",
  device_type: "Device",
  browser: "Browser",
  country: "Country",
  referral_code: "Referral code",
  utm_source: "UTM source",
  route: "Route",
};

export function analyticsBody(p: {
  days: PeriodDays;
  interval: "hour" | "day";
  groupBy: string;
  filters: Record<string, string>;
  clicks: Series[];
  events: Series[];
  eventTypes: readonly string[];
  selectedTypes: readonly string[];
}): Html {
  return html`<form class="filters" method="get" action="/dashboard/analytics">
      <div><label for="days">Period</label><select id="days" name="days">${PERIODS.map(
        (d) => html`<option value="${d}"${d === p.days ? html` selected` : ""}>${d} days</option>`,
      )}</select></div>
      <div><label for="interval">Interval</label><select id="interval" name="interval">${["day", "hour"].map(
        (i) => html`<option${i === p.interval ? html` selected` : ""}>${i}</option>`,
      )}</select></div>
      <div><label for="group_by">Break down by</label><select id="group_by" name="group_by">
        <option value="">Nothing</option>${Object.entries(DIMENSION_LABELS).map(
          ([k, label]) => html`<option value="${k}"${k === p.groupBy ? html` selected` : ""}>${label}</option>`,
        )}</select></div>
      ${Object.entries(DIMENSION_LABELS).map(
        ([k, label]) =>
          html`<div><label for="f-${k}">${label} is</label><input id="f-${k}" name="${k}" value="${p.filters[k] ?? ""}" size="10"></div>`,
      )}
      <fieldset class="types"><legend>Event types (none ticked: every referral event)</legend>${p.eventTypes.map(
        (t) =>
          html`<label><input type="checkbox" name="type" value="${t}"${p.selectedTypes.includes(t) ? html` checked` : ""}> ${t}</label>`,
      )}</fieldset>
      <button type="submit">Apply</button>
    </form>
    ${p.interval === "hour" && p.days > 30 ? html`<p class="notice bad">Hourly charts cover at most 31 days: showing 30.</p>` : ""}
    ${chart(p.clicks, {
      title: p.groupBy ? `Clicks by ${DIMENSION_LABELS[p.groupBy]?.toLowerCase() ?? p.groupBy}` : "Clicks",
      unit: "clicks",
      interval: p.interval,
      empty: "No clicks yet in this period.",
      width: 960,
    })}
    ${seriesTable(p.clicks, "clicks")}
    <h2>Referral events</h2>
    ${chart(p.events, {
      title: "Events by type",
      unit: "events",
      interval: p.interval,
      empty: "No events in this period.",
      width: 960,
    })}
    ${seriesTable(p.events, "events")}`;
}

function seriesTable(series: Series[], unit: string): Html {
  const total = series.reduce((sum, s) => sum + s.total, 0);
  if (!total) return html``;
  return html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">Key</th><th scope="col" class="num">${unit}</th><th scope="col" class="num">Share</th></tr></thead>
    <tbody>${series.map(
      (s) =>
        html`<tr><td>${s.key}</td><td class="num">${fmtInt(s.total)}</td><td class="num">${fmtPct(s.total / total)}</td></tr>`,
    )}</tbody></table></div>`;
}

// ---------------------------------------------------------------------------------------------
// webhooks, emails, promotions

export function webhooksBody(p: {
  endpoints: { endpoint: EndpointRow; deliveries: DeliveryRow[] }[];
  csrf: string;
  notice: string | null;
}): Html {
  if (!p.endpoints.length) {
    return html`<p class="empty-state">No webhook endpoints yet: add one with <code>POST /v1/admin/appspaces/{id}/webhooks</code>.</p>`;
  }
  return html`${p.notice ? html`<p class="notice ok" role="status">${p.notice}</p>` : ""}
  ${p.endpoints.map(({ endpoint: e, deliveries }) => {
    const finished = deliveries.filter(
      (d) => d.status === "succeeded" || d.status === "failed" || d.status === "retrying",
    );
    const ok = finished.filter((d) => d.status === "succeeded").length;
    const health = !e.active
      ? badge(`disabled${e.disabledReason ? `: ${e.disabledReason}` : ""}`, "bad")
      : finished.length === 0
        ? badge("no deliveries yet", "muted")
        : ok === finished.length
          ? badge("healthy", "ok")
          : badge(`${finished.length - ok} of ${finished.length} recent attempts failed`, ok ? "warn" : "bad");
    return html`<section class="panel" aria-labelledby="wh-${e.id}">
      <h2 id="wh-${e.id}"><code>${e.url}</code></h2>
      <p>${health} <span class="muted">Events: ${e.events.join(", ")}</span></p>
      <form method="post" action="/dashboard/webhooks/${e.id}/test" class="inline">
        <input type="hidden" name="_csrf" value="${p.csrf}">
        <button type="submit" class="secondary">Send test event</button>
      </form>
      ${
        deliveries.length === 0
          ? html`<p class="empty-state">No deliveries yet.</p>`
          : html`<div class="table-wrap"><table>
        <caption class="muted">Recent deliveries</caption>
        <thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col" class="num">Attempt</th><th scope="col">Status</th>
        <th scope="col" class="num">Response</th><th scope="col" class="num">Time</th><th scope="col">Error</th><th scope="col"><span class="muted">Replay</span></th></tr></thead>
        <tbody>${deliveries.map(
          (d) => html`<tr><td>${fmtTime(d.created_at)}</td><td>${d.event_type}</td><td class="num">${d.attempt}</td>
            <td>${badge(d.status, statusTone(d.status))}</td><td class="num">${d.status_code ?? "—"}</td>
            <td class="num">${d.duration_ms === null ? "—" : `${d.duration_ms} ms`}</td><td>${d.error ?? ""}</td>
            <td><form method="post" action="/dashboard/webhooks/${e.id}/replay" class="inline">
              <input type="hidden" name="_csrf" value="${p.csrf}"><input type="hidden" name="event_id" value="${d.event_id}">
              <button type="submit" class="link" aria-label="Replay ${d.event_type} (attempt ${d.attempt}, ${fmtTime(d.created_at)})">Replay</button>
            </form></td></tr>`,
        )}</tbody></table></div>`
      }
    </section>`;
  })}`;
}

export function emailsBody(p: { rows: EmailRow[] }): Html {
  if (!p.rows.length) return html`<p class="empty-state">No emails yet: the Link API sends one per new link.</p>`;
  return html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">Created</th><th scope="col">To</th><th scope="col">Kind</th><th scope="col">Subject</th>
    <th scope="col">Status</th><th scope="col" class="num">Attempts</th><th scope="col">Last error</th></tr></thead>
    <tbody>${p.rows.map(
      (e) => html`<tr><td>${fmtTime(e.created_at)}</td><td>${e.to}</td><td>${e.kind}</td><td>${e.subject ?? "—"}</td>
        <td>${badge(e.status, statusTone(e.status))}</td><td class="num">${e.attempts}</td><td>${e.last_error ?? ""}</td></tr>`,
    )}</tbody></table></div>`;
}

export function promotionsBody(p: { rows: PromotionRow[]; now: Date }): Html {
  if (!p.rows.length)
    return html`<p class="empty-state">No promotions yet: create one with <code>POST /v1/api/promotions</code>.</p>`;
  const state = (r: PromotionRow) =>
    r.archivedAt
      ? badge("archived", "muted")
      : r.startsAt && new Date(r.startsAt) > p.now
        ? badge("scheduled", "info")
        : r.endsAt && new Date(r.endsAt) <= p.now
          ? badge("ended", "muted")
          : badge("active", "ok");
  return html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">Name</th><th scope="col">State</th><th scope="col">Rewards</th><th scope="col">Target</th>
    <th scope="col" class="num">Attribution</th><th scope="col">Window</th></tr></thead>
    <tbody>${p.rows.map(
      (r) => html`<tr><td>${r.name}<div class="muted"><code>${r.id}</code></div></td><td>${state(r)}</td>
        <td>${r.rewardReceiver}: ${r.rewardType}${r.rewardValue ? ` ${r.rewardValue}` : ""} / ${r.refereeRewardType}${
          r.refereeRewardValue ? ` ${r.refereeRewardValue}` : ""
        }</td>
        <td><code>${r.targetUrl}</code>${r.appRouting ? html` ${badge("app routing", "info")}` : ""}</td>
        <td class="num">${r.attributionDays} days</td><td>${fmtTime(r.startsAt)} → ${fmtTime(r.endsAt)}</td></tr>`,
    )}</tbody></table></div>`;
}
