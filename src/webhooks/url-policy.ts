import ipaddr from "ipaddr.js";

/**
 * Where webhooks may be sent. Production: `https` on the default port (443) to public hosts only —
 * no private, loopback, link-local, CGNAT, multicast, documentation or otherwise reserved
 * addresses, no IPv6 forms that carry an IPv4 address, no `localhost`/`.local`/`.internal`-style
 * or single-label names, no credentials in the URL. `allowPrivate` (WEBHOOKS_ALLOW_PRIVATE=true,
 * local development and tests) lifts the address, name and port rules and allows plain http.
 *
 * The rules run on the host as WHATWG `URL` normalises it — lower-cased, percent-decoded,
 * IDNA/UTS #46-mapped (so `ｌｏｃａｌｈｏｓｔ`, `ℓocalhost`, `local\u00ADhost` all become
 * `localhost`, and `１２７.０.０.１`, `0x7f.1`, `2130706433` become `127.0.0.1`) — with any
 * trailing dots stripped (`localhost.` is the same name as `localhost` to a resolver).
 *
 * A hostname that *resolves* to a private address can't be caught here (Workers have no DNS
 * API); Workers' own egress cannot reach private networks, and redirects are never followed.
 */

/**
 * Special-use / never-delegated names (RFC 6761, 6762 appendix G, 8375, 9476; ICANN's `.internal`
 * reservation and the name-collision TLDs it will not delegate). Matched against the last labels.
 */
const BLOCKED_NAMES =
  /(^|\.)(localhost|localdomain|local|internal|home\.arpa|test|invalid|example|onion|alt|lan|home|corp|intranet|private)$/;

/**
 * IPv6 ranges that carry an IPv4 address, keyed by the ipaddr.js range name (`ipv4Compatible` is
 * ours: ipaddr.js calls ::a.b.c.d plain "unicast"). These are blocked outright rather than by
 * checking the embedded IPv4: no real webhook endpoint is addressed this way, and whether such an
 * address ends up at the embedded IPv4 (a mapped socket, a NAT64 gateway, a 6to4 relay, a Teredo
 * server — whose client address is even obfuscated) depends on the network in between, so
 * "the embedded IPv4 is public" would not prove the destination is. Refusing the forms is simpler
 * and cannot be wrong in the unsafe direction.
 */
const IPV4_EMBEDDING: Record<string, string> = {
  ipv4Mapped: "IPv4-mapped (::ffff:0:0/96)",
  ipv4Compatible: "IPv4-compatible (::/96)",
  rfc6145: "IPv4-translated (::ffff:0:0:0/96)",
  rfc6052: "NAT64 (64:ff9b::/96, 64:ff9b:1::/48)",
  "6to4": "6to4 (2002::/16)",
  teredo: "Teredo (2001::/32)",
};

/** ::/96 less :: and ::1 — the deprecated IPv4-compatible form, e.g. [::127.0.0.1] = [::7f00:1]. */
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR("::/96");
/** Global unicast: the only IPv6 space IANA allocates for the public internet (RFC 4291, 3587). */
const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR("2000::/3");

function a(noun: string): string {
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** undefined when `host` is not an IP literal; else null (public) or the problem. */
function addressProblem(host: string): string | null | undefined {
  const literal = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (!ipaddr.isValid(literal)) return undefined;
  const address = ipaddr.parse(literal);
  if (address.kind() === "ipv4") {
    const range = address.range();
    return range === "unicast" ? null : `url must not point to ${a(range)} ${range} address`;
  }
  const v6 = address as ipaddr.IPv6;
  let range: string = v6.range();
  if (range === "unicast" && v6.match(IPV4_COMPATIBLE)) range = "ipv4Compatible";
  const embedding = IPV4_EMBEDDING[range];
  if (embedding) return `url must not point to an IPv6 address that embeds an IPv4 address: ${embedding}`;
  if (range !== "unicast") return `url must not point to ${a(range)} ${range} address`;
  // Everything outside 2000::/3 is reserved by the IETF (e.g. ::/8, 100::/64, 4000::/2) and not routable.
  if (!v6.match(GLOBAL_UNICAST)) return "url must not point to a reserved address (outside 2000::/3)";
  return null;
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
  // URL drops a default port (":443", ":0443"), so any port left is a non-default one.
  if (url.port !== "") return "url must use the default https port (443)";
  // URL has already lower-cased, percent-decoded and IDNA-mapped the host and turned IPv4
  // shorthands ("127.1", "0x7f.1", "2130706433") into dotted quads; drop the trailing dots it
  // keeps ("localhost.", "127.0.0.1..") so the rules see the name a resolver would.
  const host = url.hostname.toLowerCase().replace(/\.+$/, "");
  const address = addressProblem(host);
  if (address !== undefined) return address;
  if (!host.includes(".")) return "url must point to a public host, not a single-label name";
  if (BLOCKED_NAMES.test(host)) {
    return "url must point to a public host, not a local or special-use name (.localhost, .local, .internal, …)";
  }
  return null;
}

/**
 * Whether `raw` passes the production rules, whatever WEBHOOKS_ALLOW_PRIVATE says — e.g. to decide
 * whether a response excerpt from this URL may be kept.
 */
export function isPublicHost(raw: string): boolean {
  return webhookUrlProblem(raw, { allowPrivate: false }) === null;
}
