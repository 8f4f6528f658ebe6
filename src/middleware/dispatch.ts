import { createMiddleware } from "hono/factory";
import { log } from "../lib/log";
import { dispatchEmails } from "../services/email-outbox";
import { dispatchOutbox } from "../services/webhook-outbox";
import type { AppEnv } from "../types";

/**
 * After a successful write, move the appspace's fresh outbox rows onto their queues — webhook
 * events, and with `emails` the Link API's queued emails — after the response is sent
 * (`waitUntil`), so callers never wait for it. If this is lost, the cron sweep sends them later.
 * GETs write nothing, except where `includeGet` says they do (a deferred-link claim).
 */
export function dispatchAfterWrite(options: { includeGet?: boolean; emails?: boolean } = {}) {
  return createMiddleware<AppEnv>(async function dispatchAfterWrite(c, next) {
    await next();
    if ((c.req.method === "GET" && !options.includeGet) || c.res.status >= 300) return;
    const appspaceId = c.get("caller")?.appspace.id;
    if (!appspaceId) return;
    const failed = (what: string) => (error: unknown) => log.error(what, { requestId: c.var.requestId, error });
    const work: Promise<unknown>[] = [
      dispatchOutbox(c.var.db, c.env.WEBHOOKS, { appspaceId }).catch(failed("outbox dispatch failed")),
    ];
    if (options.emails)
      work.push(dispatchEmails(c.var.db, c.env.EMAILS, appspaceId).catch(failed("email dispatch failed")));
    c.executionCtx.waitUntil(Promise.all(work));
  });
}
