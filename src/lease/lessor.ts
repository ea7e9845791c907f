/**
 * The lessor: every lease of the member, its TTL and attached keys, and —
 * while this member is the primary (the raft leader) — when each one
 * expires. See README.md for the contract.
 *
 * It owns no timer and never reads the wall clock: deadlines are
 * milliseconds on the injected {@link Clock}, and the server asks
 * {@link Lessor.findExpired} and {@link Lessor.dueCheckpoints} periodically
 * and turns the answers into replicated LeaseRevoke / LeaseCheckpoint
 * requests. Nothing here changes replicated state on its own.
 * @module
 */
import type { LeaseCheckpoint } from "../gen/etcdserverpb/rpc.js";
import type { Clock } from "../pkg/clock.js";
import { EtcdError } from "../pkg/errors.js";
import { nullLogger, type Logger } from "../pkg/logger.js";
import type { Backend } from "../storage/backend/index.js";
import { deleteLease, putLease, readLeases } from "./lease-bucket.js";
import { LeaseQueue } from "./lease-queue.js";

/** etcd's MaxLeaseTTL, in seconds. */
export const MAX_LEASE_TTL = 9_000_000_000;
/** etcd's defaultLeaseCheckpointInterval. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 5 * 60_000;
/** etcd's defaultExpiredleaseRetryInterval (the server passes its request timeout instead). */
export const DEFAULT_EXPIRED_RETRY_MS = 3000;
/** etcd's leaseRevokeRate: leases revoked per second at most. */
export const DEFAULT_REVOKE_RATE = 1000;
/** What TimeToLive reports for a lease without deadline (not primary): Go's max Duration in seconds. */
export const FOREVER_TTL_SECONDS = 9_223_372_036;

/** The part of a write txn revocation needs (the mvcc `TxnWrite` has it). */
export interface TxnDelete {
  deleteRange(key: Uint8Array, end: Uint8Array | undefined): unknown;
  end(): unknown;
}

/** Opens the write txn a revocation deletes its keys in. */
export type RangeDeleter = () => TxnDelete;

/**
 * Records remaining TTLs through the log (the server proposes a
 * LeaseCheckpointRequest). Setting one turns checkpointing on.
 */
export type Checkpointer = (checkpoints: LeaseCheckpoint[]) => void;

export interface LessorMetrics {
  granted(ttlSeconds: number): void;
  revoked(): void;
  renewed(): void;
}

export interface LessorOptions {
  backend: Backend;
  clock: Clock;
  /** Shorter TTLs are raised to this (etcd: ceil(1.5 × election timeout) seconds). */
  minTtlSeconds: number;
  checkpointIntervalMs?: number;
  /** How long an expired lease handed out for revocation waits before it is handed out again. */
  expiredRetryMs?: number;
  /** Whether checkpoints are written to the lease bucket (LeaseCheckpointPersist, or cluster ≥ 3.6). */
  persistCheckpoints?: () => boolean;
  /** Leases revoked per second at most (etcd's leaseRevokeRate); promotion spreads deadlines under it. */
  revokeRatePerSecond?: number;
  deleter?: RangeDeleter;
  checkpointer?: Checkpointer;
  logger?: Logger;
  metrics?: LessorMetrics;
}

/** A read-only view of one lease. */
export interface LeaseView {
  readonly id: bigint;
  /** Granted TTL in seconds. */
  readonly ttl: number;
  /** Remaining TTL saved by the last checkpoint; 0 when none. */
  readonly checkpointedTtl: number;
  /** Milliseconds until expiry on the lessor's clock; Infinity when not primary. */
  remainingMs(): number;
  /** Attached keys in byte order. */
  keys(): Buffer[];
}

/** Why a renewal did not happen. */
export type RenewFailure = "not-found" | "not-primary";

export type RenewResult =
  | { readonly kind: "renewed"; readonly ttl: number }
  | { readonly kind: "failed"; readonly reason: RenewFailure }
  /** The lease is past its deadline: wait until it is revoked (not-found) or this lessor steps down (not-primary). */
  | { readonly kind: "expired"; readonly outcome: Promise<RenewFailure> };

class Lease implements LeaseView {
  readonly id: bigint;
  ttl: number;
  checkpointedTtl: number;
  /** Deadline in clock ms; Infinity while not primary. */
  expiryMs = Infinity;
  /** Attached keys as latin1 strings (byte-preserving, byte-ordered). */
  readonly keySet = new Set<string>();
  /** Renewals waiting for this expired lease to be revoked. */
  waiters: ((r: RenewFailure) => void)[] = [];
  readonly #clock: Clock;

