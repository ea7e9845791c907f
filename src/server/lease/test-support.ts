/**
 * Test support for the server's lease paths: a one-member "log" that applies
 * proposals to a real lessor and mvcc store over a memory backend, on a
 * manual clock, with proposals held until the test releases them. Not used
 * by production code.
 * @module
 */
import type { AuthInfo } from "../../auth/index.js";
import type { AuthGate } from "../auth/gate.js";
import type { InternalRaftRequest } from "../../gen/etcdserverpb/raft_internal.js";
import type { ResponseHeader } from "../../gen/etcdserverpb/rpc.js";
import { ManualClock } from "../../pkg/clock.js";
import { EtcdError } from "../../pkg/errors.js";
import { IdGenerator } from "../../pkg/id-generator.js";
import { nullLogger } from "../../pkg/logger.js";
import { Lessor } from "../../lease/index.js";
import { MemoryBackend } from "../../storage/backend/memory-backend.js";
import { KVStore } from "../../storage/mvcc/kvstore.js";
import type { ApplyResult } from "../apply/apply-result.js";
import { applyLease, isLeaseRequest } from "./apply.js";
import { LeaseKeeper } from "./keeper.js";
import { LeaseRequests, type LeaseForwarder } from "./requests.js";
import type { RaftRequestBody } from "../proposals/proposer.js";
import { Quota } from "../maintenance/quota.js";

interface Held {
  body: RaftRequestBody;
  resolve(r: ApplyResult): void;
  reject(err: Error): void;
}

export interface LeaseRigOptions {
  /** Hold proposals until `release()` (default: apply at once). */
  hold?: boolean;
  checkpointing?: boolean;
  checkpointIntervalMs?: number;
  quotaBytes?: number;
  requestTimeoutMs?: number;
  /** The auth gate the request paths ask (AUTH_OFF when absent). */
  auth?: AuthGate;
  /** How this member reaches the leader when it is not the leader. */
  forwarder?: LeaseForwarder;
}

export const RIG_EXTEND_MS = 1000;

export class LeaseRig {
  readonly clock = new ManualClock(50_000);
  readonly backend = new MemoryBackend();
  readonly lessor: Lessor;
  readonly store: KVStore;
  readonly keeper: LeaseKeeper;
  readonly requests: LeaseRequests;
  readonly proposals: RaftRequestBody[] = [];
  /** The caller each proposal was made as (undefined with auth off). */
  readonly proposedAs: (AuthInfo | undefined)[] = [];
  readonly held: Held[] = [];
  hold: boolean;
  noSpaceRaised = 0;
  /** Resolvers of read barriers the keeper asked for. */
  readonly barriers: { resolve(): void; reject(err: Error): void }[] = [];
  applied = 10n;
  committed = 10n;
  /** What a request waiting for the applied index to reach the commit index waits for (at once by default). */
  waitApplied: () => Promise<void> = async () => undefined;
  hasLeader = true;

  constructor(options: LeaseRigOptions = {}) {
    this.hold = options.hold ?? false;
    this.lessor = new Lessor({
      backend: this.backend,
      clock: this.clock,
      minTtlSeconds: 2,
      expiredRetryMs: options.requestTimeoutMs ?? 7000,
      persistCheckpoints: () => true,
      deleter: () => this.store.write(),
      ...(options.checkpointIntervalMs !== undefined ? { checkpointIntervalMs: options.checkpointIntervalMs } : {}),
    });
    this.store = new KVStore({ backend: this.backend, lessor: this.lessor });
    this.keeper = new LeaseKeeper({
      lessor: this.lessor,
      propose: (body) => this.propose(body),
      readBarrier: () => new Promise((resolve, reject) => this.barriers.push({ resolve, reject })),
      extendMs: RIG_EXTEND_MS,
      logger: nullLogger,
    });
    if (options.checkpointing) this.lessor.setCheckpointer((cps) => this.keeper.proposeCheckpoints(cps));
    const header = {
      header: (revision?: bigint): ResponseHeader => ({ clusterId: 1n, memberId: 2n, revision: revision ?? this.store.rev, raftTerm: 3n }),
      hasLeader: () => this.hasLeader,
    };
    this.requests = new LeaseRequests({
      ...(options.auth !== undefined ? { auth: options.auth } : {}),
      ...(options.forwarder !== undefined ? { forwarder: options.forwarder } : {}),
      lessor: this.lessor,
      keeper: this.keeper,
      propose: (body, _signal, auth) => this.propose(body, auth),
      header,
      ids: new IdGenerator(0xabcdn, this.clock.wallMs()),
      quota: new Quota(options.quotaBytes ?? -1, () => 1_000_000),
      raiseNoSpace: async () => {
        this.noSpaceRaised++;
      },
      committedIndex: () => this.committed,
      appliedIndex: () => this.applied,
      waitApplied: () => this.waitApplied(),
      requestTimeoutMs: options.requestTimeoutMs ?? 7000,
      clock: this.clock,
    });
  }

  /** Becomes leader and completes the promotion (the read barrier resolves). */
  async lead(): Promise<void> {
    this.keeper.onLeadership(true);
    this.barriers.shift()?.resolve();
    await settle();
  }

  propose(body: RaftRequestBody, auth?: AuthInfo): Promise<ApplyResult> {
    this.proposals.push(body);
    this.proposedAs.push(auth);
    if (!this.hold) return Promise.resolve(this.apply(body));
    return new Promise((resolve, reject) => this.held.push({ body, resolve, reject }));
  }

  /** Applies up to `n` held proposals in order (all by default). */
  release(n = Infinity): number {
    let done = 0;
    while (done < n && this.held.length > 0) {
      const h = this.held.shift()!;
      h.resolve(this.apply(h.body));
      done++;
    }
    return done;
  }

  /** Loses up to `n` held proposals (leader change, timeout). */
  drop(n = Infinity): void {
    let done = 0;
    while (done < n && this.held.length > 0) {
      this.held.shift()!.reject(new EtcdError("Timeout"));
      done++;
    }
  }

  apply(body: RaftRequestBody): ApplyResult {
    const req = body as InternalRaftRequest;
    if (!isLeaseRequest(req)) return { ok: true, response: {} };
    return applyLease({ lessor: this.lessor, revision: () => this.store.rev }, req);
  }

  put(key: string, lease: bigint): void {
    const t = this.store.write();
    try {
      t.put(Buffer.from(key), Buffer.from("v"), lease);
    } finally {
      t.end();
    }
  }

  keys(): string[] {
    return this.store.range(Buffer.from("\0"), Buffer.from("\0")).kvs.map((kv) => kv.key.toString());
  }
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
