/**
 * The watchable store (etcd's `mvcc.watchableStore`): the watchers of every
 * stream, kept in two groups plus victims, fed by the key-value store's
 * commits and by its history in the backend.
 *
 * - `notify(events, rev)` (the KVStore `onCommit` hook) hands the events of
 *   one revision to every synced watcher covering their keys: one response
 *   per watcher, the whole revision in it.
 * - `syncWatchers()` runs one bounded round of catch-up: up to
 *   `maxWatchersPerSync` unsynced watchers, their backlog read from the
 *   backend's `key` bucket by revision (at most `maxScanPerSync` records,
 *   cut at a revision boundary), in batches of at most
 *   `maxRevisionsPerBatch` revisions / `maxBatchBytes`. A watcher whose next
 *   revision is compacted gets a response with `compactRevision` and stops.
 * - A stream that refuses a delivery (its receiver is full) turns the
 *   watcher into a victim holding that one batch; it stops receiving live
 *   events. When the stream drains (`WatchStream.writable()`), victims
 *   deliver their batch and rejoin as unsynced, so the rest comes from the
 *   backend: nothing skipped, nothing twice, and a stalled consumer costs one
 *   batch per watcher, not an unbounded queue.
 *
 * No timers and no clock: the owner calls `syncWatchers()` periodically and
 * whenever `wake()` says there is backlog. Single-threaded: receivers must
 * not call back into the store from `offer`.
 * @module
 */

import { Event_EventType, type Event, type KeyValue } from "../../../gen/mvccpb/kv.js";
import { nullLogger, type Logger } from "../../../pkg/logger.js";
import type { BackendReader } from "../../backend/backend.js";
import { decodeKeyValue } from "../kv-codec.js";
import { isTombstoneKey, revToBytes } from "../revision.js";
import { EventBatch } from "./event-batch.js";
import { DEFAULT_WATCH_LIMITS, INVALID_WATCH_ID, type WatchFilters, type WatchLimits, type WatchReceiver, type WatchSource, type WatchStats } from "./types.js";
import { WatcherGroup } from "./watcher-group.js";
import { Watcher } from "./watcher.js";
import { WatchStream, type StreamHandle, type WatcherRegistry } from "./watch-stream.js";

export interface WatchableStoreOptions {
  /** The key-value store whose revisions are watched. */
  source: WatchSource;
  /** The backend behind it: backlog is read from its `key` bucket. */
  backend: BackendReader;
  limits?: Partial<WatchLimits>;
  /** Called when unsynced watchers wait, so the owner can run {@link WatchableStore.syncWatchers} soon. */
  wake?: () => void;
  logger?: Logger;
}

/** A stream as the store knows it. */
const NO_EVENTS: readonly Event[] = [];

export class WatchableStore implements WatcherRegistry {
  #source: WatchSource;
  #backend: BackendReader;
  readonly #limits: WatchLimits;
  readonly #wake: () => void;
  readonly #log: Logger;
  readonly #synced = new WatcherGroup();
  readonly #unsynced = new WatcherGroup();
  readonly #victims = new Map<StreamHandle, Set<Watcher>>();
  #victimCount = 0;
  #advanced = 0;
  #streams = 0;
  #nextStreamId = 1;

  constructor(options: WatchableStoreOptions) {
    this.#source = options.source;
    this.#backend = options.backend;
    this.#limits = { ...DEFAULT_WATCH_LIMITS, ...options.limits };
    this.#wake = options.wake ?? (() => {});
    this.#log = options.logger ?? nullLogger;
  }

