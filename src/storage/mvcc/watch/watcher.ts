/**
 * One watcher: a key or range, the next revision it wants, its filters,
 * and where it stands in the store.
 *
 * States (etcd's synced/unsynced groups and victims):
 * - `synced`: has seen everything up to the current revision; gets new
 *   events as they are committed.
 * - `unsynced`: behind; the sync loop reads its backlog from the backend.
 * - `victim`: its stream refused a delivery; holds that one batch until the
 *   stream drains, then goes back to unsynced (or synced).
 * - `compacted`: cancelled because its next revision was compacted (the id
 *   stays taken on its stream until cancelled or closed, as in etcd).
 * - `canceled`: removed.
 * @module
 */

import { Event_EventType, type Event } from "../../../gen/mvccpb/kv.js";
import type { EventBatch } from "./event-batch.js";
import type { WatchFilters } from "./types.js";

export type WatcherState = "synced" | "unsynced" | "victim" | "compacted" | "canceled";

/** The store-side handle of a stream, as far as a watcher needs it. */
export interface WatcherOwner {
  readonly streamId: number;
}

export class Watcher {
  readonly id: bigint;
  readonly owner: WatcherOwner;
  /** Start key (latin1). */
  readonly key: string;
  /** undefined: the single key; "": every key >= key; else the exclusive end (latin1). */
  readonly end: string | undefined;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  /** The lowest revision this watcher still has to receive. */
  minRev: bigint;
  state: WatcherState;
  /** While a victim: the batch its stream refused. */
  pending: EventBatch | undefined;

  constructor(id: bigint, owner: WatcherOwner, key: string, end: string | undefined, minRev: bigint, filters: WatchFilters | undefined) {
    this.id = id;
    this.owner = owner;
    this.key = key;
    this.end = end;
    this.minRev = minRev;
    this.noPut = filters?.noPut === true;
    this.noDelete = filters?.noDelete === true;
    this.state = "unsynced";
    this.pending = undefined;
  }

  get filtered(): boolean {
    return this.noPut || this.noDelete;
  }

  /** True when the event passes this watcher's filters. */
  accepts(ev: Event): boolean {
    if (ev.type === Event_EventType.DELETE) return !this.noDelete;
    return !this.noPut;
  }

  /** True when `key` (latin1) is in the watched key or range. */
  covers(key: string): boolean {
    if (this.end === undefined) return key === this.key;
    return key >= this.key && (this.end === "" || key < this.end);
  }
}
