import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { Series } from "../analytics/range";

/**
 * Charts drawn on the server as inline SVG: no script, no chart library to download, readable
 * without JavaScript and by screen readers (a <title> per chart and per bar or point, and the
 * numbers in a table next to it). Small enough to be worth writing: bars for one series, lines
 * for several, axes with units.
 */

const PAD = { left: 44, right: 14, top: 24, bottom: 26 };
const MAX_LINES = 8;

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** A round upper bound for the y axis: 1, 2, 5 × 10^n. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * exp >= value) return m * exp;
  return 10 * exp;
}

const fmt = (n: number) => n.toLocaleString("en-US");

/** A bucket's label: `Mar 4` for days, `Mar 4 13:00` for hours (UTC). */
export function bucketLabel(t: string, interval: "hour" | "day"): string {
  const d = new Date(t);
  const day = d.toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
  return interval === "day" ? day : `${day} ${String(d.getUTCHours()).padStart(2, "0")}:00`;
}

export interface ChartOptions {
  title: string;
  /** What is counted, for the axis and tooltips: "clicks", "referrals". */
  unit: string;
  interval: "hour" | "day";
  /** Said instead of a chart when every count is 0. */
  empty: string;
  /**
   * The drawing's width in its own units: about the width it is shown at, so its 12-unit labels
   * read as 12 px (half-width charts 480, full-width 960).
   */
  width?: number;
}

export function chart(series: Series[], o: ChartOptions): Html {
  const total = series.reduce((sum, s) => sum + s.total, 0);
  if (total === 0 || series.length === 0) {
    return html`<figure class="chart empty"><figcaption>${o.title}</figcaption><p class="empty-state">${o.empty}</p></figure>`;
  }
  const W = o.width ?? 480;
  const H = Math.round(W * 0.42);
  const shown = series.slice(0, MAX_LINES);
  const points = shown[0]?.points ?? [];
  const n = points.length;
  const max = niceMax(Math.max(...shown.flatMap((s) => s.points.map((p) => p.count))));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const ticks = [0, max / 2, max];
  const labelAt = [0, Math.floor((n - 1) / 2), n - 1].filter((v, i, a) => a.indexOf(v) === i);

  const axes = [
    ...ticks.map(
      (t) =>
        `<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(t)}" y2="${y(t)}"/>` +
        `<text class="tick" x="${PAD.left - 6}" y="${y(t) + 4}" text-anchor="end">${fmt(t)}</text>`,
    ),
    ...labelAt.map((i) => {
      const p = points[i];
      if (!p) return "";
      const anchor = i === 0 ? "start" : i === n - 1 ? "end" : "middle";
      return `<text class="tick" x="${x(i)}" y="${H - 8}" text-anchor="${anchor}">${escapeXml(bucketLabel(p.t, o.interval))}</text>`;
    }),
    `<text class="unit" x="${PAD.left}" y="12">${escapeXml(o.unit)}</text>`,
  ].join("");

  let marks: string;
  // Bars while each can be told apart (and carry its own tooltip); past that, lines: 30 days by
  // the hour as bars would be 720 tooltips (the page would pass 100 KB).
  if (shown.length === 1 && n <= 120) {
    const barW = Math.max(1, (plotW / n) * 0.7);
    const only = shown[0] as Series;
    marks = only.points
      .map((p, i) => {
        const cx = n <= 1 ? x(i) : PAD.left + ((i + 0.5) * plotW) / n;
        const top = y(p.count);
        return `<rect class="bar s0" x="${(cx - barW / 2).toFixed(1)}" y="${top.toFixed(1)}" width="${barW.toFixed(1)}" height="${(PAD.top + plotH - top).toFixed(1)}"><title>${escapeXml(`${bucketLabel(p.t, o.interval)}: ${fmt(p.count)} ${o.unit}`)}</title></rect>`;
      })
      .join("");
  } else {
    marks = shown
      .map((s, k) => {
        const d = s.points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p.count).toFixed(1)}`).join("");
        const dots =
          n <= 62
            ? s.points
                .map(
                  (p, i) =>
                    `<circle class="dot s${k}" cx="${x(i).toFixed(1)}" cy="${y(p.count).toFixed(1)}" r="2.5"><title>${escapeXml(`${s.key}, ${bucketLabel(p.t, o.interval)}: ${fmt(p.count)} ${o.unit}`)}</title></circle>`,
                )
                .join("")
            : "";
        return `<path class="line s${k}" d="${d}"><title>${escapeXml(`${s.key}: ${fmt(s.total)} ${o.unit}`)}</title></path>${dots}`;
      })
      .join("");
  }
  const legend =
    shown.length > 1
      ? html`<ul class="legend">
          ${shown.map((s, k) => html`<li><span class="swatch s${k}" aria-hidden="true"></span>${s.key} <b>${fmt(s.total)}</b></li>`)}
        </ul>`
      : "";
  return html`<figure class="chart">
    <figcaption>${o.title} <span class="muted">· ${fmt(total)} ${o.unit}</span></figcaption>
    <svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${o.title}: ${fmt(total)} ${o.unit}">
      ${raw(axes)}${raw(marks)}
    </svg>
    ${legend}
  </figure>`;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
