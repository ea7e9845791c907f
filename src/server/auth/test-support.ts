/**
 * Test support for the server's auth parts: a real auth store over a memory
 * backend, simple tokens on a manual clock, and a one-member "log" that
 * encodes each proposal as the proposer does, decodes it back and applies it
 * at the next index — so a test sees exactly what would be replicated. Not
 * used by production code.
 *
 * Also a fake {@link AuthGate} for the unit tests of the request paths (txn,
 * lease, watch, concurrency): users named by tokens, each allowed a few key
 * prefixes, a log of what was asked, tokens whose resolution the test holds,
 * and `change()` to move the auth revision and tell the listeners. Its rules
 * are deliberately simple (a user may read and write under its prefixes;
 * `root` may do everything; a caller resolved before the last change is
 * "old", as in the real store); the real rules are tested in src/auth.
 * @module
 */
import { AuthStore, createPasswordHasher, hashPasswordSync, JwtTokens, SimpleTokens, type AuthInfo, type PasswordHasher } from "../../auth/index.js";
import { InternalRaftRequest } from "../../gen/etcdserverpb/raft_internal.js";
import type { RequestOp, ResponseHeader, TxnRequest } from "../../gen/etcdserverpb/rpc.js";
import { prefixEnd } from "../../pkg/bytes.js";
import { ManualClock } from "../../pkg/clock.js";
import { EtcdError } from "../../pkg/errors.js";
import { nullLogger } from "../../pkg/logger.js";
import { MemoryBackend } from "../../storage/backend/memory-backend.js";
import type { Cancellation, HeaderSource } from "../api.js";
import { AppliedIndex } from "../apply/applied-index.js";
import type { ApplyResult } from "../apply/apply-result.js";
import { encodeProposal, type RaftRequestBody } from "../proposals/codec.js";
import { applyAuthRequest, isAuthRequest, refusedByAuth, type AuthApplyContext } from "./apply.js";
import type { Credentials } from "./credentials.js";
import { createAuthGate, type AuthGate, type LeaseAccess } from "./gate.js";
import type { AuthTokens } from "./tokens.js";

/** The cheapest bcrypt cost: tests hash many passwords. */
export const TEST_BCRYPT_COST = 4;

export const TOKEN_TTL_MS = 300_000;

/** A bcrypt hash as a request proposes it (base64, etcd 3.5's form). */
export function proposedHash(password: string): string {
  return Buffer.from(hashPasswordSync(password, TEST_BCRYPT_COST), "latin1").toString("base64");
}

export interface AuthRigOptions {
  /** JWT options instead of simple tokens. */
  jwt?: Readonly<Record<string, string>>;
}

export class AuthRig {
  readonly clock = new ManualClock(50_000);
  readonly backend = new MemoryBackend();
  readonly store = new AuthStore({ backend: this.backend, logger: nullLogger });
  readonly tokens: AuthTokens;
  readonly applied = new AppliedIndex(10n);
  /** Keys attached to leases, by lease id. */
  readonly leaseKeys = new Map<bigint, Uint8Array[]>();
  readonly ctx: AuthApplyContext;
  readonly gate: AuthGate;
  /** The encoded bytes of every proposal, in order. */
  readonly proposed: Buffer[] = [];
  /** While true, proposals are taken (recorded) but applied only by `release()`. */
  hold = false;
  readonly #held: { data: Buffer; resolve(r: ApplyResult): void }[] = [];
  #nextId = 1n;

  constructor(options: AuthRigOptions = {}) {
    this.tokens = options.jwt !== undefined ? { kind: "jwt", jwt: JwtTokens.fromOptions(options.jwt) } : { kind: "simple", simple: new SimpleTokens({ ttlMs: TOKEN_TTL_MS, clock: this.clock }) };
    const leaseKeys = (id: bigint): readonly Uint8Array[] | undefined => this.leaseKeys.get(id);
    this.ctx = { store: this.store, tokens: this.tokens, leaseKeys, bcryptCost: TEST_BCRYPT_COST };
    this.gate = createAuthGate({ store: this.store, tokens: this.tokens, applied: this.applied, clock: this.clock, leaseKeys, leaseIds: () => this.leaseKeys.keys() });
  }

  /** The proposer the request paths use: encode, record, decode, apply at the next index. */
  readonly proposer = {
    propose: (body: RaftRequestBody, _signal?: Cancellation, auth?: AuthInfo): Promise<ApplyResult> => {
      const { data } = encodeProposal(this.#nextId++, body, auth);
      this.proposed.push(data);
      if (!this.hold) return Promise.resolve(this.applyBytes(data));
      return new Promise((resolve) => this.#held.push({ data, resolve }));
    },
  };

  /** Applies the held proposals in order. */
  release(): void {
    for (const h of this.#held.splice(0)) h.resolve(this.applyBytes(h.data));
  }

  /** Applies `body` as `caller` at the next index, as every member would. */
  apply(body: RaftRequestBody, caller?: AuthInfo): ApplyResult {
    return this.applyBytes(encodeProposal(this.#nextId++, body, caller).data);
  }

  applyBytes(data: Buffer): ApplyResult {
    const req = InternalRaftRequest.decode(data);
    const index = this.applied.value + 1n;
    let result: ApplyResult;
    if (isAuthRequest(req)) result = applyAuthRequest(this.ctx, req, index);
    else {
      const denied = refusedByAuth(this.ctx, req);
      result = denied === undefined ? { ok: true, response: {} } : { ok: false, error: denied };
    }
    this.applied.advance(index);
    return result;
  }

  /** Applies `body` and returns its response; throws the apply error. */
  must(body: RaftRequestBody, caller?: AuthInfo): unknown {
    const r = this.apply(body, caller);
    if (!r.ok) throw r.error;
    return r.response;
  }

  /** root (with the root role, password "rootpw"), user "alice" (password "alicepw", role "reader": read on [a, b)), auth enabled. */
  setUpUsers(): void {
    this.must({ authUserAdd: { name: "root", password: "", hashedPassword: proposedHash("rootpw"), options: undefined } });
    this.must({ authUserGrantRole: { user: "root", role: "root" } });
    this.must({ authUserAdd: { name: "alice", password: "", hashedPassword: proposedHash("alicepw"), options: undefined } });
    this.must({ authRoleAdd: { name: "reader" } });
    this.must({ authRoleGrantPermission: { name: "reader", perm: { permType: 0, key: Buffer.from("a"), rangeEnd: Buffer.from("b") } } });
    this.must({ authUserGrantRole: { user: "alice", role: "reader" } });
    this.must({ authEnable: {} });
  }

  /** The caller `name` at the store's current revision. */
  as(name: string): AuthInfo {
    return { username: name, revision: this.store.revision };
  }
}

/** A header source with a fixed member and the given revision. */
export const TEST_HEADER: HeaderSource = {
  header: (revision?: bigint): ResponseHeader => ({ clusterId: 1n, memberId: 2n, revision: revision ?? 7n, raftTerm: 3n }),
  hasLeader: () => true,
};

/** The real hasher (one worker thread), counting its work. */
export class CountingHasher implements PasswordHasher {
  readonly #inner = createPasswordHasher({ cost: TEST_BCRYPT_COST, threads: 1 });
  hashes = 0;
  compares = 0;

  hash(password: string): Promise<string> {
    this.hashes++;
    return this.#inner.hash(password);
  }

  verify(password: string, hash: string): Promise<boolean> {
    this.compares++;
    return this.#inner.verify(password, hash);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

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

  asMember(): AuthInfo | undefined {
    return this.enabled ? { username: "root", revision: this.revision } : undefined;
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
