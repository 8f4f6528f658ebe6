import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import * as repo from "../../db/emails";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { normalizeEmail } from "../../link-api/email-address";
import type { AppEnv } from "../../types";
import type * as routes from "./emails.routes";

type Handler<R extends RouteConfig> = RouteHandler<R, AppEnv>;

export const list: Handler<typeof routes.list> = async (c) => {
  const q = c.req.valid("query");
  const rows = await repo.listEmails(c.var.db, {
    appspaceId: c.var.caller.appspace.id,
    to: q.to === undefined ? undefined : normalizeEmail(q.to),
    status: q.status,
    limit: q.limit + 1,
    after: decodeCursor(q.cursor),
  });
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return c.json(
    {
      emails: page.map(({ cursor_at: _, ...email }) => email),
      next_cursor: rows.length > q.limit && last ? encodeCursor({ createdAt: last.cursor_at, id: last.id }) : null,
    },
    200,
  );
};
