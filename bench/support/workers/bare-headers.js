/**
 * Diagnostic only (bench/support/redirect-ablation.ts): the bare 302 Worker with the product's
 * security headers (the ones /ref/:code's redirect carries), to price those headers alone.
 */
import { SECURITY_HEADERS } from "../../../src/lib/security-headers";

export default {
  fetch: () => new Response(null, { status: 302, headers: { ...SECURITY_HEADERS, location: "https://example.com/" } }),
};
