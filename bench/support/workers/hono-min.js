/**
 * Diagnostic only (bench/support/redirect-ablation.ts): the framework floor — Hono with the same
 * first middleware as src/app.ts (secureHeaders) and one route that answers /ref/:code with the
 * same 302 as the bare Worker. Plain JavaScript: bench/ is type-checked against Node's types.
 */
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";

const app = new Hono();
app.use("*", secureHeaders());
app.get("/ref/:code", (c) => c.redirect("https://example.com/", 302));

export default { fetch: app.fetch };
