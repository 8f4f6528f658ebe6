import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

/**
 * The dashboard's one stylesheet, served at /dashboard/assets/app.<hash>.css with a year's cache
 * (the hash changes with the content). Light and dark from `prefers-color-scheme`; contrast ≥ 4.5:1
 * for text in both; visible focus rings; the navigation scrolls sideways on a phone.
 */
export const DASHBOARD_CSS = `
:root{--bg:#f7f7f8;--fg:#16181d;--muted:#555b66;--card:#fff;--line:#d9dce1;--accent:#1d4ed8;--accent-fg:#fff;
--ok:#166534;--ok-bg:#dcfce7;--bad:#991b1b;--bad-bg:#fee2e2;--info:#1e40af;--info-bg:#dbeafe;--warn:#854d0e;--warn-bg:#fef9c3;
--s0:#2563eb;--s1:#dc2626;--s2:#059669;--s3:#d97706;--s4:#7c3aed;--s5:#db2777;--s6:#0891b2;--s7:#4b5563;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#111318;--fg:#e8eaee;--muted:#a4abb8;--card:#1a1d24;--line:#343a46;--accent:#8ab4ff;
--accent-fg:#0b1020;--ok:#86efac;--ok-bg:#14361f;--bad:#fca5a5;--bad-bg:#3d1717;--info:#93c5fd;--info-bg:#172a4a;--warn:#fde68a;--warn-bg:#3a300f;
--s0:#60a5fa;--s1:#f87171;--s2:#34d399;--s3:#fbbf24;--s4:#a78bfa;--s5:#f472b6;--s6:#22d3ee;--s7:#9ca3af}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--card);padding:8px}.skip:focus{left:8px}
.top{display:flex;gap:12px;align-items:center;padding:10px 16px;border-bottom:1px solid var(--line);background:var(--card)}
.brand{font-weight:700}.space{color:var(--muted);flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
nav ul{list-style:none;margin:0;padding:0;display:flex;gap:4px;overflow-x:auto}
body>nav{border-bottom:1px solid var(--line);background:var(--card);padding:0 8px}
body>nav a{display:block;padding:10px 10px;text-decoration:none;color:var(--fg);white-space:nowrap;border-bottom:3px solid transparent}
body>nav a[aria-current=page]{border-bottom-color:var(--accent);font-weight:600}
main{max-width:1120px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:.2em 0 .6em}h2{font-size:1.15rem;margin:1.4em 0 .5em}
.muted{color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-bottom:16px}
.card,.panel,figure.chart{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.card-label{color:var(--muted);font-size:.85rem}.card-value{font-size:1.6rem;font-weight:650}.card-hint{color:var(--muted);font-size:.8rem}
figure.chart{margin:0 0 16px}figcaption{font-weight:600;margin-bottom:6px}
svg{width:100%;height:auto;display:block}
.grid{stroke:var(--line);stroke-width:1}.tick,.unit{fill:var(--muted);font-size:12px}
.bar{stroke:none}.line{fill:none;stroke-width:2}.dot{stroke:none}
${[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `.bar.s${i},.dot.s${i},.swatch.s${i}{fill:var(--s${i});background:var(--s${i})}.line.s${i}{stroke:var(--s${i})}`).join("")}
.legend{list-style:none;padding:0;margin:8px 0 0;display:flex;flex-wrap:wrap;gap:6px 14px;font-size:.9rem}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}
.empty-state{color:var(--muted);padding:24px 0;text-align:center;margin:0}
.table-wrap{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);white-space:nowrap}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr:last-child td{border-bottom:0}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:.8rem;font-weight:600;white-space:nowrap}
.badge.ok{color:var(--ok);background:var(--ok-bg)}.badge.bad{color:var(--bad);background:var(--bad-bg)}
.badge.info{color:var(--info);background:var(--info-bg)}.badge.warn{color:var(--warn);background:var(--warn-bg)}
.badge.muted{color:var(--muted);background:transparent;border:1px solid var(--line)}
.steps{list-style:none;display:flex;gap:3px;padding:0;margin:0;flex-wrap:wrap}
.steps li{font-size:.75rem;padding:1px 6px;border-radius:4px;border:1px solid var(--line);color:var(--muted)}
.steps li.done{background:var(--info-bg);color:var(--info);border-color:transparent}
.steps li.now{background:var(--accent);color:var(--accent-fg);border-color:transparent;font-weight:600}
.switch ul{display:flex;gap:6px;flex-wrap:wrap;margin:0 0 12px}
.switch a{display:block;padding:4px 12px;border:1px solid var(--line);border-radius:999px;text-decoration:none;color:var(--fg);background:var(--card)}
.switch a[aria-current=true]{background:var(--accent);color:var(--accent-fg);border-color:var(--accent)}
form.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-end;margin-bottom:12px}
label{display:block;font-weight:600;font-size:.9rem}
input,select,textarea{font:inherit;color:var(--fg);background:var(--card);border:1px solid var(--muted);border-radius:6px;padding:6px 8px;max-width:100%}
textarea{width:100%;min-height:4.5em}
input[type=checkbox]{width:1.1rem;height:1.1rem;vertical-align:middle}
button,.button{font:inherit;font-weight:600;padding:7px 14px;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:var(--accent-fg);cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:transparent;color:var(--accent)}
button.link{background:none;border:0;color:var(--accent);padding:4px;text-decoration:underline}
form.inline{display:inline}
.field{margin-bottom:14px}.hint{color:var(--muted);font-size:.85rem;margin:2px 0 4px}
.error{color:var(--bad);font-weight:600;font-size:.9rem;margin:4px 0}
.notice{padding:10px 14px;border-radius:8px;margin-bottom:14px}
.notice.ok{background:var(--ok-bg);color:var(--ok)}.notice.bad{background:var(--bad-bg);color:var(--bad)}
fieldset{border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin:0 0 16px;background:var(--card)}
legend{font-weight:700;padding:0 6px}
fieldset.types{flex-basis:100%;display:flex;flex-wrap:wrap;gap:4px 16px;margin:0}
fieldset.types legend{font-size:.9rem}fieldset.types label{font-weight:400}
td code{white-space:nowrap}
.pager{display:flex;gap:12px;margin:12px 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.signin{max-width:420px;margin:6vh auto}
.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}
code{font-size:.9em;overflow-wrap:anywhere}
`;

let cssPath: string | undefined;
/**
 * Where the stylesheet is served: named by its content's hash, so a year's cache never serves an
 * old one. Computed on the first dashboard request, not when the Worker starts (every isolate,
 * the /ref ones included, would pay for it).
 */
export function dashboardCssPath(): string {
  cssPath ??= `/dashboard/assets/app.${bytesToHex(sha256(new TextEncoder().encode(DASHBOARD_CSS))).slice(0, 12)}.css`;
  return cssPath;
}
