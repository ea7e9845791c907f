/**
 * The auth flags (--auth-token, --auth-token-ttl, --bcrypt-cost) as the
 * server takes them. --auth-token is given its meaning by src/auth, its one
 * owner: the type and options here (an AuthConfigError with etcd's message
 * stops the member), the JWT method and key files when the server builds its
 * token provider. --bcrypt-cost was put in range by the CLI.
 * @module
 */
import { parseAuthTokenOption } from "../auth/index.js";
import type { EtcdConfig } from "../cli/etcd/index.js";
import type { AuthSettings } from "../server/config.js";

/** Throws AuthConfigError for an --auth-token src/auth refuses. */
export function authSettings(config: Pick<EtcdConfig, "authToken" | "authTokenTtlSeconds" | "bcryptCost">): AuthSettings {
  return {
    token: parseAuthTokenOption(config.authToken),
    simpleTokenTtlMs: config.authTokenTtlSeconds * 1000,
    bcryptCost: config.bcryptCost,
  };
}
