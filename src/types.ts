import type { Settings } from "./appspaces/settings";
import type { KeyType } from "./auth/keys";
import type { Config } from "./config";
import type { Db } from "./db/client";
import type { ClickMessage } from "./services/clicks";
import type { EmailMessage } from "./services/email-outbox";
import type { WebhookMessage } from "./services/webhook-outbox";

/**
 * The Worker's bindings, typed once: the generated `CloudflareBindings` (wrangler types) knows
 * the queues only as `Queue<unknown>`; here they carry the messages this Worker sends on them.
 */
export interface Bindings extends Omit<CloudflareBindings, "WEBHOOKS" | "CLICKS" | "EMAILS"> {
  WEBHOOKS: Queue<WebhookMessage>;
  CLICKS: Queue<ClickMessage>;
  EMAILS: Queue<EmailMessage>;
}

/** What an authenticated API request knows about its caller. */
export interface ApiCaller {
  keyId: string;
  keyType: KeyType;
  appspace: { id: string; name: string; domains: string[]; settings: Settings; identitySecret: string | null };
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    config: Config;
    db: Db;
    caller: ApiCaller;
    /**
     * Set by a handler whose answer says "not now, retry" (an order_id another request is still
     * converting): the Idempotency-Key layer must not store it as the key's final answer.
     */
    transientAnswer?: boolean;
  };
}