  constructor(id: bigint, ttl: number, checkpointedTtl: number, clock: Clock) {
    this.id = id;
    this.ttl = ttl;
    this.checkpointedTtl = checkpointedTtl;
    this.#clock = clock;
  }

  /** The TTL a refresh starts from: the checkpointed remainder when there is one. */
  get baseTtl(): number {
    return this.checkpointedTtl > 0 ? this.checkpointedTtl : this.ttl;
  }

  refresh(extendMs: number): void {
    this.expiryMs = this.#clock.nowMs() + extendMs + this.baseTtl * 1000;
  }

  remainingMs(): number {
    return this.expiryMs - this.#clock.nowMs();
  }

  expired(): boolean {
    return this.remainingMs() <= 0;
  }

  keys(): Buffer[] {
    return [...this.keySet].sort().map((k) => Buffer.from(k, "latin1"));
  }

  settle(result: RenewFailure): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(result);
  }
}

export class Lessor {
  readonly #backend: Backend;
  readonly #clock: Clock;
  readonly #minTtl: number;
  readonly #checkpointIntervalMs: number;
  readonly #expiredRetryMs: number;
  readonly #persistCheckpoints: () => boolean;
  readonly #logger: Logger;
  readonly #metrics: LessorMetrics | undefined;
  #deleter: RangeDeleter | undefined;
  #checkpointer: Checkpointer | undefined;
  #leases = new Map<bigint, Lease>();
  /** Expiry deadlines, only while primary. */
  readonly #expiries = new LeaseQueue();
  /** Next checkpoint time per lease, only while primary and checkpointing. */
  readonly #checkpoints = new LeaseQueue();
  #primary = false;
  #stopped = false;
  readonly #revokeRate: number;

  /** Loads the stored leases; they have no deadline until {@link promote}. */
  constructor(options: LessorOptions) {
    this.#backend = options.backend;
    this.#clock = options.clock;
    this.#minTtl = options.minTtlSeconds;
    this.#checkpointIntervalMs = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    this.#expiredRetryMs = options.expiredRetryMs ?? DEFAULT_EXPIRED_RETRY_MS;
    this.#persistCheckpoints = options.persistCheckpoints ?? (() => false);
    this.#logger = options.logger ?? nullLogger;
    this.#metrics = options.metrics;
    this.#deleter = options.deleter;
    this.#checkpointer = options.checkpointer;
    this.#revokeRate = options.revokeRatePerSecond ?? DEFAULT_REVOKE_RATE;
    this.#load();
  }

  setDeleter(deleter: RangeDeleter): void {
    this.#deleter = deleter;
  }

  setCheckpointer(checkpointer: Checkpointer | undefined): void {
    this.#checkpointer = checkpointer;
  }

  get isPrimary(): boolean {
    return this.#primary;
  }

  get size(): number {
    return this.#leases.size;
  }

  get minTtlSeconds(): number {
    return this.#minTtl;
  }

