/**
 * /aid.js: included by a customer's landing page (`<script src="https://<link domain>/aid.js"
 * data-days="30" async></script>`). It keeps the URL's `aid` in a first-party cookie on the
 * customer's own site for `data-days` days (default 30; `data-domain` widens it to a parent domain,
 * e.g. `example.com` for www. and app.; a domain that doesn't cover the page falls back to the
 * page's host), fills every empty `<input name="aid">` with it, and exposes `window.edgeref.aid()`
 * for forms built in script; the aid in the current URL always wins over an older cookie. Only
 * values shaped like an aid (src/link-api/aid.ts) are kept. No dependencies, well under 2 KB.
 *
 * Written by hand: it is the whole client, and a library would be most of the budget.
 */
export const AID_SCRIPT = `(function(){
var s=document.currentScript,d=s&&s.getAttribute("data-days"),days=d&&+d>0?+d:30,dom=s&&s.getAttribute("data-domain"),n="edgeref_aid";
var m=/[?&]aid=([A-Z0-9]{8,10}\\.[0-9a-z]{1,10}\\.[A-Za-z0-9_-]{16}\\.[0-9a-f]{32})(?:[&#]|$)/.exec(location.search);
function set(d){document.cookie=n+"="+m[1]+";Max-Age="+Math.round(days*86400)+";Path=/;SameSite=Lax"+(d?";Domain="+d:"")+(location.protocol==="https:"?";Secure":"");}
if(m){var w=dom&&/^[a-z0-9.-]+$/i.test(dom)?dom:"";set(w);if(w&&document.cookie.indexOf(n+"="+m[1])<0)set("");}
function get(){if(m)return m[1];var c=/(?:^|;\\s*)edgeref_aid=([A-Za-z0-9._-]+)/.exec(document.cookie);return c?c[1]:null;}
function fill(){var a=get();if(!a)return;var f=document.querySelectorAll('input[name="aid"]');for(var i=0;i<f.length;i++)if(!f[i].value)f[i].value=a;}
window.edgeref=window.edgeref||{};window.edgeref.aid=get;
if(document.readyState==="loading")document.addEventListener("DOMContentLoaded",fill);else fill();
})();
`;
