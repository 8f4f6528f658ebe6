import { createRoute } from "@hono/zod-openapi";
import { API_KEY_SECURITY, errorResponses, jsonContent } from "../../lib/openapi";
import { EmailList, EmailListQuery } from "./emails.schemas";

const tags = ["Link API"];
const security = API_KEY_SECURITY;

export const list = createRoute({
  method: "get",
  path: "/",
  tags,
  security,
  summary: "The email outbox, newest first: what was sent, captured, is queued or failed (secret key)",
  request: { query: EmailListQuery },
  responses: { 200: jsonContent(EmailList, "Emails"), ...errorResponses(400, 401, 403) },
});
