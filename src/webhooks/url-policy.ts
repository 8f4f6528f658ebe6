import ipaddr from "ipaddr.js";

/**
 * Where webhooks may be sent. Production: `https` to public hosts only — no private, loopback,
 * link-local, CGNAT or otherwise reserved addresses, no `localhost`/`.local`/`.internal` names,
 * no credentials in the URL. `allowPrivate` (WEBHOOKS_ALLOW_PRIVATE=true, local development and
 * tests) lifts the address rules and allows plain http.
 *
 * A hostname that *resolves* to a private address can't be caught here (Workers have no DNS
 * API); Workers' own egress cannot reach private networks, and redirects are never followed.
 */
const BLOCKED_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i;

/** undefined when `host` is not an IP literal; else null (public) or the problem. */
function addressProblem(host: string): string | null | undefined {
  const literal = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (!ipaddr.isValid(literal)) return undefined;
  let address = ipaddr.parse(literal);
  if (address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    address = (address as ipaddr.IPv6).toIPv4Address();
  }
  const range = address.range();
  return range === "unicast" ? null : `url must not point to a ${range} address`;
}

export function webhookUrlProblem(raw: string, options: { allowPrivate: boolean }): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "url must be an absolute URL";
  }
  if (url.protocol !== "https:" && !(options.allowPrivate && url.protocol === "http:")) {
    return "url must use https";
  }
  if (url.username || url.password) return "url must not contain credentials";
  if (options.allowPrivate) return null;
  const host = url.hostname;
  // IPv4 shorthands ("127.1", "2130706433") are normalised by URL into dotted quads first.
  const address = addressProblem(host);
  if (address !== undefined) return address;
  if (BLOCKED_NAMES.test(host) || !host.includes(".")) return "url must point to a public host";
  return null;
}
