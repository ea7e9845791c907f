/**
 * The client-side history of a write load and what each watcher must see.
 * Every write the load makes is recorded from its response (revision, and
 * the deleted keys from prev_kvs), so the expected events come from the
 * clients' own view, not from the server under test.
 */
import { Event_EventType, type Event } from "../../src/gen/mvccpb/kv.js";

export interface WrittenEvent {
  type: "PUT" | "DEL";
  key: string;
  value: string;
}

/** One changed revision: its events in sub-revision order. */
export interface Revision {
  rev: bigint;
  events: WrittenEvent[];
}

export interface KeyState {
  value: string;
  createRevision: bigint;
  modRevision: bigint;
  version: bigint;
}

export interface ExpectedEvent {
  rev: bigint;
  type: "PUT" | "DEL";
  key: string;
  value: string;
  createRevision: bigint;
  version: bigint;
  /** The key before this event (prev_kv), if it existed. */
  prev: KeyState | undefined;
}

/** Which keys a watcher covers, wire convention ("" end = one key, "\0" = from key). */
export interface WatchRange {
  key: string;
  end: string;
}

export function covers(r: WatchRange, key: string): boolean {
  const k = r.key === "" ? "\0" : r.key;
  if (r.end === "") return key === k;
  if (r.end === "\0") return key >= k;
  return key >= k && key < r.end;
}

export class History {
  readonly #revs = new Map<bigint, WrittenEvent[]>();

  record(rev: bigint, events: WrittenEvent[]): void {
    if (events.length === 0) return;
    if (this.#revs.has(rev)) throw new Error(`two writes reported revision ${rev}`);
    this.#revs.set(rev, events);
  }

  get lastRevision(): bigint {
    let max = 0n;
    for (const r of this.#revs.keys()) if (r > max) max = r;
    return max;
  }

  /** Every event in revision order with the key state it replaced. */
  replay(): ExpectedEvent[] {
    const revs = [...this.#revs.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const state = new Map<string, KeyState>();
    const out: ExpectedEvent[] = [];
    for (const rev of revs) {
      for (const e of this.#revs.get(rev)!) {
        const prev = state.get(e.key);
        if (e.type === "PUT") {
          const next: KeyState = { value: e.value, createRevision: prev?.createRevision ?? rev, modRevision: rev, version: (prev?.version ?? 0n) + 1n };
          state.set(e.key, next);
          out.push({ rev, type: "PUT", key: e.key, value: e.value, createRevision: next.createRevision, version: next.version, prev });
        } else {
          state.delete(e.key);
          out.push({ rev, type: "DEL", key: e.key, value: "", createRevision: 0n, version: 0n, prev });
        }
      }
    }
    return out;
  }
}

export function describeExpected(e: ExpectedEvent): string {
  return e.type === "DEL" ? `DEL ${e.key}@${e.rev}` : `PUT ${e.key}=${e.value}@${e.rev} c${e.createRevision} v${e.version}`;
}

export function describeEvent(ev: Event): string {
  const kv = ev.kv!;
  return ev.type === Event_EventType.DELETE
    ? `DEL ${kv.key.toString("latin1")}@${kv.modRevision}`
    : `PUT ${kv.key.toString("latin1")}=${kv.value.toString("latin1")}@${kv.modRevision} c${kv.createRevision} v${kv.version}`;
}

export function describePrev(kv: { value: Buffer; createRevision: bigint; modRevision: bigint; version: bigint } | KeyState | undefined): string {
  if (kv === undefined) return "-";
  const value = Buffer.isBuffer(kv.value) ? kv.value.toString("latin1") : kv.value;
  return `${value}@${kv.modRevision} c${kv.createRevision} v${kv.version}`;
}
