/**
 * etcd's JWT tokens: claims {username, revision, exp}, signed with the
 * configured method (RS256/384/512, PS256/384/512, ES256/384/512,
 * HS256/384/512) and key files; a member given only the public key verifies
 * but cannot issue ("token signing attempted with verify-only key"). Every
 * member configured with the same keys accepts tokens any of them issued.
 * @module
 */
import type { AuthInfo } from "./auth-info.js";

/** etcd's default JWT ttl (5 minutes). */
export const DEFAULT_JWT_TTL_MS = 5 * 60 * 1000;

/** The options of `--auth-token jwt,…`: sign-method, pub-key, priv-key, ttl. */
export type JwtOptions = Readonly<Record<string, string>>;

const NOT_BUILT = "src/auth: not built yet";

export class JwtTokens {
  /** Reads the key files; throws AuthConfigError (etcd's message) on a bad method, a missing or mismatched key. */
  static fromOptions(_options: JwtOptions): JwtTokens {
    throw new Error(NOT_BUILT);
  }

  /** Ttl of issued tokens, in ms. */
  get ttlMs(): number {
    throw new Error(NOT_BUILT);
  }

  /** Throws EtcdError InvalidAuthMgmt-free Error "token signing attempted with verify-only key" without a private key. */
  sign(_username: string, _revision: bigint, _nowMs: number): string {
    throw new Error(NOT_BUILT);
  }

  /** The claims of a token signed with our key and method and not expired at `nowMs`; undefined otherwise. */
  verify(_token: string, _nowMs: number): AuthInfo | undefined {
    throw new Error(NOT_BUILT);
  }
}
