import { createRoute } from "@hono/zod-openapi";
import { API_KEY_SECURITY, errorResponses, jsonBody, jsonContent } from "../../lib/openapi";
import {
  CreateLinkBody,
  CreateLinkResponse,
  LinkCodeParam,
  LinkDetail,
  User,
  UserExport,
  UserIdParam,
  UserQuery,
} from "./link-api.schemas";

const tags = ["Link API"];
const security = API_KEY_SECURITY;

export const createLink = createRoute({
  method: "post",
  path: "/",
  tags,
  security,
  summary: "Sign up a user by email, create or reuse their link for a promotion, queue the email (secret key)",
  request: jsonBody(CreateLinkBody),
  responses: {
    201: jsonContent(CreateLinkResponse, "A new link (and possibly a new user)"),
    200: jsonContent(CreateLinkResponse, "The user's existing link for this promotion"),
    ...errorResponses(400, 401, 403, 404),
  },
});

export const getLink = createRoute({
  method: "get",
  path: "/{code}",
  tags,
  security,
  summary: "A link with its counts (secret key)",
  request: { params: LinkCodeParam },
  responses: { 200: jsonContent(LinkDetail, "The link"), ...errorResponses(401, 403, 404) },
});

export const getUser = createRoute({
  method: "get",
  path: "/{id}",
  tags,
  security,
  summary: "A Link API user (secret key)",
  request: { params: UserIdParam },
  responses: { 200: jsonContent(User, "The user"), ...errorResponses(400, 401, 403, 404) },
});

export const findUserByEmail = createRoute({
  method: "get",
  path: "/",
  tags,
  security,
  summary: "Find a user by email (exact, normalized; secret key)",
  request: { query: UserQuery },
  responses: { 200: jsonContent(User, "The user"), ...errorResponses(400, 401, 403, 404) },
});

export const exportUser = createRoute({
  method: "get",
  path: "/{id}/export",
  tags,
  security,
  summary: "Everything held about a user, as JSON (secret key)",
  request: { params: UserIdParam },
  responses: {
    200: jsonContent(UserExport, "The user's data"),
    ...errorResponses(400, 401, 403, 404),
  },
});

export const deleteUser = createRoute({
  method: "delete",
  path: "/{id}",
  tags,
  security,
  summary: "Erase a user: personal data removed everywhere, aggregate counts kept (secret key)",
  request: { params: UserIdParam },
  responses: { 204: { description: "Erased" }, ...errorResponses(400, 401, 403, 404) },
});
