/**
 * The auth flags (--auth-token, --auth-token-ttl, --bcrypt-cost) as the
 * server takes them. The CLI has already refused what etcd refuses and put
 * --bcrypt-cost in range (src/cli/etcd); the --auth-token text is parsed
 * here once more by src/auth, the one owner of its meaning, whose
 * AuthConfigError (etcd's message) stops the member.
 * @module
 */
import { parseAuthTokenOption } from "../auth/index.js";
import type { EtcdConfig } from "../cli/etcd/index.js";
import type { AuthSettings } from "../server/config.js";

/** Throws AuthConfigError for an --auth-token src/auth refuses. */
export function authSettings(config: Pick<EtcdConfig, "authToken" | "authTokenTtlSeconds" | "bcryptCost">): AuthSettings {
  return {
    token: parseAuthTokenOption(config.authToken.text),
    simpleTokenTtlMs: config.authTokenTtlSeconds * 1000,
    bcryptCost: config.bcryptCost,
  };
}
