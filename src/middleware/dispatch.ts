import { createMiddleware } from "hono/factory";
import { log } from "../lib/log";
import { dispatchOutbox } from "../services/webhook-outbox";
import type { AppEnv } from "../types";

/**
 * After a successful write, move the appspace's fresh outbox events onto the webhook queue —
 * after the response is sent (`waitUntil`), so callers never wait for it. If this is lost, the
 * cron sweep sends the events later. GETs write nothing, except where `includeGet` says they do
 * (a deferred-link claim).
 */
export function dispatchEventsAfterWrite(options: { includeGet?: boolean } = {}) {
  return createMiddleware<AppEnv>(async function dispatchEventsAfterWrite(c, next) {
    await next();
    if ((c.req.method === "GET" && !options.includeGet) || c.res.status >= 300) return;
    const appspaceId = c.get("caller")?.appspace.id;
    if (!appspaceId) return;
    c.executionCtx.waitUntil(
      dispatchOutbox(c.var.db, c.env.WEBHOOKS, { appspaceId }).catch((error: unknown) =>
        log.error("outbox dispatch failed", { requestId: c.var.requestId, error }),
      ),
    );
  });
}
