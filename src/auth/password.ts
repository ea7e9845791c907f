/**
 * Password hashing with bcrypt (the format etcd stores, so users survive a
 * snapshot moved between etcd and us), off the event loop: a small pool of
 * worker threads hashes and compares, so a burst of logins or a high
 * --bcrypt-cost never stalls other clients.
 * @module
 */

/** etcd's default --bcrypt-cost (Go's bcrypt.DefaultCost). */
export const DEFAULT_BCRYPT_COST = 10;
export const MIN_BCRYPT_COST = 4;
export const MAX_BCRYPT_COST = 31;

export interface PasswordHasher {
  /** A bcrypt hash ("$2a$<cost>$…") of `password` at the configured cost. */
  hash(password: string): Promise<string>;
  /** True when `password` matches `hash`. A malformed hash is a mismatch. */
  verify(password: string, hash: string): Promise<boolean>;
  /** Stops the worker threads. */
  close(): Promise<void>;
}

export interface PasswordHasherOptions {
  cost: number;
  /** Worker threads (default: 2). */
  threads?: number;
}

export function createPasswordHasher(_options: PasswordHasherOptions): PasswordHasher {
  throw new Error("src/auth: not built yet");
}

/**
 * Hashes on the calling thread. Only for applying an entry etcd 3.4 wrote
 * (its UserAdd and UserChangePassword carry the password, not the hash).
 */
export function hashPasswordSync(_password: string, _cost: number): string {
  throw new Error("src/auth: not built yet");
}
