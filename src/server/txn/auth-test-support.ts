/**
 * A fake {@link AuthGate} for the unit tests of the request paths (txn,
 * lease, watch, concurrency): users named by tokens, each allowed a few key
 * prefixes, a log of what was asked, tokens whose resolution the test holds,
 * and `change()` to move the auth revision and tell the listeners. Its rules
 * are deliberately simple (a user may read and write under its prefixes;
 * `root` may do everything; a caller resolved before the last change is
 * "old", as in the real store); the real rules are tested in src/auth. Not used
 * by production code.
 * @module
 */
import type { AuthInfo } from "../../auth/index.js";
import type { RequestOp, TxnRequest } from "../../gen/etcdserverpb/rpc.js";
import { prefixEnd } from "../../pkg/bytes.js";
import { EtcdError } from "../../pkg/errors.js";
import type { AuthGate, LeaseAccess } from "../auth/gate.js";
import type { Credentials } from "../auth/credentials.js";
import type { Cancellation } from "../api.js";

export const creds = (token: string): Credentials => ({ token, commonName: undefined });

/** Callers waiting for a held token. */
type Waiters = ((info: AuthInfo) => void)[];

export class FakeGate implements AuthGate {
  enabled = true;
  revision = 1n;
  /** Every call, in order: "identify", "checkRange k", "checkTxn", "checkLeaseKeys 5 write", … */
  readonly asked: string[] = [];
  /** The cancellation each identify was given. */
  readonly signals: (Cancellation | undefined)[] = [];
  /** token → user */
  readonly tokens = new Map<string, string>();
  /** user → the key prefixes it may read and write */
  readonly grants = new Map<string, string[]>();
  /** lease id → its keys */
  readonly leaseKeys = new Map<bigint, string[]>();
  readonly #held = new Map<string, Waiters>();
  readonly #listeners = new Set<() => void>();

  /** A user with its token `<name>-token` and the given prefixes. */
  user(name: string, ...prefixes: string[]): Credentials {
    this.tokens.set(`${name}-token`, name);
    this.grants.set(name, prefixes);
    return creds(`${name}-token`);
  }

  /** `token` resolves (to `user`) only when the returned function is called: identify answers a promise until then. */
  hold(token: string, user: string): () => void {
    const waiters: Waiters = [];
    this.#held.set(token, waiters);
    return () => {
      this.#held.delete(token);
      this.tokens.set(token, user);
      for (const w of waiters) w({ username: user, revision: this.revision });
    };
  }

  /** Applies `edit` as one auth store change: the revision moves and listeners are told. */
  change(edit: () => void = () => {}): void {
    edit();
    this.revision++;
    for (const l of [...this.#listeners]) l();
  }

  get listeners(): number {
    return this.#listeners.size;
  }

  identify(c: Credentials | undefined, signal?: Cancellation): AuthInfo | undefined | Promise<AuthInfo | undefined> {
    this.asked.push("identify");
    this.signals.push(signal);
    const token = c?.token;
    if (token === undefined) return c?.commonName === undefined ? undefined : { username: c.commonName, revision: this.revision };
    const waiters = this.#held.get(token);
    if (waiters !== undefined) return new Promise((resolve) => waiters.push(resolve));
    const username = this.tokens.get(token);
    if (username === undefined) throw new EtcdError("InvalidAuthToken");
    return { username, revision: this.revision };
  }

  checkRange(info: AuthInfo | undefined, key: Uint8Array, rangeEnd: Uint8Array): void {
    this.asked.push(`checkRange ${Buffer.from(key).toString("latin1")}`);
    this.#require(info, key, rangeEnd);
  }

  checkTxn(info: AuthInfo | undefined, txn: TxnRequest): void {
    this.asked.push("checkTxn");
    for (const c of txn.compare) this.#require(info, c.key, c.rangeEnd);
    for (const op of [...txn.success, ...txn.failure]) this.#requireOp(info, op);
  }

  checkAdmin(info: AuthInfo | undefined): void {
    this.asked.push("checkAdmin");
    if (info === undefined) throw new EtcdError("UserEmpty");
    if (info.username !== "root") throw new EtcdError("PermissionDenied");
  }

  checkLeaseKeys(info: AuthInfo | undefined, id: bigint, access: LeaseAccess): void {
    this.asked.push(`checkLeaseKeys ${id} ${access}`);
    if (info === undefined) throw new EtcdError("UserEmpty");
    for (const k of this.leaseKeys.get(id) ?? []) this.#require(info, Buffer.from(k), Buffer.alloc(0));
  }

  checkAllLeases(info: AuthInfo | undefined): void {
    this.asked.push("checkAllLeases");
    if (info === undefined) throw new EtcdError("UserEmpty");
    for (const keys of this.leaseKeys.values()) for (const k of keys) this.#require(info, Buffer.from(k), Buffer.alloc(0));
  }

  onChange(listener: () => void): () => void {
    const l = (): void => listener();
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  #requireOp(info: AuthInfo | undefined, op: RequestOp): void {
    const r = op.request;
    if (r === undefined) return;
    if (r.$case === "requestTxn") this.checkTxn(info, r.value);
    else if (r.$case === "requestPut") this.#require(info, r.value.key, Buffer.alloc(0));
    else this.#require(info, r.value.key, r.value.rangeEnd);
  }

  /** [key, rangeEnd) — a point when rangeEnd is empty, from-key when it is "\0" — lies under one of the user's prefixes. */
  #require(info: AuthInfo | undefined, key: Uint8Array, rangeEnd: Uint8Array): void {
    if (info === undefined) throw new EtcdError("UserEmpty");
    if (info.revision < this.revision) throw new EtcdError("AuthOldRevision");
    if (info.username === "root") return;
    const prefixes = this.grants.get(info.username);
    if (prefixes === undefined) throw new EtcdError("UserNotFound");
    const k = Buffer.from(key);
    const end = Buffer.from(rangeEnd);
    const fromKey = end.length === 1 && end[0] === 0;
    const permitted = prefixes.some((p) => {
      const start = Buffer.from(p, "latin1");
      const limit = prefixEnd(start);
      const unbounded = limit.length === 1 && limit[0] === 0;
      if (k.compare(start) < 0 || (!unbounded && k.compare(limit) >= 0)) return false;
      if (end.length === 0) return true;
      if (fromKey) return unbounded;
      return unbounded || end.compare(limit) <= 0;
    });
    if (!permitted) throw new EtcdError("PermissionDenied");
  }
}
