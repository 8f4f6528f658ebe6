import { createRoute } from "@hono/zod-openapi";
import { API_KEY_SECURITY, errorResponses, jsonBody, jsonContent } from "../../lib/openapi";
import {
  CreatePromotionBody,
  Promotion,
  PromotionIdParam,
  PromotionList,
  PromotionListQuery,
  UpdatePromotionBody,
} from "./promotions.schemas";

const tags = ["Link API"];
const security = API_KEY_SECURITY;

export const create = createRoute({
  method: "post",
  path: "/",
  tags,
  security,
  summary: "Create a promotion (secret key)",
  request: jsonBody(CreatePromotionBody),
  responses: { 201: jsonContent(Promotion, "The promotion"), ...errorResponses(400, 401, 403) },
});

export const list = createRoute({
  method: "get",
  path: "/",
  tags,
  security,
  summary: "List promotions, newest first (secret key)",
  request: { query: PromotionListQuery },
  responses: { 200: jsonContent(PromotionList, "Promotions"), ...errorResponses(400, 401, 403) },
});

export const get = createRoute({
  method: "get",
  path: "/{id}",
  tags,
  security,
  summary: "Get a promotion (secret key)",
  request: { params: PromotionIdParam },
  responses: { 200: jsonContent(Promotion, "The promotion"), ...errorResponses(400, 401, 403, 404) },
});

export const update = createRoute({
  method: "patch",
  path: "/{id}",
  tags,
  security,
  summary: "Change a promotion (secret key)",
  request: { params: PromotionIdParam, ...jsonBody(UpdatePromotionBody) },
  responses: { 200: jsonContent(Promotion, "The promotion"), ...errorResponses(400, 401, 403, 404) },
});

export const archive = createRoute({
  method: "post",
  path: "/{id}/archive",
  tags,
  security,
  summary: "Archive a promotion: no new links or conversions; shared links keep landing (secret key)",
  request: { params: PromotionIdParam },
  responses: { 200: jsonContent(Promotion, "The archived promotion"), ...errorResponses(400, 401, 403, 404) },
});
