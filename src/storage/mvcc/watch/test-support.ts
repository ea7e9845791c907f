/**
 * Test helpers for the watchable store: an in-memory KVStore wired to a
 * WatchableStore, write shortcuts, and a receiver that records what it gets
 * and refuses deliveries on demand. Not used by production code.
 * @module
 */

import { Event_EventType } from "../../../gen/mvccpb/kv.js";
import { MemoryBackend } from "../../backend/memory-backend.js";
import type { Backend } from "../../backend/backend.js";
import { KVStore } from "../kvstore.js";
import type { StoreWatchResponse, WatchLimits, WatchReceiver } from "./types.js";
import { WatchableStore } from "./watchable-store.js";

export const b = (s: string): Buffer => Buffer.from(s, "latin1");

export interface Fixture {
  backend: Backend;
  kv: KVStore;
  watch: WatchableStore;
  /** How many times the store asked for a sync round. */
  wakes: number;
  /** While false, commits do not reach the watchable store (a restore from elsewhere). */
  notifying: boolean;
  put(key: string, value: string): bigint;
  del(key: string, end?: string): bigint;
  /** Several ops in one txn (one revision). */
  txn(ops: ({ put: string; value: string } | { del: string })[]): bigint;
  /** Runs sync rounds until no watcher is unsynced (or `max` rounds). */
  syncAll(max?: number): number;
}

export function fixture(limits?: Partial<WatchLimits>): Fixture {
  const backend = new MemoryBackend();
  let watch: WatchableStore | undefined;
  const kv = new KVStore({ backend, onCommit: (events, rev) => (fx.notifying ? watch!.notify(events, rev) : undefined) });
  const fx: Fixture = {
    backend,
    kv,
    wakes: 0,
    notifying: true,
    watch: undefined as unknown as WatchableStore,
    put(key, value) {
      const t = kv.write();
      try {
        t.put(b(key), b(value), 0n);
      } finally {
        t.end();
      }
      return kv.rev;
    },
    del(key, end) {
      const t = kv.write();
      try {
        t.deleteRange(b(key), end === undefined ? undefined : b(end));
      } finally {
        t.end();
      }
      return kv.rev;
    },
    txn(ops) {
      const t = kv.write();
      try {
        for (const op of ops) {
          if ("put" in op) t.put(b(op.put), b(op.value), 0n);
          else t.deleteRange(b(op.del), undefined);
        }
      } finally {
        t.end();
      }
      return kv.rev;
    },
    syncAll(max = 1000) {
      let rounds = 0;
      while (watch!.hasBacklog && rounds < max) {
        watch!.syncWatchers();
        rounds++;
      }
      return rounds;
    },
  };
  watch = new WatchableStore({ source: kv, backend, ...(limits ? { limits } : {}), wake: () => fx.wakes++ });
  fx.watch = watch;
  return fx;
}

/** A compact view of an event: "PUT a=1@5" / "DEL a@6". */
export function describeEvent(ev: { type: Event_EventType; kv?: { key: Buffer; value: Buffer; modRevision: bigint } | undefined }): string {
  const kv = ev.kv!;
  return ev.type === Event_EventType.DELETE
    ? `DEL ${kv.key.toString("latin1")}@${kv.modRevision}`
    : `PUT ${kv.key.toString("latin1")}=${kv.value.toString("latin1")}@${kv.modRevision}`;
}

/** Records every accepted response; refuses while `full` is set (or when `accept` says no). */
export class RecordingReceiver implements WatchReceiver {
  readonly got: StoreWatchResponse[] = [];
  full = false;
  refused = 0;
  synced = 0;
  accept: ((resp: StoreWatchResponse) => boolean) | undefined;

  offer(resp: StoreWatchResponse): boolean {
    if (this.full || (this.accept !== undefined && !this.accept(resp))) {
      this.refused++;
      return false;
    }
    this.got.push(resp);
    return true;
  }

  onSynced(): void {
    this.synced++;
  }

  /** Events received for `id`, described, in order. */
  events(id: bigint): string[] {
    return this.got.filter((r) => r.watchId === id).flatMap((r) => r.events.map(describeEvent));
  }

  /** Drops what was recorded so far. */
  clear(): void {
    this.got.length = 0;
  }
}