  /**
   * Grants lease `id` (applied from the log). TTL above {@link MAX_LEASE_TTL}
   * → `LeaseTTLTooLarge`; id 0 → `LeaseNotFound`; an existing id →
   * `LeaseExist`. A TTL under the minimum is raised to it.
   */
  grant(id: bigint, ttl: bigint): LeaseView {
    if (id === 0n) throw new EtcdError("LeaseNotFound");
    if (ttl > BigInt(MAX_LEASE_TTL)) throw new EtcdError("LeaseTTLTooLarge");
    if (this.#leases.has(id)) throw new EtcdError("LeaseExist");
    const seconds = ttl < BigInt(this.#minTtl) ? this.#minTtl : Number(ttl);
    const lease = new Lease(id, seconds, 0, this.#clock);
    this.#leases.set(id, lease);
    if (this.#primary) {
      lease.refresh(0);
      this.#expiries.upsert(id, lease.expiryMs);
      this.#scheduleCheckpoint(lease);
    }
    this.#persist(lease);
    this.#metrics?.granted(seconds);
    return lease;
  }

  /**
   * Revokes lease `id` (applied from the log): deletes every attached key in
   * one write txn — so in one revision — in byte order (every member deletes
   * in the same order, so backend hashes agree), and removes the stored
   * lease in the same backend batch. Unknown id → `LeaseNotFound`.
   */
  revoke(id: bigint): void {
    const lease = this.#leases.get(id);
    if (lease === undefined) throw new EtcdError("LeaseNotFound");
    this.#leases.delete(id);
    this.#expiries.remove(id);
    this.#checkpoints.remove(id);
    const deleter = this.#deleter;
    if (deleter !== undefined) {
      const txn = deleter();
      try {
        for (const key of lease.keys()) txn.deleteRange(key, undefined);
        deleteLease(this.#backend, id);
      } finally {
        txn.end();
      }
    } else {
      deleteLease(this.#backend, id);
    }
    lease.settle("not-found");
    this.#metrics?.revoked();
  }

  /**
   * Records a checkpointed remaining TTL (applied from the log). It only
   * matters when a lessor is promoted: the deadline then starts from it
   * instead of the full TTL. Unknown ids are ignored, as in etcd.
   */
  checkpoint(id: bigint, remainingTtl: bigint): void {
    const lease = this.#leases.get(id);
    if (lease === undefined) return;
    lease.checkpointedTtl = remainingTtl <= 0n ? 0 : Number(remainingTtl > BigInt(MAX_LEASE_TTL) ? BigInt(MAX_LEASE_TTL) : remainingTtl);
    if (this.#persistCheckpoints()) this.#persist(lease);
    if (this.#primary) this.#scheduleCheckpoint(lease);
  }

  /**
   * Restarts a lease's TTL (keepalive). Only the primary renews. A lease past
   * its deadline is not renewed: the caller waits for its revocation.
   */
  renew(id: bigint): RenewResult {
    if (!this.#primary) return { kind: "failed", reason: "not-primary" };
    const lease = this.#leases.get(id);
    if (lease === undefined) return { kind: "failed", reason: "not-found" };
    if (lease.expired()) {
      const outcome = new Promise<RenewFailure>((resolve) => lease.waiters.push(resolve));
      return { kind: "expired", outcome };
    }
    // A renewal invalidates a checkpointed remainder; clearing it through the
    // log only when one is set keeps it to two entries per lease per interval.
    if (this.#checkpointer !== undefined && lease.checkpointedTtl > 0) {
      this.#checkpointer([{ ID: id, remainingTTL: 0n }]);
    }
    lease.refresh(0);
    this.#expiries.upsert(id, lease.expiryMs);
    this.#metrics?.renewed();
    return { kind: "renewed", ttl: lease.ttl };
  }

  lookup(id: bigint): LeaseView | undefined {
    return this.#leases.get(id);
  }

  /** For the KV semantics: a put with an unknown lease fails. */
  exists(id: bigint): boolean {
    return this.#leases.has(id);
  }

  /** Every lease, soonest deadline first (ties by id). */
  leases(): LeaseView[] {
    return this.#byDeadline();
  }

  /**
   * Becomes the primary: every lease gets a deadline of its (checkpointed)
   * TTL plus `extendMs` from now — a new leader never expires a lease
   * earlier than the old one would have. With many leases, deadlines that
   * pile up in one second are spread so that expiries stay under the revoke
   * rate, as etcd does.
   */
  promote(extendMs: number): void {
    if (this.#stopped) return;
    this.#primary = true;
    for (const lease of this.#leases.values()) {
      lease.refresh(extendMs);
      this.#expiries.upsert(lease.id, lease.expiryMs);
      this.#scheduleCheckpoint(lease);
    }
    if (this.#leases.size < this.#revokeRate) return;
    this.#spreadExpiries(extendMs, this.#revokeRate);
  }

  /** Stops being the primary: no deadlines, no renewals, no checkpoints. */
  demote(): void {
    for (const lease of this.#leases.values()) {
      lease.expiryMs = Infinity;
      lease.settle("not-primary");
    }
    this.#expiries.clear();
    this.#checkpoints.clear();
    this.#primary = false;
  }

  /**
   * Up to `limit` leases past their deadline, to be revoked through the log.
   * A lease handed out is handed out again only after the retry interval,
   * in case its revocation was lost (leader change, timeout).
   */
  findExpired(limit: number): bigint[] {
    const out: bigint[] = [];
    if (!this.#primary) return out;
    const now = this.#clock.nowMs();
    while (out.length < limit) {
      const next = this.#expiries.peek();
      if (next === undefined || next.time > now) break;
      const lease = this.#leases.get(next.id);
      if (lease === undefined) {
        this.#expiries.remove(next.id);
        continue;
      }
      this.#expiries.upsert(next.id, now + this.#expiredRetryMs);
      if (lease.expired()) out.push(lease.id);
    }
    return out;
  }

  /** Up to `limit` checkpoints that are due: leases whose remaining TTL is below the granted one. */
  dueCheckpoints(limit: number): LeaseCheckpoint[] {
    const out: LeaseCheckpoint[] = [];
    if (!this.#primary || this.#checkpointer === undefined) return out;
    const now = this.#clock.nowMs();
    while (out.length < limit) {
      const next = this.#checkpoints.peek();
      if (next === undefined || next.time > now) break;
      this.#checkpoints.pop();
      const lease = this.#leases.get(next.id);
      if (lease === undefined || now >= lease.expiryMs) continue;
      const remaining = Math.ceil((lease.expiryMs - now) / 1000);
      if (remaining >= lease.ttl) continue;
      out.push({ ID: lease.id, remainingTTL: BigInt(remaining) });
    }
    return out;
  }

  /** mvcc hook: a key now carries lease `id`. Unknown leases are ignored (the put was checked before). */
  attach(id: bigint, key: Buffer): void {
    const lease = this.#leases.get(id);
    if (lease === undefined) {
      this.#logger.warn({ lease: id.toString(16), key: key.toString("latin1") }, "attach to unknown lease ignored");
      return;
    }
    lease.keySet.add(key.toString("latin1"));
  }

  /** mvcc hook: a key no longer carries lease `id`. */
  detach(id: bigint, key: Buffer): void {
    this.#leases.get(id)?.keySet.delete(key.toString("latin1"));
  }

  /**
   * Reloads every lease from the backend (after the backend was replaced by
   * a snapshot). Keys must be re-attached by the mvcc restore afterwards.
   */
  recover(): void {
    for (const lease of this.#leases.values()) lease.settle("not-primary");
    this.#leases = new Map();
    this.#expiries.clear();
    this.#checkpoints.clear();
    this.#load();
    if (this.#primary) {
      for (const lease of this.#leases.values()) {
        lease.refresh(0);
        this.#expiries.upsert(lease.id, lease.expiryMs);
        this.#scheduleCheckpoint(lease);
      }
    }
  }

  /** Ends pending renewals (server stop). */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.demote();
  }

  #load(): void {
    for (const record of readLeases(this.#backend)) {
      const ttl = record.TTL < BigInt(this.#minTtl) ? this.#minTtl : Number(record.TTL);
      const checkpointed = record.RemainingTTL > 0n ? Number(record.RemainingTTL) : 0;
      this.#leases.set(record.ID, new Lease(record.ID, ttl, checkpointed, this.#clock));
    }
  }

  #byDeadline(): Lease[] {
    return [...this.#leases.values()].sort((a, b) => (a.expiryMs === b.expiryMs ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.expiryMs < b.expiryMs ? -1 : 1));
  }

  #persist(lease: Lease): void {
    putLease(this.#backend, { ID: lease.id, TTL: BigInt(lease.ttl), RemainingTTL: BigInt(lease.checkpointedTtl) });
  }

  #scheduleCheckpoint(lease: Lease): void {
    if (this.#checkpointer === undefined) return;
    if (lease.baseTtl * 1000 <= this.#checkpointIntervalMs) return;
    this.#checkpoints.upsertEarlier(lease.id, this.#clock.nowMs() + this.#checkpointIntervalMs);
  }

  /**
   * etcd's pile-up avoidance on promotion: walking leases by deadline, once
   * more than 3/4 of the revoke rate fall into one window, later ones are
   * pushed back in proportion to the overflow.
   */
  #spreadExpiries(extendMs: number, revokeRate: number): void {
    const leases = this.#byDeadline();
    const first = leases[0];
    if (first === undefined) return;
    const target = Math.floor((3 * revokeRate) / 4);
    let baseWindow = first.remainingMs();
    let nextWindow = baseWindow + 1000;
    let expires = 0;
    for (const lease of leases) {
      const remaining = lease.remainingMs();
      if (remaining > nextWindow) {
        baseWindow = remaining;
        nextWindow = baseWindow + 1000;
        expires = 1;
        continue;
      }
      expires++;
      if (expires <= target) continue;
      // Leases already further ahead of the window need less delay.
      const delay = 1000 * (expires / target) - (remaining - baseWindow);
      nextWindow = baseWindow + delay;
      lease.refresh(delay + extendMs);
      this.#expiries.upsert(lease.id, lease.expiryMs);
      this.#scheduleCheckpoint(lease);
    }
  }
}
