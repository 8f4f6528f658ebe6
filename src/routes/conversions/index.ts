import { createRoute } from "@hono/zod-openapi";
import { API_KEY_SECURITY, errorResponses, jsonBody, jsonContent } from "../../lib/openapi";
import { secretApiRouter } from "../secret-api";
import { convert } from "./conversions.handlers";
import { ConversionBody, ConversionResponse } from "./conversions.schemas";

export const convertRoute = createRoute({
  method: "post",
  path: "/",
  tags: ["Link API"],
  security: API_KEY_SECURITY,
  summary: "Report a sign-up or purchase by aid (or code): the referee's referral advances or completes (secret key)",
  request: jsonBody(ConversionBody),
  responses: {
    200: jsonContent(ConversionResponse, "The conversion and the referral it moved"),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

/** `/v1/api/conversions` — the site reports a sign-up or purchase. */
export const conversionsRouter = secretApiRouter();
conversionsRouter.openapi(convertRoute, convert);
