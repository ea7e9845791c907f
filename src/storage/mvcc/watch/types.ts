/**
 * The shapes the watchable store works with: what a stream receives, what
 * the store reads from the key-value store, its limits, and its typed errors.
 * @module
 */

import type { Event } from "../../../gen/mvccpb/kv.js";
import type { RangeOptions, RangeResult } from "../types.js";

/**
 * One delivery from the store to a stream (etcd's `mvcc.WatchResponse`).
 * Never holds part of a revision: every event of a revision that the
 * watcher selects is in the same response.
 */
export interface StoreWatchResponse {
  /** The watcher it is for; -1 for a stream-wide progress answer. */
  readonly watchId: bigint;
  /** Events in revision order; empty for a progress notification. */
  readonly events: readonly Event[];
  /**
   * The store revision this response brings the watcher up to: the event
   * revision for a live event, the revision caught up to for a backlog
   * batch, the current revision for progress. 0 on a compaction cancel (as etcd).
   */
  readonly revision: bigint;
  /** Set (non-zero) when the watcher was cancelled because its next revision is compacted. */
  readonly compactRevision: bigint;
}

/**
 * Where a stream's responses go (the watch session above). `offer` must not
 * call back into the store. It returns false when the receiver is full right
 * now; the store then parks the watcher as a victim and calls the stream
 * again only after the owner reports {@link WatchStream.writable}.
 */
export interface WatchReceiver {
  offer(resp: StoreWatchResponse): boolean;
  /** A watcher of this stream became synced (a deferred progress request may now be answered). */
  onSynced?(): void;
}

/** What the store reads from the key-value store (KVStore satisfies it). */
export interface WatchSource {
  /** The current revision. */
  readonly rev: bigint;
  /** The last compaction revision, -1 when never compacted. */
  readonly compactRev: bigint;
  range(key: Uint8Array, end: Uint8Array | undefined, options?: RangeOptions): RangeResult;
}

/** Event filters of a watcher (WatchCreateRequest.filters). */
export interface WatchFilters {
  /** Drop PUT events. */
  readonly noPut?: boolean;
  /** Drop DELETE events. */
  readonly noDelete?: boolean;
}

/** Bounds on the work and memory of the store. Defaults in {@link DEFAULT_WATCH_LIMITS}. */
export interface WatchLimits {
  /** Unsynced watchers handled per sync round (etcd: 512). */
  readonly maxWatchersPerSync: number;
  /** Distinct revisions per backlog batch (etcd: 1000). */
  readonly maxRevisionsPerBatch: number;
  /**
   * Event bytes per backlog batch: a batch closes at the revision boundary
   * after this many bytes (a single revision larger than this still goes
   * out whole). Bounds what a victim holds.
   */
  readonly maxBatchBytes: number;
  /** Backend records read per sync round, rounded up to a whole revision; bounds the work of one round. */
  readonly maxScanPerSync: number;
}

export const DEFAULT_WATCH_LIMITS: WatchLimits = {
  maxWatchersPerSync: 512,
  maxRevisionsPerBatch: 1000,
  maxBatchBytes: 1024 * 1024,
  maxScanPerSync: 20_000,
};

/** Counts the store keeps (exported as etcd's etcd_debugging_mvcc_* gauges). */
export interface WatchStats {
  /** Live watchers (synced + unsynced + victims). */
  watchers: number;
  synced: number;
  unsynced: number;
  victims: number;
  streams: number;
}

export type WatchErrorKind =
  /** The range end is at or before the key (etcd: "mvcc: watcher range is empty"). */
  | "EmptyRange"
  /** A client-chosen id already in use on the stream (etcd: "mvcc: duplicate watch ID provided on the WatchStream"). */
  | "DuplicateId"
  /** The stream was closed. */
  | "StreamClosed";

/** Why a watch could not be created. The API edge maps the kind to etcd's text. */
export class WatchError extends Error {
  override readonly name = "WatchError";
  readonly kind: WatchErrorKind;

  constructor(kind: WatchErrorKind) {
    super(kind);
    this.kind = kind;
  }
}

/** The watch id that asks the stream to pick one (clientv3's AutoWatchID). */
export const AUTO_WATCH_ID = 0n;
/** The id of responses that belong to no single watcher (clientv3's InvalidWatchID). */
export const INVALID_WATCH_ID = -1n;
