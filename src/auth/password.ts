/**
 * Password hashing with bcrypt (the format etcd stores, so users survive a
 * snapshot moved between etcd and us), off the event loop: a small pool of
 * worker threads hashes and compares, so a burst of logins or a high
 * --bcrypt-cost never stalls other clients.
 * @module
 */
import { Piscina } from "piscina";
import { bcryptHash, GO_DEFAULT_COST, isWellFormedHash, MAX_COST, MIN_COST } from "./bcrypt-format.js";
import type { PasswordTask } from "./password-worker.js";

/** The worker module beside this one (dist/src/auth/password-worker.js once built). */
const WORKER_URL = new URL("./password-worker.js", import.meta.url).href;

/** etcd's default --bcrypt-cost (Go's bcrypt.DefaultCost). */
export const DEFAULT_BCRYPT_COST = GO_DEFAULT_COST;
export const MIN_BCRYPT_COST = MIN_COST;
export const MAX_BCRYPT_COST = MAX_COST;

export interface PasswordHasher {
  /** A bcrypt hash ("$2a$<cost>$…") of `password` at the configured cost. */
  hash(password: string): Promise<string>;
  /** True when `password` matches `hash`. A malformed hash is a mismatch. */
  verify(password: string, hash: string): Promise<boolean>;
  /** Stops the worker threads. */
  close(): Promise<void>;
}

export interface PasswordHasherOptions {
  /** bcrypt cost; outside [MIN_BCRYPT_COST, MAX_BCRYPT_COST] the default is used, as etcd does. */
  cost: number;
  /** Worker threads (default: 2). */
  threads?: number;
}

const DEFAULT_THREADS = 2;

/**
 * A hasher whose pool of `threads` workers starts with the first hash or
 * verify (a server that never sees a password starts no thread) and ends
 * with `close()`.
 */
export function createPasswordHasher(options: PasswordHasherOptions): PasswordHasher {
  const cost = storeCost(options.cost);
  const threads = options.threads ?? DEFAULT_THREADS;
  let pool: Piscina<PasswordTask, string | boolean> | undefined;
  let closed = false;

  const run = (task: PasswordTask): Promise<string | boolean> => {
    if (closed) return Promise.reject(new Error("password hasher is closed"));
    // Threads stay up between tasks (a login burst must not pay thread start-up) and are unref'd while idle.
    pool ??= new Piscina({ filename: WORKER_URL, minThreads: threads, maxThreads: threads, idleTimeout: Infinity });
    return pool.run(task);
  };

  return {
    async hash(password) {
      return (await run({ op: "hash", password, cost })) as string;
    },
    async verify(password, hash) {
      // A malformed hash needs no thread: it can never match.
      if (!isWellFormedHash(hash)) return false;
      return (await run({ op: "verify", password, hash })) as boolean;
    },
    async close() {
      closed = true;
      const running = pool;
      pool = undefined;
      await running?.destroy();
    },
  };
}

/**
 * Hashes on the calling thread. Only for applying an entry etcd 3.4 wrote
 * (its UserAdd and UserChangePassword carry the password, not the hash).
 */
export function hashPasswordSync(password: string, cost: number): string {
  return bcryptHash(password, storeCost(cost));
}

/** etcd's NewAuthStore: a cost outside bcrypt's range falls back to the default (the flag layer warns). */
function storeCost(cost: number): number {
  return Number.isInteger(cost) && cost >= MIN_BCRYPT_COST && cost <= MAX_BCRYPT_COST ? cost : DEFAULT_BCRYPT_COST;
}
