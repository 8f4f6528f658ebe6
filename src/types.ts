import type { Settings } from "./appspaces/settings";
import type { KeyType } from "./auth/keys";
import type { Config } from "./config";
import type { Db } from "./db/client";

/** What an authenticated API request knows about its caller. */
export interface ApiCaller {
  keyId: string;
  keyType: KeyType;
  appspace: { id: string; name: string; domains: string[]; settings: Settings; identitySecret: string | null };
}

export interface AppEnv {
  Bindings: CloudflareBindings;
  Variables: {
    requestId: string;
    config: Config;
    db: Db;
    caller: ApiCaller;
  };
}
