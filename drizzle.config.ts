import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
  casing: "snake_case",
  // Only `drizzle-kit migrate` (applying to Neon) needs a connection string.
  dbCredentials: { url: process.env.DATABASE_URL ?? "" },
});
