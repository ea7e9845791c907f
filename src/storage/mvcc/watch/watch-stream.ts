/**
 * A stream of watchers sharing one receiver (etcd's `mvcc.watchStream`):
 * watch ids are per stream, picked from 0 upwards unless the client chooses
 * one; every response of every watcher goes to the same receiver, in the
 * order the store produces them.
 * @module
 */

import { keyString } from "../../backend/write-buffer.js";
import { AUTO_WATCH_ID, WatchError, type WatchFilters } from "./types.js";
import type { WatchReceiver } from "./types.js";
import type { Watcher, WatcherOwner } from "./watcher.js";

/** The stream as the store knows it: who owns its watchers and where their events go. */
export interface StreamHandle extends WatcherOwner {
  readonly receiver: WatchReceiver;
}

/** What a stream needs of the watchable store (declared here so the store may depend on streams, not the reverse). */
export interface WatcherRegistry {
  readonly rev: bigint;
  addWatcher(handle: StreamHandle, id: bigint, key: string, end: string | undefined, startRev: bigint, filters: WatchFilters | undefined): Watcher;
  removeWatcher(w: Watcher): void;
  progress(w: Watcher): void;
  progressAll(handle: StreamHandle, watchers: Iterable<Watcher>): boolean;
  retryVictims(handle: StreamHandle): number;
  streamClosed(): void;
}

export class WatchStream {
  readonly #store: WatcherRegistry;
  readonly #handle: StreamHandle;
  readonly #watchers = new Map<bigint, Watcher>();
  #nextId = 0n;
  #closed = false;

  constructor(store: WatcherRegistry, handle: StreamHandle) {
    this.#store = store;
    this.#handle = handle;
  }

  /** Watchers registered on the stream (including compacted ones not yet cancelled). */
  get size(): number {
    return this.#watchers.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Creates a watcher on `key` with the wire convention for `end` (absent or
   * empty: the key alone; "\0": every key >= key; else [key, end)), from
   * `startRev` (0: the next revision; a future revision is fine; a compacted
   * one gets a compaction cancel). `id` 0 picks the lowest free id.
   * Returns the id; throws {@link WatchError} (`EmptyRange`, `DuplicateId`, `StreamClosed`).
   */
  watch(id: bigint, key: Uint8Array, end: Uint8Array | undefined, startRev: bigint, filters?: WatchFilters): bigint {
    const k = keyString(key);
    let e: string | undefined;
    if (end !== undefined && end.length > 0) {
      e = end.length === 1 && end[0] === 0 ? "" : keyString(end);
      if (e !== "" && k >= e) throw new WatchError("EmptyRange");
    }
    if (this.#closed) throw new WatchError("StreamClosed");
    if (id === AUTO_WATCH_ID) {
      while (this.#watchers.has(this.#nextId)) this.#nextId++;
      id = this.#nextId++;
    } else if (this.#watchers.has(id)) {
      throw new WatchError("DuplicateId");
    }
    this.#watchers.set(id, this.#store.addWatcher(this.#handle, id, k, e, startRev, filters));
    return id;
  }

  /** Cancels watcher `id`; false when the stream has no such watcher. */
  cancel(id: bigint): boolean {
    const w = this.#watchers.get(id);
    if (w === undefined || this.#closed) return false;
    this.#store.removeWatcher(w);
    this.#watchers.delete(id);
    return true;
  }

  /** A progress notification for `id` if it is synced (nothing otherwise). */
  requestProgress(id: bigint): void {
    const w = this.#watchers.get(id);
    if (w !== undefined) this.#store.progress(w);
  }

  /** One progress notification (watch id -1) if every watcher is synced; returns whether it was sent. */
  requestProgressAll(): boolean {
    return this.#store.progressAll(this.#handle, this.#watchers.values());
  }

  /** True when watcher `id` exists and is synced. */
  isSynced(id: bigint): boolean {
    return this.#watchers.get(id)?.state === "synced";
  }

  /** The current revision of the store. */
  get rev(): bigint {
    return this.#store.rev;
  }

  /** The receiver has room again: victims of this stream deliver what they hold. Returns how many moved. */
  writable(): number {
    if (this.#closed) return 0;
    return this.#store.retryVictims(this.#handle);
  }

  /** Cancels every watcher; later calls do nothing. */
  close(): void {
    if (this.#closed) return;
    for (const w of this.#watchers.values()) this.#store.removeWatcher(w);
    this.#watchers.clear();
    this.#closed = true;
    this.#store.streamClosed();
  }
}
