/**
 * The member's token side, one kind per member as etcd has one token
 * provider: simple tokens (kept in memory, registered when an Authenticate
 * entry is applied) or JWTs (signed by the member that answers, verified by
 * any member with the same keys).
 * @module
 */
import { JwtTokens, SimpleTokens } from "../../auth/index.js";
import type { Clock } from "../../pkg/clock.js";
import type { Logger } from "../../pkg/logger.js";
import type { AuthSettings } from "../config.js";

export type AuthTokens = { readonly kind: "simple"; readonly simple: SimpleTokens } | { readonly kind: "jwt"; readonly jwt: JwtTokens };

/** Builds the token side `settings` name (throws AuthConfigError for bad JWT options or keys). */
export function buildAuthTokens(settings: AuthSettings, clock: Pick<Clock, "nowMs">, logger: Logger): AuthTokens {
  if (settings.token.kind === "jwt") {
    const jwt = JwtTokens.fromOptions(settings.token.options);
    // etcd warns and goes on.
    if (jwt.ignoredOptions.length > 0) logger.warn({ keys: jwt.ignoredOptions }, "unknown JWT options");
    return { kind: "jwt", jwt };
  }
  return { kind: "simple", simple: new SimpleTokens({ ttlMs: settings.simpleTokenTtlMs, clock }) };
}

/** A user was deleted or changed password: its simple tokens stop working (a JWT lives until it expires, as in etcd). */
export function dropUserTokens(tokens: AuthTokens, user: string): void {
  if (tokens.kind === "simple") tokens.simple.invalidateUser(user);
}

/** Auth was disabled (or a snapshot turned it off): every simple token goes. */
export function dropAllTokens(tokens: AuthTokens): void {
  if (tokens.kind === "simple") tokens.simple.clear();
}
