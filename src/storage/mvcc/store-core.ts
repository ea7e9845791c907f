/**
 * The state shared by the store, its transactions, compaction and hash:
 * backend, index, current and compact revisions, and the range read that
 * every view uses. Internal to mvcc; callers use {@link KVStore}.
 * @module
 */

import type { KeyValue } from "../../gen/mvccpb/kv.js";
import { EtcdError } from "../../pkg/errors.js";
import type { Logger } from "../../pkg/logger.js";
import type { Backend } from "../backend/backend.js";
import { keyString } from "../backend/write-buffer.js";
import { decodeKeyValue } from "./kv-codec.js";
import { revToBytes, type Revision } from "./revision.js";
import { TreeIndex } from "./tree-index.js";
import type { CommitObserver, LeaseHooks, RangeOptions, RangeResult } from "./types.js";

/** The index form of a wire range end (see types.ts): undefined = one key, "" = to the end. */
export function endString(end: Uint8Array | undefined): string | undefined {
  if (end === undefined || end.length === 0) return undefined;
  if (end.length === 1 && end[0] === 0) return "";
  return keyString(end);
}

function limitOf(limit: bigint | number | undefined): number {
  if (limit === undefined) return 0;
  if (typeof limit === "number") return limit > 0 ? limit : 0;
  if (limit <= 0n) return 0;
  return limit > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(limit);
}

const decodeCopy = (raw: Buffer): KeyValue => decodeKeyValue(raw, true);

export class StoreCore {
  readonly backend: Backend;
  /** Replaced wholesale when the backend is replaced by a snapshot (KVStore.restore). */
  index = new TreeIndex();
  readonly lessor: LeaseHooks | undefined;
  readonly observer: CommitObserver | undefined;
  readonly log: Logger;
  /** Revision of the last write txn that changed something; 1 on an empty store. */
  currentRev = 1n;
  /** Revision of the last compaction (scheduled, index already compacted); -1 when never. */
  compactMainRev = -1n;
  /** True while a write txn is open. */
  writing = false;
  closed = false;

  constructor(backend: Backend, lessor: LeaseHooks | undefined, observer: CommitObserver | undefined, log: Logger) {
    this.backend = backend;
    this.lessor = lessor;
    this.observer = observer;
    this.log = log;
  }

  /**
   * Reads the range at `options.rev` (or `curRev`), as etcd's rangeKeys:
   * a revision above `curRev` is a future revision, one below the compact
   * revision is compacted (the compact revision itself is readable).
   */
  rangeKeys(key: Uint8Array, end: Uint8Array | undefined, curRev: bigint, options: RangeOptions | undefined): RangeResult {
    let atRev = options?.rev ?? 0n;
    if (atRev > curRev) throw new EtcdError("FutureRev");
    if (atRev <= 0n) atRev = curRev;
    if (atRev < this.compactMainRev) throw new EtcdError("Compacted");
    const k = keyString(key);
    const e = endString(end);
    if (e === undefined) return this.#rangeOne(k, atRev, curRev, options?.countOnly === true);
    let count = 0;
    if (options?.countOnly === true) {
      this.index.visitRange(k, e, atRev, () => {
        count++;
      });
      return { kvs: [], count, rev: curRev };
    }
    const limit = limitOf(options?.limit);
    const kvs: KeyValue[] = [];
    this.index.visitRange(k, e, atRev, (_ki, at) => {
      count++;
      if (limit === 0 || kvs.length < limit) kvs.push(this.readKeyValue(at.modified));
    });
    return { kvs, count, rev: curRev };
  }

  /** The single-key range: one Map lookup, no closures. */
  #rangeOne(key: string, atRev: bigint, curRev: bigint, countOnly: boolean): RangeResult {
    const at = this.index.get(key, atRev);
    if (at === undefined) return { kvs: [], count: 0, rev: curRev };
    if (countOnly) return { kvs: [], count: 1, rev: curRev };
    return { kvs: [this.readKeyValue(at.modified)], count: 1, rev: curRev };
  }

  /** The stored KeyValue of a (non-tombstone) revision the index points at. */
  readKeyValue(r: Revision): KeyValue {
    const kv = this.backend.view("key", revToBytes(r), decodeCopy);
    if (kv === undefined) {
      throw new Error(`mvcc: index points at revision ${r.main}/${r.sub} missing from the backend`);
    }
    return kv;
  }
}
