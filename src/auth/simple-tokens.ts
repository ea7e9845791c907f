/**
 * etcd's simple tokens: "<16 random letters>.<raft index>", registered on
 * every member when the Authenticate entry is applied, valid for
 * --auth-token-ttl after their last use (each use renews), dropped when
 * their user is deleted or changes password, and all of them when auth is
 * disabled. Time comes from the injected clock; `expire` is called by the
 * server's ticker (etcd sweeps every second).
 * @module
 */
import type { Clock } from "../pkg/clock.js";

/** etcd's default --auth-token-ttl, in seconds. */
export const DEFAULT_SIMPLE_TOKEN_TTL_SECONDS = 300;

export interface SimpleTokensOptions {
  ttlMs: number;
  clock: Pick<Clock, "nowMs">;
}

const NOT_BUILT = "src/auth: not built yet";

export class SimpleTokens {
  constructor(_options: SimpleTokensOptions) {
    throw new Error(NOT_BUILT);
  }

  /** 16 letters from a cryptographic random source (unpredictable: it is a credential). */
  static newPrefix(): string {
    throw new Error(NOT_BUILT);
  }

  /** The raft index a token names, or undefined when it is not "<prefix>.<index>". */
  static indexOf(_token: string): bigint | undefined {
    throw new Error(NOT_BUILT);
  }

  /** Registers `token` for `user` (applying an Authenticate entry). */
  assign(_token: string, _user: string): void {
    throw new Error(NOT_BUILT);
  }

  /** The token's user, renewing its TTL; undefined when unknown or expired. */
  lookup(_token: string): string | undefined {
    throw new Error(NOT_BUILT);
  }

  invalidateUser(_user: string): void {
    throw new Error(NOT_BUILT);
  }

  /** Drops every token (auth disabled). */
  clear(): void {
    throw new Error(NOT_BUILT);
  }

  /** Drops tokens unused for longer than the TTL. */
  expire(_nowMs: number): void {
    throw new Error(NOT_BUILT);
  }

  get size(): number {
    throw new Error(NOT_BUILT);
  }
}
