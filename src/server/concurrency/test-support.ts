/**
 * Test support: the lock/election paths over a real lessor and mvcc store
 * (memory backend, manual clock) with KV and Lease "paths" that apply at
 * once, asynchronously, the way the server's paths answer after the log.
 * With a gate, the paths check their caller as the server would (reads
 * before reading, writes as they are applied) and the watch hub checks
 * watches. Not used by production code.
 * @module
 */
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaseGrantRequest,
  LeaseGrantResponse,
  RangeRequest,
  RangeResponse,
  ResponseHeader,
  TxnRequest,
  TxnResponse,
} from "../../gen/etcdserverpb/rpc.js";
import { ManualClock } from "../../pkg/clock.js";
import { nullLogger } from "../../pkg/logger.js";
import { Lessor } from "../../lease/index.js";
import { MemoryBackend } from "../../storage/backend/memory-backend.js";
import { KVStore } from "../../storage/mvcc/kvstore.js";
import * as ops from "../txn/index.js";
import { SeededRandom } from "../../pkg/random.js";
import { WatchHub } from "../watch/hub.js";
import { KeyEvents } from "./key-events.js";
import { ElectionRequests } from "./election-requests.js";
import { prefixEnd } from "../../pkg/bytes.js";
import { LocalView, type ConcurrencyKv } from "./kv-ops.js";
import { LockRequests } from "./lock-requests.js";
import type { AuthInfo } from "../../auth/index.js";
import type { Credentials } from "../api.js";
import type { FakeGate } from "../txn/auth-test-support.js";

export class ConcurrencyRig {
  readonly clock = new ManualClock(1_000_000);
  readonly backend = new MemoryBackend();
  readonly hub: WatchHub;
  readonly events: KeyEvents;
  readonly lessor: Lessor;
  readonly store: KVStore;
  readonly lock: LockRequests;
  readonly election: ElectionRequests;
  /** Calls made to the KV paths, by kind (Range counts show who woke up). */
  readonly calls = { range: 0, txn: 0, deleteRange: 0, grant: 0 };
  /** The credentials every KV and lease call came with, in order. */
  readonly callers: (Credentials | undefined)[] = [];
  #nextLease = 0x100n;

  constructor(gate?: FakeGate) {
    /** The caller's check, as the server makes it (nothing with auth off). */
    const check = (creds: Credentials | undefined, checkAs: (info: AuthInfo | undefined) => void): void => {
      this.callers.push(creds);
      if (gate === undefined || !gate.enabled) return;
      const info = gate.identify(creds);
      if (info instanceof Promise) throw new Error("the rig resolves tokens synchronously");
      checkAs(info);
    };
    this.lessor = new Lessor({ backend: this.backend, clock: this.clock, minTtlSeconds: 2, deleter: () => this.store.write() });
    this.store = new KVStore({ backend: this.backend, lessor: this.lessor, onCommit: (events, rev) => this.hub.notify(events, rev) });
    this.lessor.promote(0);
    const header = (revision?: bigint): ResponseHeader => ({ clusterId: 1n, memberId: 2n, revision: revision ?? this.store.rev, raftTerm: 3n });
    this.hub = new WatchHub({ ...(gate !== undefined ? { auth: gate } : {}), source: this.store, backend: this.backend, header: (rev) => header(rev), clock: this.clock, random: new SeededRandom(1), maxRequestBytes: 1 << 20 });
    this.hub.start();
    this.events = new KeyEvents(this.hub);
    const fill = <T extends { header: ResponseHeader | undefined }>(resp: T): T => {
      resp.header = header(resp.header?.revision || undefined);
      return resp;
    };
    const kv: ConcurrencyKv = {
      range: async (req: RangeRequest, _signal, creds): Promise<RangeResponse> => {
        await tick();
        this.calls.range++;
        check(creds, (info) => gate!.checkRange(info, req.key, req.rangeEnd));
        return fill(ops.range(this.store, req));
      },
      txn: async (req: TxnRequest, _signal, creds): Promise<TxnResponse> => {
        await tick();
        this.calls.txn++;
        check(creds, (info) => gate!.checkTxn(info, req));
        return fill(ops.txn(this.store, req, this.lessor));
      },
      deleteRange: async (req: DeleteRangeRequest, _signal, creds): Promise<DeleteRangeResponse> => {
        await tick();
        this.calls.deleteRange++;
        check(creds, (info) => gate!.checkRange(info, req.key, req.rangeEnd));
        return fill(ops.deleteRange(this.store, req));
      },
    };
    const leases = {
      grant: async (req: LeaseGrantRequest, _signal?: AbortSignal, creds?: Credentials): Promise<LeaseGrantResponse> => {
        await tick();
        this.calls.grant++;
        check(creds, () => {});
        const l = this.lessor.grant(req.ID === 0n ? this.#nextLease++ : req.ID, req.TTL);
        return { header: header(), ID: l.id, TTL: BigInt(l.ttl), error: "" };
      },
    };
    const common = { kv, events: this.events, leases, logger: nullLogger };
    this.lock = new LockRequests(common);
    this.election = new ElectionRequests({ ...common, local: new LocalView(this.store), header: { header, hasLeader: () => true } });
  }

  /** Stops the watch hub's timers (call at the end of every test). */
  close(): void {
    this.hub.stop();
  }

  grant(id: bigint, ttl = 60n): bigint {
    return this.lessor.grant(id, ttl).id;
  }

  /** Expires a lease the way the leader does: revoked (through the log). */
  expire(id: bigint): void {
    this.lessor.revoke(id);
  }

  /** Keys under `prefix`, oldest first. */
  keys(prefix: string): string[] {
    return this.store
      .range(Buffer.from(prefix), prefixEnd(Buffer.from(prefix)))
      .kvs.sort((a, b) => (a.createRevision < b.createRevision ? -1 : 1))
      .map((kv) => kv.key.toString());
  }
}

/** One turn of the event loop: requests answer later, as over the log. */
export function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Lets every pending request and wake-up run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await tick();
}
