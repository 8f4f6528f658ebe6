/**
 * Email identity for the Link API. A user is identified by email alone, so two forms matter:
 *
 * - `normalizeEmail`: the identity (trimmed, lower-cased). "Ann@Example.com " and "ann@example.com"
 *   are one user. Nothing more is folded here: at most providers `a+b@` and `ab@` really are different
 *   mailboxes, and erasure or export must find exactly the address the customer gave.
 * - `canonicalEmail`: the mailbox a person controls, for the self-referral rule only: `+tags` removed,
 *   and at Gmail (gmail.com, googlemail.com), dots removed and the domain unified, so
 *   `J.Doe+x@GoogleMail.com` is `jdoe@gmail.com`.
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const GMAIL_DOMAINS = new Set(["gmail.com", "googlemail.com"]);

export function canonicalEmail(email: string): string {
  const normalized = normalizeEmail(email);
  const at = normalized.lastIndexOf("@");
  if (at < 0) return normalized;
  let local = normalized.slice(0, at);
  let domain = normalized.slice(at + 1);
  const plus = local.indexOf("+");
  if (plus >= 0) local = local.slice(0, plus);
  if (GMAIL_DOMAINS.has(domain)) {
    local = local.replace(/\./g, "");
    domain = "gmail.com";
  }
  return `${local}@${domain}`;
}
