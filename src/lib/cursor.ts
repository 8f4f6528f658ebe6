import { badRequest } from "./errors";

/**
 * Keyset pagination cursors: the last row's (created_at, id), opaque to callers (base64url JSON).
 * A cursor that doesn't decode is the caller's 400, naming `cursor`.
 */
export interface Cursor {
  createdAt: string;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return btoa(JSON.stringify([c.createdAt, c.id]))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

export function decodeCursor(value: string | undefined): Cursor | undefined {
  if (value === undefined) return undefined;
  try {
    const [createdAt, id] = JSON.parse(atob(value.replace(/-/g, "+").replace(/_/g, "/"))) as unknown[];
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (
      typeof createdAt === "string" &&
      // A timestamp as Postgres writes one (what encodeCursor was given), not anything Date.parse takes.
      /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)$/.test(createdAt) &&
      !Number.isNaN(Date.parse(createdAt)) &&
      typeof id === "string" &&
      uuid.test(id)
    ) {
      return { createdAt, id };
    }
  } catch {
    // falls through to the 400
  }
  throw badRequest("cursor: not a cursor this API returned", { field: "cursor" });
}
