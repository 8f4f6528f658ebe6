/**
 * The /ref/:code hot path's shortcuts must answer exactly what the slow, general code answers:
 * the cached landing template (withAid), the canonical-IPv4 shortcut of clientKey, and the path
 * test that sends a request to serveRef instead of the app.
 */
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { buildWithAid, withAid } from "../../src/link-api/aid";
import { refCodeOf } from "../../src/routes/links/ref";
import { clientKey } from "../../src/services/rate-limiter";

describe("withAid (cached per landing URL)", () => {
  const urls = [
    "https://example.com/",
    "https://example.com",
    "https://shop.example.com/welcome?src=ref&q=a%20b",
    "https://shop.example.com/welcome?src=ref&q=a%20b#section",
    "https://example.com/x?aid=old&y=1",
    "https://example.com/x?aid&aid=1&aid=2#aid=AIDMARK",
    "https://example.com/x?#",
    "https://example.com/ünïcødé/päth?q=ä ö#frag ment",
    "https://user:pw@example.com:8443/p;x?a=1&&b=2",
    "http://127.0.0.1:8787/landing?AIDMARK=1",
  ];
  const aids = ["ABCDEFGHJK.lz3k9a.abcdefghijklmnop.0123456789abcdef0123456789abcdef", "weird aid/&=#?ü", ""];

  it("equals the uncached construction (buildWithAid), first call and every later one", () => {
    for (const url of urls) {
      for (const aid of aids) {
        expect(withAid(url, aid), `${url} + ${aid}`).toBe(buildWithAid(url, aid));
        expect(withAid(url, aid), `${url} + ${aid} (cached)`).toBe(buildWithAid(url, aid));
      }
    }
  });

  it("still refuses a URL that does not parse", () => {
    expect(() => withAid("not a url", "x")).toThrow();
  });
});

describe("clientKey's canonical IPv4 shortcut", () => {
  const slow = (ip: string) => {
    if (!ipaddr.isValid(ip.trim())) return "unknown";
    const a = ipaddr.parse(ip.trim());
    return a.kind() === "ipv4" ? a.toString() : null;
  };

  it("answers what ipaddr.js answers for every canonical dotted quad and refers the rest to it", () => {
    const samples = ["0.0.0.0", "1.2.3.4", "9.99.199.255", "10.0.0.1", "192.168.100.200", "255.255.255.255"];
    for (let i = 0; i < 2000; i++)
      samples.push(Array.from({ length: 4 }, () => Math.floor(Math.random() * 256)).join("."));
    for (const ip of samples) expect(clientKey(ip), ip).toBe(slow(ip));
    // Not canonical: leading zeros, out of range, padded, too few parts — ipaddr.js decides.
    for (const ip of ["01.2.3.4", "1.2.3.256", " 1.2.3.4", "1.2.3", "1.2.3.4.5", "0x7f.0.0.1"]) {
      expect(clientKey(ip), ip).toBe(ipaddr.isValid(ip.trim()) ? ipaddr.parse(ip.trim()).toString() : "unknown");
    }
    expect(clientKey("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(clientKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(clientKey(undefined)).toBe("unknown");
  });
});

describe("refCodeOf: which requests skip the app", () => {
  const req = (url: string, method = "GET") => new Request(url, { method });

  it("GET and HEAD of /ref/<one segment>, percent-decoded, query and fragment ignored", () => {
    expect(refCodeOf(req("https://go.example.com/ref/ABCDEFGHJK"))).toBe("ABCDEFGHJK");
    expect(refCodeOf(req("https://go.example.com/ref/ABCDEFGHJK", "HEAD"))).toBe("ABCDEFGHJK");
    expect(refCodeOf(req("https://go.example.com/ref/abcdefghjk?utm_source=x&y=/ref/Z#f"))).toBe("abcdefghjk");
    expect(refCodeOf(req("http://localhost:8787/ref/AB%43D"))).toBe("ABCD");
    expect(refCodeOf(req("http://localhost:8787/ref/%E0%A4%A"))).toBe("%E0%A4%A");
  });

  it("everything else goes to the app (which answers /continue, other methods and unknown paths)", () => {
    for (const url of [
      "https://go.example.com/ref/ABCDEFGHJK/continue?t=x",
      "https://go.example.com/ref/ABCDEFGHJK/",
      "https://go.example.com/ref/",
      "https://go.example.com/ref",
      "https://go.example.com/v1/api/referral/ABCDEFGHJK",
      "https://go.example.com/refs/ABCDEFGHJK",
      "https://go.example.com/x/ref/ABCDEFGHJK",
      "https://go.example.com/?next=/ref/ABCDEFGHJK",
    ]) {
      expect(refCodeOf(req(url)), url).toBeNull();
    }
    expect(refCodeOf(req("https://go.example.com/ref/ABCDEFGHJK", "POST"))).toBeNull();
  });
});
