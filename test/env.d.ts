declare namespace Cloudflare {
  interface Env {
    /** Set by vitest.config.ts: which database the gateway runs on ("pglite" | "postgres"). */
    DATABASE_BACKEND: string;
    /** Base URL of the loopback webhook receiver (test/support/node/receiver.ts). */
    RECEIVER_URL: string;
    WEBHOOK_RETRY_DELAYS: string;
  }
}

declare namespace Cloudflare {
  interface GlobalProps {
    /** Types `exports.default` from "cloudflare:workers" in tests. */
    mainModule: typeof import("../src");
  }
}
