/**
 * The --auth-token flag: "simple" (the default) or
 * "jwt,sign-method=…,pub-key=…,priv-key=…,ttl=…", split as etcd splits it
 * (comma-separated key=value pairs, a repeated key or a pair without "="
 * is "auth: invalid auth options"). The JWT options themselves are checked
 * by JwtTokens.fromOptions.
 * @module
 */
import { AuthConfigError, INVALID_AUTH_OPTIONS } from "./auth-config-error.js";
import type { JwtOptions } from "./jwt.js";

export { AuthConfigError } from "./auth-config-error.js";

export type AuthTokenSpec = { readonly kind: "simple" } | { readonly kind: "jwt"; readonly options: JwtOptions };

/**
 * etcd's decomposeOpts and NewTokenProvider's choice of type. Options after
 * "simple" are split and checked like any others, then unused, as in etcd.
 * The empty type (etcd's no-op provider, with which nobody can log in) is
 * refused here instead.
 */
export function parseAuthTokenOption(value: string): AuthTokenSpec {
  const [type = "", ...pairs] = value.split(",");
  // No prototype: an option named "__proto__" is just a name.
  const options: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of pairs) {
    const parts = pair.split("=");
    if (parts.length !== 2) throw new AuthConfigError(INVALID_AUTH_OPTIONS, `invalid token specific option: ${value}`);
    const [key, v] = parts as [string, string];
    if (Object.hasOwn(options, key)) throw new AuthConfigError(INVALID_AUTH_OPTIONS, `invalid token specific option, duplicated parameters (${key}): ${value}`);
    options[key] = v;
  }
  if (type === "simple") return { kind: "simple" };
  if (type === "jwt") return { kind: "jwt", options };
  throw new AuthConfigError(INVALID_AUTH_OPTIONS, `unknown token type: ${type}`);
}
