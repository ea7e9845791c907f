/**
 * A write transaction of the store. All its changes share main revision
 * `rev + 1` and get sub-revisions in op order. Changes go to the index and
 * the backend batch as they happen (so later ops of the same txn read them);
 * the store revision moves only in `end()`, and only if something changed.
 * @module
 */

import { Event_EventType, type Event, type KeyValue } from "../../gen/mvccpb/kv.js";
import { keyString, toBuffer } from "../backend/write-buffer.js";
import { encodeKeyValue } from "./kv-codec.js";
import { revToBytes, type Revision } from "./revision.js";
import { endString, type StoreCore } from "./store-core.js";
import type { RangeOptions, RangeResult, TxnEnd, TxnWrite } from "./types.js";

const EMPTY = Buffer.alloc(0);

/** Small sub-revisions are shared instead of allocating a bigint per change. */
const SUBS: bigint[] = Array.from({ length: 256 }, (_, i) => BigInt(i));

function subRev(n: number): bigint {
  return n < SUBS.length ? SUBS[n]! : BigInt(n);
}

function toEvents(changes: readonly KeyValue[]): Event[] {
  const events = new Array<Event>(changes.length);
  for (let i = 0; i < changes.length; i++) {
    const kv = changes[i]!;
    events[i] = { type: kv.createRevision === 0n ? Event_EventType.DELETE : Event_EventType.PUT, kv, prevKv: undefined };
  }
  return events;
}

export class WriteTxn implements TxnWrite {
  readonly rev: bigint;
  readonly compactRev: bigint;
  readonly #core: StoreCore;
  readonly #changes: KeyValue[] = [];
  #ended = false;

  constructor(core: StoreCore) {
    this.#core = core;
    this.rev = core.currentRev;
    this.compactRev = core.compactMainRev;
  }

  range(key: Uint8Array, end: Uint8Array | undefined, options?: RangeOptions): RangeResult {
    this.#checkOpen();
    return this.#core.rangeKeys(key, end, this.#changes.length > 0 ? this.rev + 1n : this.rev, options);
  }

  put(key: Uint8Array, value: Uint8Array, lease: bigint): bigint {
    this.#checkOpen();
    const core = this.#core;
    const main = this.rev + 1n;
    const k = keyString(key);
    const keyBuf = toBuffer(key);
    let ki = core.index.keyIndex(k);
    // The live generation (if the key exists now) gives creation and version without a lookup by revision.
    const live = ki?.liveGeneration();
    const oldLease = live !== undefined ? ki!.lease : 0n;
    const r: Revision = { main, sub: subRev(this.#changes.length) };
    const kv: KeyValue = {
      key: keyBuf,
      createRevision: live === undefined ? main : live.created.main,
      modRevision: main,
      version: live === undefined ? 1n : live.ver + 1n,
      value: toBuffer(value),
      lease,
    };
    core.backend.put("key", revToBytes(r), encodeKeyValue(kv));
    ki = core.index.put(k, r);
    ki.lease = lease;
    this.#changes.push(kv);
    if (core.lessor !== undefined) {
      if (oldLease !== 0n) core.lessor.detach(oldLease, keyBuf);
      if (lease !== 0n) core.lessor.attach(lease, keyBuf);
    }
    return main;
  }

  deleteRange(key: Uint8Array, end: Uint8Array | undefined): { deleted: number; rev: bigint } {
    this.#checkOpen();
    const core = this.#core;
    const atRev = this.#changes.length > 0 ? this.rev + 1n : this.rev;
    const keys: string[] = [];
    core.index.visitRange(keyString(key), endString(end), atRev, (ki) => {
      keys.push(ki.key);
    });
    for (const k of keys) this.#delete(k);
    const changed = keys.length > 0 || this.#changes.length > 0;
    return { deleted: keys.length, rev: changed ? this.rev + 1n : this.rev };
  }

  changes(): readonly KeyValue[] {
    return this.#changes;
  }

  end(): TxnEnd {
    this.#checkOpen();
    this.#ended = true;
    const core = this.#core;
    core.writing = false;
    if (this.#changes.length === 0) return { rev: core.currentRev, events: [] };
    const rev = this.rev + 1n;
    core.currentRev = rev;
    const changes = this.#changes;
    // A delete's kv carries the deleting revision, as etcd's watchable store reports it.
    for (const kv of changes) if (kv.createRevision === 0n) kv.modRevision = rev;
    if (core.observer !== undefined) {
      const events = toEvents(changes);
      core.observer(events, rev);
      return { rev, events };
    }
    // Nobody watches: build the events only if the caller looks at them.
    let events: Event[] | undefined;
    return {
      rev,
      get events(): Event[] {
        events ??= toEvents(changes);
        return events;
      },
    };
  }

  #delete(k: string): void {
    const core = this.#core;
    const r: Revision = { main: this.rev + 1n, sub: subRev(this.#changes.length) };
    const keyBuf = Buffer.from(k, "latin1");
    // The stored tombstone holds only the key, as etcd's does (HashKV hashes these bytes).
    const kv: KeyValue = { key: keyBuf, createRevision: 0n, modRevision: 0n, version: 0n, value: EMPTY, lease: 0n };
    core.backend.put("key", revToBytes(r, true), encodeKeyValue(kv));
    const ki = core.index.tombstone(k, r);
    this.#changes.push(kv);
    const lease = ki.lease;
    ki.lease = 0n;
    if (lease !== 0n) core.lessor?.detach(lease, keyBuf);
  }

  #checkOpen(): void {
    if (this.#ended) throw new Error("mvcc: write txn used after end()");
  }
}
