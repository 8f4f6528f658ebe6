import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import type { Db } from "./client";
import { promotions } from "./schema";

/** Promotions (Link API campaigns), always scoped to the caller's appspace. */

export type PromotionRow = typeof promotions.$inferSelect;

export type PromotionInput = Omit<typeof promotions.$inferInsert, "id" | "appspaceId" | "createdAt" | "updatedAt">;

export async function createPromotion(db: Db, appspaceId: string, p: PromotionInput): Promise<PromotionRow> {
  const [row] = await db
    .insert(promotions)
    .values({ ...p, appspaceId })
    .returning();
  if (!row) throw new Error("insert returned no promotion");
  return row;
}

export async function getPromotion(db: Db, appspaceId: string, id: string): Promise<PromotionRow | undefined> {
  const [row] = await db
    .select()
    .from(promotions)
    .where(and(eq(promotions.appspaceId, appspaceId), eq(promotions.id, id)));
  return row;
}

/** Newest first, keyset-paginated by (created_at, id). */
export async function listPromotions(
  db: Db,
  p: { appspaceId: string; limit: number; after?: { createdAt: string; id: string }; includeArchived: boolean },
): Promise<PromotionRow[]> {
  const conditions = [eq(promotions.appspaceId, p.appspaceId)];
  if (!p.includeArchived) conditions.push(sql`${promotions.archivedAt} is null`);
  if (p.after) {
    const { createdAt, id } = p.after;
    const older = or(
      lt(promotions.createdAt, createdAt),
      and(eq(promotions.createdAt, createdAt), lt(promotions.id, id)),
    );
    if (older) conditions.push(older);
  }
  return db
    .select()
    .from(promotions)
    .where(and(...conditions))
    .orderBy(desc(promotions.createdAt), desc(promotions.id))
    .limit(p.limit);
}

export async function updatePromotion(
  db: Db,
  appspaceId: string,
  id: string,
  p: Partial<PromotionInput>,
): Promise<PromotionRow | undefined> {
  const [row] = await db
    .update(promotions)
    .set({ ...p, updatedAt: sql`now()` })
    .where(and(eq(promotions.appspaceId, appspaceId), eq(promotions.id, id)))
    .returning();
  return row;
}

/** Archives once: a second archive keeps the first time. */
export async function archivePromotion(db: Db, appspaceId: string, id: string): Promise<PromotionRow | undefined> {
  const [row] = await db
    .update(promotions)
    .set({ archivedAt: sql`coalesce(${promotions.archivedAt}, now())`, updatedAt: sql`now()` })
    .where(and(eq(promotions.appspaceId, appspaceId), eq(promotions.id, id)))
    .returning();
  return row;
}
