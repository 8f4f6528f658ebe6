import { call, createAppspace, type TestAppspace, uniqueDomain } from "./api";

/** Link API fixtures: an appspace with a domain and a promotion, through the public API. */

export const uniqueEmail = (label = "ann") => `${label}.${crypto.randomUUID().slice(0, 8)}@example.com`;

export async function createPromotion(
  space: TestAppspace,
  body: Record<string, unknown> = {},
): Promise<Record<string, unknown> & { id: string }> {
  const res = await call<Record<string, unknown> & { id: string }>("POST", "/v1/api/promotions", {
    key: space.sk,
    body: { name: "Spring", target_url: "https://shop.example.com/welcome", ...body },
  });
  if (res.status !== 201) throw new Error(`createPromotion: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function linkApiSpace(
  promotion: Record<string, unknown> = {},
  settings: Record<string, unknown> = {},
): Promise<{ space: TestAppspace; domain: string; promotionId: string }> {
  const domain = uniqueDomain("go");
  const space = await createAppspace({ domains: [domain], settings });
  const created = await createPromotion(space, promotion);
  return { space, domain, promotionId: created.id };
}

export interface LinkResponse {
  user: { id: string; email: string; created: boolean };
  link: { code: string; url: string | null; created: boolean };
  promotion_id: string;
  reward_receiver: string;
  target_url: string;
  email: { status: "queued" | "skipped" };
  error?: string;
  field?: string;
  code?: string;
}

export async function createLink(space: TestAppspace, body: Record<string, unknown>, headers?: Record<string, string>) {
  return call<LinkResponse>("POST", "/v1/api/links", {
    key: space.sk,
    body: { consent: true, ...body },
    headers,
  });
}
