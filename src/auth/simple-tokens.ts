/**
 * etcd's simple tokens: "<16 random letters>.<raft index>", registered on
 * every member when the Authenticate entry is applied, valid for
 * --auth-token-ttl after their last use (each use renews), dropped when
 * their user is deleted or changes password, and all of them when auth is
 * disabled. Time comes from the injected clock; `expire` is called by the
 * server's ticker (etcd sweeps every second).
 * @module
 */
import { randomInt } from "node:crypto";
import type { Clock } from "../pkg/clock.js";

/** etcd's default --auth-token-ttl, in seconds. */
export const DEFAULT_SIMPLE_TOKEN_TTL_SECONDS = 300;

export interface SimpleTokensOptions {
  ttlMs: number;
  clock: Pick<Clock, "nowMs">;
}

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PREFIX_LENGTH = 16;
const MAX_INDEX = (1n << 63n) - 1n;

interface Assigned {
  readonly user: string;
  /** Clock ms after which the token is gone. */
  expiresAtMs: number;
}

export class SimpleTokens {
  readonly #ttlMs: number;
  readonly #clock: Pick<Clock, "nowMs">;
  readonly #tokens = new Map<string, Assigned>();

  constructor(options: SimpleTokensOptions) {
    this.#ttlMs = options.ttlMs;
    this.#clock = options.clock;
  }

  /** 16 letters from a cryptographic random source (unpredictable: it is a credential). */
  static newPrefix(): string {
    let prefix = "";
    for (let i = 0; i < PREFIX_LENGTH; i++) prefix += LETTERS[randomInt(LETTERS.length)];
    return prefix;
  }

  /** The raft index a token names, or undefined when it is not "<prefix>.<index>". */
  static indexOf(token: string): bigint | undefined {
    const parts = token.split(".");
    if (parts.length !== 2) return undefined;
    // Go's strconv.Atoi: an optional sign, decimal digits. A negative index names no entry.
    const digits = /^\+?(\d{1,20})$/.exec(parts[1]!)?.[1];
    if (digits === undefined) return undefined;
    const index = BigInt(digits);
    return index <= MAX_INDEX ? index : undefined;
  }

  /** Registers `token` for `user` (applying an Authenticate entry). */
  assign(token: string, user: string): void {
    // Each token carries its own raft index: a second assignment means a replayed entry went wrong (etcd panics).
    if (this.#tokens.has(token)) throw new Error(`simple token ${token} is already assigned`);
    this.#tokens.set(token, { user, expiresAtMs: this.#clock.nowMs() + this.#ttlMs });
  }

  /** The token's user, renewing its TTL; undefined when unknown or expired. */
  lookup(token: string): string | undefined {
    const assigned = this.#tokens.get(token);
    if (assigned === undefined) return undefined;
    const now = this.#clock.nowMs();
    if (now > assigned.expiresAtMs) {
      this.#tokens.delete(token);
      return undefined;
    }
    assigned.expiresAtMs = now + this.#ttlMs;
    return assigned.user;
  }

  invalidateUser(user: string): void {
    for (const [token, assigned] of this.#tokens) if (assigned.user === user) this.#tokens.delete(token);
  }

  /** Drops every token (auth disabled). */
  clear(): void {
    this.#tokens.clear();
  }

  /** Drops tokens unused for longer than the TTL. */
  expire(nowMs: number): void {
    for (const [token, assigned] of this.#tokens) if (nowMs > assigned.expiresAtMs) this.#tokens.delete(token);
  }

  get size(): number {
    return this.#tokens.size;
  }
}
