import { BASE64URL, hmacHex, randomString, timingSafeEqualStrings } from "../lib/crypto";

/**
 * The AID: the attribution handle a click hands to the landing page (`?aid=`), which the site
 * sends back with a sign-up or purchase (POST /v1/api/conversions).
 *
 *   aid = <code> "." <issued: epoch seconds, base 36> "." <nonce: 16 base64url chars (96 bits)> "." <mac: 32 hex>
 *
 * Fresh per click and stored with the click, but also self-describing and signed (HMAC over the
 * appspace, code, nonce and issue time): a conversion is attributed the moment the visitor lands,
 * without waiting for the click queue to reach Postgres, and an AID can be neither forged nor
 * moved to another code or appspace. Its age decides the promotion's attribution window.
 */
const AID = /^([A-Z0-9]{8,10})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{16})\.([0-9a-f]{32})$/;

const mac = (secret: string, appspaceId: string, code: string, issued: string, nonce: string) =>
  hmacHex(secret, `aid|v1|${appspaceId}|${code}|${issued}|${nonce}`).then((h) => h.slice(0, 32));

/** 16 base64url characters: 96 random bits. */
const nonce = () => randomString(BASE64URL, 16);

export async function mintAid(secret: string, p: { appspaceId: string; code: string; now: number }): Promise<string> {
  const issued = Math.floor(p.now / 1000).toString(36);
  const n = nonce();
  return `${p.code}.${issued}.${n}.${await mac(secret, p.appspaceId, p.code, issued, n)}`;
}

/** The code an AID names, if it has the AID's shape (not yet verified). */
export function aidCode(aid: string): string | null {
  return AID.exec(aid)?.[1] ?? null;
}

/** Verified for this appspace: the code and when the click happened (epoch ms); null if forged or malformed. */
export async function verifyAid(
  secret: string,
  appspaceId: string,
  aid: string,
): Promise<{ code: string; clickedAt: number } | null> {
  const m = AID.exec(aid);
  if (!m) return null;
  const [, code = "", issued = "", n = "", given = ""] = m;
  if (!timingSafeEqualStrings(await mac(secret, appspaceId, code, issued, n), given)) return null;
  return { code, clickedAt: Number.parseInt(issued, 36) * 1000 };
}

/**
 * The landing URL with `aid` added: the target's own query kept byte for byte (a signed or
 * precomputed query string must survive; URLSearchParams would re-encode all of it), an `aid` it
 * already had dropped (the click's own is the one that counts), its fragment kept.
 *
 * Every desktop click of a link lands on the same URL, so the URL is parsed once per isolate into
 * the text before and after the aid; an aid is URL-safe as minted (base36, base64url, hex, dots),
 * so it goes between them as is (anything else is percent-encoded, as `buildWithAid` would).
 */
export function withAid(url: string, aid: string): string {
  let around = landings.get(url);
  if (!around) {
    const built = buildWithAid(url, MARK);
    // The aid is the query's last parameter: right before the fragment, if any.
    const hash = built.indexOf("#");
    const end = hash < 0 ? built.length : hash;
    if (built.slice(end - MARK.length - 4, end) !== `aid=${MARK}`) return buildWithAid(url, aid);
    around = [built.slice(0, end - MARK.length), built.slice(end)];
    if (landings.size >= 256) landings.clear();
    landings.set(url, around);
  }
  return `${around[0]}${AID_SAFE.test(aid) ? aid : encodeURIComponent(aid)}${around[1]}`;
}

const MARK = "AIDMARK";
const AID_SAFE = /^[A-Za-z0-9._-]*$/;
const landings = new Map<string, readonly [string, string]>();

/** The construction `withAid` caches per URL (parse, keep the query byte for byte, append, serialise). */
export function buildWithAid(url: string, aid: string): string {
  const u = new URL(url);
  const kept = u.search
    .slice(1)
    .split("&")
    .filter((part) => part !== "" && part !== "aid" && !part.startsWith("aid="));
  u.search = `?${[...kept, `aid=${encodeURIComponent(aid)}`].join("&")}`;
  return u.toString();
}
