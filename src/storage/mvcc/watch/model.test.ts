/**
 * Randomized check of the watchable store against a model: random writes,
 * watchers (keys, ranges, start revisions, filters), receivers that refuse
 * at random, drains, sync rounds with tiny limits, cancels and compactions.
 * At the end every watcher must have received exactly the model's events
 * for it, in order, each revision whole in one response (or a prefix
 * followed by a compaction cancel). Seeds are fixed; WATCH_SEEDS=n runs more.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SeededRandom } from "../../../pkg/random.js";
import { b, describeEvent, fixture, RecordingReceiver } from "./test-support.js";
import type { WatchStream } from "./watch-stream.js";

interface ModelEvent {
  rev: bigint;
  type: "PUT" | "DEL";
  key: string;
  value: string;
}

interface ModelWatcher {
  stream: number;
  id: bigint;
  key: string;
  end: string | undefined; // undefined = key only, "" = from key
  from: bigint; // first revision it must get
  noPut: boolean;
  noDelete: boolean;
  cancelledAt: bigint | undefined;
}

const KEYS = ["a", "b", "c", "d", "e", "f"];

function covers(w: ModelWatcher, key: string): boolean {
  if (w.end === undefined) return key === w.key;
  return key >= w.key && (w.end === "" || key < w.end);
}

function runSeed(seed: number): void {
  const rnd = new SeededRandom(seed);
  const fx = fixture({ maxRevisionsPerBatch: 1 + rnd.intn(4), maxBatchBytes: 60 + rnd.intn(400), maxScanPerSync: 1 + rnd.intn(12), maxWatchersPerSync: 1 + rnd.intn(5) });
  const history: ModelEvent[] = [];
  const live = new Map<string, string>();
  const receivers: RecordingReceiver[] = [];
  const streams: WatchStream[] = [];
  const watchers: ModelWatcher[] = [];
  for (let i = 0; i < 3; i++) {
    const r = new RecordingReceiver();
    receivers.push(r);
    streams.push(fx.watch.newStream(r));
  }

  const write = (): void => {
    const n = 1 + rnd.intn(3);
    const t = fx.kv.write();
    const touched = new Set<string>();
    const evs: Omit<ModelEvent, "rev">[] = [];
    for (let i = 0; i < n; i++) {
      const key = KEYS[rnd.intn(KEYS.length)]!;
      if (touched.has(key)) continue;
      touched.add(key);
      if (rnd.intn(4) === 0) {
        if (!live.has(key)) continue;
        t.deleteRange(b(key), undefined);
        live.delete(key);
        evs.push({ type: "DEL", key, value: "" });
      } else {
        const value = `v${rnd.intn(1000)}`.padEnd(1 + rnd.intn(40), "x");
        t.put(b(key), b(value), 0n);
        live.set(key, value);
        evs.push({ type: "PUT", key, value });
      }
    }
    const end = t.end();
    for (const e of evs) history.push({ ...e, rev: end.rev });
  };

  const addWatcher = (): void => {
    const s = rnd.intn(streams.length);
    const key = KEYS[rnd.intn(KEYS.length)]!;
    const shape = rnd.intn(3);
    const end = shape === 0 ? undefined : shape === 1 ? "" : String.fromCharCode(key.charCodeAt(0) + 1 + rnd.intn(3));
    const cur = fx.kv.rev;
    const pick = rnd.intn(4);
    const start = pick === 0 ? 0n : pick === 1 ? cur + 1n + BigInt(rnd.intn(3)) : BigInt(1 + rnd.intn(Number(cur)));
    const noPut = rnd.intn(6) === 0;
    const noDelete = !noPut && rnd.intn(6) === 0;
    const endBytes = end === undefined ? undefined : end === "" ? Buffer.from([0]) : b(end);
    const id = streams[s]!.watch(0n, b(key), endBytes, start, { noPut, noDelete });
    watchers.push({ stream: s, id, key, end, from: start === 0n ? cur + 1n : start, noPut, noDelete, cancelledAt: undefined });
  };

  for (let step = 0; step < 400; step++) {
    const op = rnd.intn(100);
    if (op < 45) write();
    else if (op < 55) addWatcher();
    else if (op < 65) receivers[rnd.intn(receivers.length)]!.full = rnd.intn(2) === 0;
    else if (op < 75) streams[rnd.intn(streams.length)]!.writable();
    else if (op < 88) fx.watch.syncWatchers();
    else if (op < 91 && watchers.length > 0) {
      const w = watchers[rnd.intn(watchers.length)]!;
      if (w.cancelledAt === undefined && streams[w.stream]!.cancel(w.id)) w.cancelledAt = fx.kv.rev;
    } else if (op < 93 && fx.kv.rev > 3n) {
      const target = fx.kv.compactRev + 1n + BigInt(rnd.intn(3));
      if (target < fx.kv.rev && target > fx.kv.compactRev) fx.kv.compact(target);
    } else if (op < 97) {
      for (const r of receivers) r.accept = rnd.intn(3) === 0 ? () => rnd.intn(3) !== 0 : undefined;
    }
  }
  // Drain: everyone accepts, victims deliver, backlogs sync.
  for (const r of receivers) {
    r.full = false;
    r.accept = undefined;
  }
  for (let i = 0; i < 10_000; i++) {
    let moved = 0;
    for (const s of streams) moved += s.writable();
    fx.watch.syncWatchers();
    if (moved === 0 && !fx.watch.hasBacklog && fx.watch.stats().victims === 0) break;
  }
  assert.equal(fx.watch.stats().unsynced + fx.watch.stats().victims, 0, "all watchers synced at the end");

  for (const w of watchers) {
    const r = receivers[w.stream]!;
    const mine = r.got.filter((g) => g.watchId === w.id);
    const compacted = mine.find((g) => g.compactRevision !== 0n);
    const got = mine.flatMap((g) => g.events.map(describeEvent));
    let expected = history
      .filter((e) => e.rev >= w.from && covers(w, e.key) && !(e.type === "PUT" && w.noPut) && !(e.type === "DEL" && w.noDelete))
      .map((e) => (e.type === "DEL" ? `DEL ${e.key}@${e.rev}` : `PUT ${e.key}=${e.value}@${e.rev}`));
    const where = `seed ${seed} watcher ${w.stream}/${w.id} ${JSON.stringify({ key: w.key, end: w.end, from: String(w.from) })}`;
    if (w.cancelledAt !== undefined || compacted !== undefined) {
      // A cancelled or compacted watcher got a prefix of its events.
      assert.deepEqual(got, expected.slice(0, got.length), where);
      if (compacted !== undefined) assert.equal(mine.at(-1), compacted, `${where}: nothing after the compaction cancel`);
      if (w.cancelledAt !== undefined) expected = expected.filter((e) => BigInt(e.split("@")[1]!) <= w.cancelledAt!);
      continue;
    }
    assert.deepEqual(got, expected, where);
    // Atomic and bookmarkable: a response's header revision R covers its events, and every
    // later event is above R (so a revision never spans two responses, and R is a safe resume point).
    let covered = 0n;
    for (const g of mine) {
      if (g.events.length === 0) continue;
      const first = g.events[0]!.kv!.modRevision;
      assert.ok(first > covered, `${where}: revision ${first} after a response covering ${covered}`);
      const last = g.events.at(-1)!.kv!.modRevision;
      assert.ok(g.revision >= last, `${where}: header ${g.revision} below its last event ${last}`);
      covered = g.revision;
    }
  }
}

test("watchable store matches the model under random refusals, drains, cancels and compactions", () => {
  const seeds = Number(process.env["WATCH_SEEDS"] ?? 60);
  for (let seed = 1; seed <= seeds; seed++) runSeed(seed);
});
