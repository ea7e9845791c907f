/**
 * `--auth-token`: `simple`, `jwt,<key>=<value>,...`, or empty (no token
 * provider). etcd checks this when the server starts (auth.NewTokenProvider);
 * we check the same things up front, except reading the key files.
 * @module
 */
import type { AuthTokenConfig } from "./config.js";
import { nsToMs, parseGoDuration } from "./go-value.js";

export const ERR_INVALID_AUTH_OPTS = "auth: invalid auth options";
export const ERR_INVALID_AUTH_METHOD = "auth: invalid auth signature method";
export const ERR_MISSING_KEY = "auth: missing key data";

/** JWT signing methods etcd 3.4 accepts (jwt-go's names; EdDSA is not among them, nor in src/auth). */
export const JWT_SIGN_METHODS: ReadonlySet<string> = new Set([
  "HS256",
  "HS384",
  "HS512",
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
]);

const DEFAULT_JWT_TTL_MS = 5 * 60 * 1000;

/** Parses the flag; returns the typed value or etcd's error text. */
export function parseAuthToken(text: string): AuthTokenConfig | { error: string } {
  const parts = text.split(",");
  const type = parts[0] ?? "";
  const options: Record<string, string> = {};
  for (const part of parts.slice(1)) {
    const pair = part.split("=");
    if (pair.length !== 2) return { error: ERR_INVALID_AUTH_OPTS };
    const [key, value] = pair as [string, string];
    if (Object.hasOwn(options, key)) return { error: ERR_INVALID_AUTH_OPTS };
    options[key] = value;
  }
  switch (type) {
    case "simple":
      return Object.freeze({ type: "simple", options: Object.freeze(options), jwtTtlMs: 0, text });
    case "":
      return Object.freeze({ type: "none", options: Object.freeze(options), jwtTtlMs: 0, text });
    case "jwt":
      return parseJwt(options, text);
    default:
      return { error: ERR_INVALID_AUTH_OPTS };
  }
}

function parseJwt(options: Record<string, string>, text: string): AuthTokenConfig | { error: string } {
  let ttlMs = DEFAULT_JWT_TTL_MS;
  const ttl = options["ttl"] ?? "";
  if (ttl !== "") {
    const ns = parseGoDuration(ttl);
    if (typeof ns !== "bigint") return { error: ns.error };
    ttlMs = nsToMs(ns);
  }
  const method = options["sign-method"] ?? "";
  if (!JWT_SIGN_METHODS.has(method)) return { error: ERR_INVALID_AUTH_METHOD };
  const hasPrivate = (options["priv-key"] ?? "") !== "";
  const hasPublic = (options["pub-key"] ?? "") !== "";
  const needsKey = method.startsWith("HS") ? !hasPrivate : !hasPrivate && !hasPublic;
  if (needsKey) return { error: ERR_MISSING_KEY };
  return Object.freeze({ type: "jwt", options: Object.freeze(options), jwtTtlMs: ttlMs, text });
}
