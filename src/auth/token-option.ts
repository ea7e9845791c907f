/**
 * The --auth-token flag: "simple" (the default) or
 * "jwt,sign-method=…,pub-key=…,priv-key=…,ttl=…", split as etcd splits it
 * (comma-separated key=value pairs, a repeated key or a pair without "="
 * is "auth: invalid auth options").
 * @module
 */
import type { JwtOptions } from "./jwt.js";

export type AuthTokenSpec = { readonly kind: "simple" } | { readonly kind: "jwt"; readonly options: JwtOptions };

/** A bad --auth-token or JWT key: the member does not start; the message is etcd's. */
export class AuthConfigError extends Error {
  override readonly name = "AuthConfigError";
}

export function parseAuthTokenOption(_value: string): AuthTokenSpec {
  throw new Error("src/auth: not built yet");
}