  /** Opens a stream whose responses go to `receiver`. */
  newStream(receiver: WatchReceiver): WatchStream {
    this.#streams++;
    return new WatchStream(this, { streamId: this.#nextStreamId++, receiver });
  }

  /** The current revision of the watched store. */
  get rev(): bigint {
    return this.#source.rev;
  }

  stats(): WatchStats {
    return {
      watchers: this.#synced.size + this.#unsynced.size + this.#victimCount,
      synced: this.#synced.size,
      unsynced: this.#unsynced.size,
      victims: this.#victimCount,
      streams: this.#streams,
    };
  }

  /** Watchers the last `syncWatchers` round moved forward (0: the round could do nothing). */
  get lastRoundAdvanced(): number {
    return this.#advanced;
  }

  /** True when some watcher waits for a sync round. */
  get hasBacklog(): boolean {
    return this.#unsynced.size > 0;
  }

  /**
   * The commit hook: `events` are all the changes of revision `rev`, in op
   * order (deletes carry `modRevision = rev`). Call it after the store moved
   * to `rev`.
   */
  notify(events: readonly Event[], rev: bigint): void {
    if (this.#synced.size === 0 || events.length === 0) return;
    if (events.length === 1) {
      this.#notifyOne(events, rev);
      return;
    }
    const perWatcher = new Map<Watcher, Event[]>();
    for (const ev of events) {
      const kv = ev.kv;
      if (kv === undefined) continue;
      this.#synced.forEachCovering(kv.key.toString("latin1"), (w) => {
        // A watcher created with a future start revision skips what comes before it.
        if (rev < w.minRev || !w.accepts(ev)) return;
        const list = perWatcher.get(w);
        if (list === undefined) perWatcher.set(w, [ev]);
        else list.push(ev);
      });
    }
    for (const [w, evs] of perWatcher) this.#deliverLive(w, evs, rev);
  }

  /** The single-event case (most writes): no per-watcher lists, one shared event array. */
  #notifyOne(events: readonly Event[], rev: bigint): void {
    const ev = events[0]!;
    const kv = ev.kv;
    if (kv === undefined) return;
    const hit: Watcher[] = [];
    this.#synced.forEachCovering(kv.key.toString("latin1"), (w) => {
      if (rev >= w.minRev && w.accepts(ev)) hit.push(w);
    });
    for (const w of hit) this.#deliverLive(w, events, rev);
  }

  #deliverLive(w: Watcher, events: readonly Event[], rev: bigint): void {
    w.minRev = rev + 1n;
    if (this.#offer(w, events, rev)) return;
    // The stream is full: park the watcher with this revision; the rest comes from the backend later.
    this.#synced.delete(w);
    this.#makeVictim(w, EventBatch.of(events));
  }

  #offer(w: Watcher, events: readonly Event[], revision: bigint): boolean {
    return (w.owner as StreamHandle).receiver.offer({ watchId: w.id, events, revision, compactRevision: 0n });
  }

  #makeVictim(w: Watcher, batch: EventBatch): void {
    w.state = "victim";
    w.pending = batch;
    const handle = w.owner as StreamHandle;
    let set = this.#victims.get(handle);
    if (set === undefined) {
      set = new Set();
      this.#victims.set(handle, set);
    }
    set.add(w);
    this.#victimCount++;
  }

  /**
   * One round of catch-up for unsynced watchers; returns how many are still
   * unsynced. Bounded by the limits, so calling it again soon is fair to
   * other work.
   */
  syncWatchers(): number {
    this.#advanced = 0;
    if (this.#unsynced.size === 0) return 0;
    const curRev = this.#source.rev;
    const compactRev = this.#source.compactRev;
    const group = new WatcherGroup();
    let minRev = curRev + 1n;
    for (const w of this.#unsynced) {
      if (group.size >= this.#limits.maxWatchersPerSync) break;
      if (w.minRev < compactRev) continue;
      group.add(w);
      if (w.minRev < minRev) minRev = w.minRev;
    }
    this.#cancelCompacted(compactRev);
    if (group.size === 0) return this.#unsynced.size;

    const { batches, endRev } = this.#readBacklog(group, minRev, curRev);
    const synced = new Set<WatchReceiver>();
    for (const w of group) {
      const batch = batches.get(w);
      // A watcher ahead of where the scan stopped keeps its place.
      const next = batch?.full === true ? batch.moreRev : endRev + 1n > w.minRev ? endRev + 1n : w.minRev;
      if (next !== w.minRev) this.#advanced++;
      w.minRev = next;
      this.#unsynced.delete(w);
      if (batch !== undefined && batch.events.length > 0 && !this.#offer(w, batch.events, next - 1n)) {
        this.#makeVictim(w, batch);
        continue;
      }
      if (next > curRev) {
        w.state = "synced";
        this.#synced.add(w);
        synced.add((w.owner as StreamHandle).receiver);
      } else {
        // Still behind: to the back of the line, so every watcher gets its turn.
        this.#unsynced.add(w);
      }
    }
    for (const r of synced) r.onSynced?.();
    return this.#unsynced.size;
  }

  /** Sends the compaction cancel to unsynced watchers whose next revision is gone. */
  #cancelCompacted(compactRev: bigint): void {
    if (compactRev <= 0n) return;
    let n = 0;
    for (const w of this.#unsynced) {
      if (n++ >= this.#limits.maxWatchersPerSync) break;
      if (w.minRev >= compactRev) continue;
      const receiver = (w.owner as StreamHandle).receiver;
      // A full stream gets it in a later round (etcd retries the same way).
      if (!receiver.offer({ watchId: w.id, events: NO_EVENTS, revision: 0n, compactRevision: compactRev })) continue;
      this.#unsynced.delete(w);
      w.state = "compacted";
      this.#advanced++;
      this.#log.debug({ watchId: String(w.id), minRev: String(w.minRev), compactRevision: String(compactRev) }, "watcher cancelled: its next revision is compacted");
    }
  }

  /**
   * Reads revisions [minRev, curRev] of the key bucket into per-watcher
   * batches, stopping after `maxScanPerSync` records at a revision boundary
   * (`endRev` = the last revision read completely) or once every batch is full.
   */
  #readBacklog(group: WatcherGroup, minRev: bigint, curRev: bigint): { batches: Map<Watcher, EventBatch>; endRev: bigint } {
    const limits = this.#limits;
    const batches = new Map<Watcher, EventBatch>();
    let endRev = curRev;
    let scanned = 0;
    let current = -1n;
    let full = 0;
    this.#backend.forEach(
      "key",
      (revKey, value) => {
        const main = revKey.readBigInt64BE(0);
        if (main !== current) {
          if (full === group.size || scanned >= limits.maxScanPerSync) {
            endRev = current;
            return false;
          }
          current = main;
        }
        scanned++;
        const kv = decodeKeyValue(value);
        const key = kv.key.toString("latin1");
        let ev: Event | undefined;
        group.forEachCovering(key, (w) => {
          if (main < w.minRev) return;
          ev ??= toEvent(kv, main, isTombstoneKey(revKey));
          if (!w.accepts(ev)) return;
          let batch = batches.get(w);
          if (batch === undefined) {
            batch = new EventBatch(limits.maxRevisionsPerBatch, limits.maxBatchBytes);
            batches.set(w, batch);
          }
          if (!batch.full && !batch.add(ev, main)) full++;
        });
        return true;
      },
      { start: revToBytes({ main: minRev, sub: 0n }), end: revToBytes({ main: curRev + 1n, sub: 0n }) },
    );
    return { batches, endRev };
  }

  /**
   * Retries the victims of `handle` (its receiver has room again): each
   * delivers its held batch and rejoins as unsynced (or synced when nothing
   * happened since). Stops at the first refusal. Returns how many moved.
   */
  retryVictims(handle: StreamHandle): number {
    const set = this.#victims.get(handle);
    if (set === undefined) return 0;
    const curRev = this.#source.rev;
    let moved = 0;
    let backlog = false;
    let synced = false;
    for (const w of set) {
      const batch = w.pending!;
      if (!this.#offer(w, batch.events, w.minRev - 1n)) break;
      set.delete(w);
      this.#victimCount--;
      w.pending = undefined;
      moved++;
      if (w.minRev <= curRev) {
        w.state = "unsynced";
        this.#unsynced.add(w);
        backlog = true;
      } else {
        w.state = "synced";
        this.#synced.add(w);
        synced = true;
      }
    }
    if (set.size === 0) this.#victims.delete(handle);
    if (synced) handle.receiver.onSynced?.();
    if (backlog) this.#wake();
    return moved;
  }

  /** Retries the victims of every stream (a safety net for the periodic loop). */
  retryAllVictims(): number {
    let moved = 0;
    for (const handle of [...this.#victims.keys()]) moved += this.retryVictims(handle);
    return moved;
  }

  /**
   * The watched store's contents were replaced (a snapshot from the leader):
   * its new revisions were never notified, so every synced watcher goes back
   * to unsynced and catches up from the backend (etcd's watchableStore.Restore).
   * `syncedThrough` is the revision the store was at before: synced watchers
   * had everything up to it. When the server replaced the store object
   * itself, pass the new one (and its backend).
   */
  restore(syncedThrough: bigint, replaced?: { source: WatchSource; backend: BackendReader }): void {
    if (replaced !== undefined) {
      this.#source = replaced.source;
      this.#backend = replaced.backend;
    }
    const moved = [...this.#synced];
    for (const w of moved) {
      this.#synced.delete(w);
      if (w.minRev <= syncedThrough) w.minRev = syncedThrough + 1n;
      w.state = "unsynced";
      this.#unsynced.add(w);
    }
    if (moved.length > 0) this.#wake();
  }

  // ---- used by WatchStream ----------------------------------------------

  /** Registers a watcher (WatchStream.watch has validated the request). */
  addWatcher(handle: StreamHandle, id: bigint, key: string, end: string | undefined, startRev: bigint, filters: WatchFilters | undefined): Watcher {
    if (startRev < 0n) throw new RangeError(`watch: negative start revision ${startRev}`);
    const cur = this.#source.rev;
    const synced = startRev === 0n || startRev > cur;
    const w = new Watcher(id, handle, key, end, synced ? (startRev > cur + 1n ? startRev : cur + 1n) : startRev, filters);
    if (synced) {
      w.state = "synced";
      this.#synced.add(w);
    } else {
      this.#unsynced.add(w);
      this.#wake();
    }
    return w;
  }

  /** Removes a watcher from wherever it is. */
  removeWatcher(w: Watcher): void {
    switch (w.state) {
      case "synced":
        this.#synced.delete(w);
        break;
      case "unsynced":
        this.#unsynced.delete(w);
        break;
      case "victim": {
        const handle = w.owner as StreamHandle;
        const set = this.#victims.get(handle);
        if (set?.delete(w) === true) this.#victimCount--;
        if (set?.size === 0) this.#victims.delete(handle);
        w.pending = undefined;
        break;
      }
      case "compacted":
      case "canceled":
        break;
    }
    w.state = "canceled";
  }

  /** Sends a progress notification (no events, current revision) to `w` if it is synced. */
  progress(w: Watcher): void {
    if (w.state !== "synced") return;
    // Dropped when the stream is full: it is receiving events then, which say more.
    this.#offer(w, NO_EVENTS, this.#source.rev);
  }

  /**
   * If every live watcher of the stream is synced, sends one progress
   * notification with watch id -1 and the current revision, and returns
   * true; otherwise sends nothing and returns false.
   */
  progressAll(handle: StreamHandle, watchers: Iterable<Watcher>): boolean {
    for (const w of watchers) {
      if (w.state === "synced" || w.state === "compacted" || w.state === "canceled") continue;
      return false;
    }
    handle.receiver.offer({ watchId: INVALID_WATCH_ID, events: NO_EVENTS, revision: this.#source.rev, compactRevision: 0n });
    return true;
  }

  streamClosed(): void {
    this.#streams--;
  }
}

function toEvent(kv: KeyValue, main: bigint, tombstone: boolean): Event {
  if (!tombstone) return { type: Event_EventType.PUT, kv, prevKv: undefined };
  // A stored tombstone holds only the key; the event reports the deleting revision.
  kv.modRevision = main;
  return { type: Event_EventType.DELETE, kv, prevKv: undefined };
}
