/**
 * Test support for the server's auth parts: a real auth store over a memory
 * backend, simple tokens on a manual clock, and a one-member "log" that
 * encodes each proposal as the proposer does, decodes it back and applies it
 * at the next index — so a test sees exactly what would be replicated. Not
 * used by production code.
 * @module
 */
import { AuthStore, createPasswordHasher, hashPasswordSync, JwtTokens, SimpleTokens, type AuthInfo, type PasswordHasher } from "../../auth/index.js";
import { InternalRaftRequest } from "../../gen/etcdserverpb/raft_internal.js";
import type { ResponseHeader } from "../../gen/etcdserverpb/rpc.js";
import { ManualClock } from "../../pkg/clock.js";
import { nullLogger } from "../../pkg/logger.js";
import { MemoryBackend } from "../../storage/backend/memory-backend.js";
import type { Cancellation, HeaderSource } from "../api.js";
import { AppliedIndex } from "../apply/applied-index.js";
import type { ApplyResult } from "../apply/apply-result.js";
import { encodeProposal, type RaftRequestBody } from "../proposals/codec.js";
import { applyAuthRequest, isAuthRequest, refusedByAuth, type AuthApplyContext } from "./apply.js";
import { createAuthGate, type AuthGate } from "./gate.js";
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
