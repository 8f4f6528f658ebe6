/**
 * Diagnostic only (bench/support/redirect-ablation.ts): the bare 302 Worker plus one read of
 * `request.cf` (what /ref/:code takes the click's country and city from), to price it alone.
 */
export default {
  fetch(request) {
    const country = request.cf?.country;
    return new Response(null, {
      status: 302,
      headers: { location: "https://example.com/", etag: typeof country === "string" ? country : "-" },
    });
  },
};
