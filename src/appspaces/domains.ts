import { z } from "@hono/zod-openapi";

// A DNS hostname (RFC 1123 labels), at least two labels, no scheme/port/path: it is used to
// build https://<domain>/ref/<code> and to identify the appspace from a link's Host header.
// The last label must contain a letter, which rules out IPv4 literals.
const HOSTNAME =
  /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.(?=[a-z0-9-]*[a-z])(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export const domainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(HOSTNAME, "must be a hostname such as links.example.com (no scheme, port or path)");

export const domainsSchema = z
  .array(domainSchema)
  .max(20)
  .refine((list) => new Set(list).size === list.length, "must not repeat a domain");
