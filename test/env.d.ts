declare namespace Cloudflare {
  interface Env {
    /** Set by vitest.config.ts: which database the gateway runs on ("pglite" | "postgres"). */
    DATABASE_BACKEND: string;
  }
}
