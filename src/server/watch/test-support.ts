/**
 * Helpers for the watch tests: a hub over a memory-backed mvcc store on a
 * manual clock, request builders and a compact view of responses. Not used
 * by production code.
 * @module
 */
import type { WatchCreateRequest, WatchResponse } from "../../gen/etcdserverpb/rpc.js";
import { Event_EventType } from "../../gen/mvccpb/kv.js";
import { ManualClock } from "../../pkg/clock.js";
import { SeededRandom } from "../../pkg/random.js";
import { MemoryBackend } from "../../storage/backend/memory-backend.js";
import { KVStore } from "../../storage/mvcc/kvstore.js";
import type { WatchSessionOptions } from "./api.js";
import { WatchHub, type WatchHubOptions } from "./hub.js";
import type { WatchSession } from "./session.js";

export const b = (s: string): Buffer => Buffer.from(s, "latin1");
export const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

export function setup(options: Partial<WatchHubOptions> = {}) {
  const backend = new MemoryBackend();
  let hub: WatchHub | undefined;
  const kv = new KVStore({ backend, onCommit: (events, rev) => hub!.notify(events, rev) });
  const clock = new ManualClock();
  hub = new WatchHub({
    source: kv,
    backend,
    header: (revision) => ({ clusterId: 11n, memberId: 22n, revision, raftTerm: 3n }),
    clock,
    random: new SeededRandom(1),
    maxRequestBytes: 1024 * 1024,
    progressNotifyIntervalMs: 1000,
    ...options,
  });
  const put = (key: string, value: string): bigint => {
    const t = kv.write();
    try {
      t.put(b(key), b(value), 0n);
    } finally {
      t.end();
    }
    return kv.rev;
  };
  const del = (key: string): bigint => {
    const t = kv.write();
    try {
      t.deleteRange(b(key), undefined);
    } finally {
      t.end();
    }
    return kv.rev;
  };
  const open = (sessionOptions?: WatchSessionOptions): { session: WatchSession; got: WatchResponse[] } => {
    const session = hub!.openSession(sessionOptions);
    const got: WatchResponse[] = [];
    session.onResponse((r) => {
      got.push(r);
    });
    return { session, got };
  };
  return { kv, hub, clock, put, del, open, backend };
}

export function create(over: Partial<WatchCreateRequest>): WatchCreateRequest {
  return { key: b(""), rangeEnd: b(""), startRevision: 0n, progressNotify: false, filters: [], prevKv: false, watchId: 0n, fragment: false, ...over };
}

/** A compact view: "c0@5" created id 0 at rev 5; "x-1 why" created+canceled; "e0@6 PUT a=1" events. */
export function show(r: WatchResponse): string {
  const rev = r.header?.revision ?? 0n;
  if (r.created && r.canceled) return `x${r.watchId} ${r.cancelReason}`;
  if (r.created) return `c${r.watchId}@${rev}`;
  if (r.canceled) return `k${r.watchId}@${rev}${r.compactRevision !== 0n ? ` compact=${r.compactRevision}` : ""}${r.cancelReason === "" ? "" : ` ${r.cancelReason}`}`;
  if (r.events.length === 0) return `p${r.watchId}@${rev}`;
  const evs = r.events.map((e) => {
    const kv = e.kv!;
    const prev = e.prevKv === undefined ? "" : ` prev=${e.prevKv.value.toString()}`;
    return e.type === Event_EventType.DELETE ? `DEL ${kv.key}${prev}` : `PUT ${kv.key}=${kv.value}${prev}`;
  });
  return `e${r.watchId}@${rev}${r.fragment ? "+" : ""} ${evs.join(", ")}`;
}
