import { test } from "node:test";
import assert from "node:assert/strict";
import { b, fixture, RecordingReceiver } from "./test-support.js";
import { WatchError } from "./types.js";

const FROM_KEY = Buffer.from([0]);

test("synced watcher: live events of its key only, one response per revision, header = event revision", () => {
  const fx = fixture();
  const r = new RecordingReceiver();
  const s = fx.watch.newStream(r);
  const id = s.watch(0n, b("a"), undefined, 0n);
  assert.equal(id, 0n);
  fx.put("a", "1");
  fx.put("b", "1");
  fx.put("a", "2");
  fx.del("a");
  assert.deepEqual(r.events(0n), ["PUT a=1@2", "PUT a=2@4", "DEL a@5"]);
  assert.deepEqual(
    r.got.map((g) => g.revision),
    [2n, 4n, 5n],
  );
  assert.equal(fx.watch.stats().synced, 1);
});

test("ranges: [key, end), prefix, and \\0 (every key from here on)", () => {
  const fx = fixture();
  const r = new RecordingReceiver();
  const s = fx.watch.newStream(r);
  const range = s.watch(0n, b("b"), b("d"), 0n);
  const prefix = s.watch(0n, b("foo/"), b("foo0"), 0n);
  const from = s.watch(0n, b("c"), FROM_KEY, 0n);
  const all = s.watch(0n, FROM_KEY, FROM_KEY, 0n);
  for (const k of ["a", "b", "bz", "c", "d", "foo", "foo/x", "foo0", "\u00ff"]) fx.put(k, "v");
  const keys = (id: bigint): string[] => r.events(id).map((e) => e.split(/[=@ ]/)[1]!);
  assert.deepEqual(keys(range), ["b", "bz", "c"]);
  assert.deepEqual(keys(prefix), ["foo/x"]);
  assert.deepEqual(keys(from), ["c", "d", "foo", "foo/x", "foo0", "\u00ff"]);
  assert.deepEqual(keys(all), ["a", "b", "bz", "c", "d", "foo", "foo/x", "foo0", "\u00ff"]);
});

test("one revision with several events (txn) goes out as one response", () => {
  const fx = fixture();
  fx.put("x", "0");
  const r = new RecordingReceiver();
  const s = fx.watch.newStream(r);
  s.watch(0n, b("a"), b("z"), 0n);
  fx.txn([{ put: "a", value: "1" }, { put: "b", value: "1" }, { del: "x" }]);
  assert.equal(r.got.length, 1);
  assert.deepEqual(r.events(0n), ["PUT a=1@3", "PUT b=1@3", "DEL x@3"]);
});

test("filters: NOPUT and NODELETE; a revision with only filtered events sends nothing", () => {
  const fx = fixture();
  const r = new RecordingReceiver();
  const s = fx.watch.newStream(r);
  const noPut = s.watch(0n, b("a"), undefined, 0n, { noPut: true });
  const noDel = s.watch(0n, b("a"), undefined, 0n, { noDelete: true });
  fx.put("a", "1");
  fx.del("a");
  assert.deepEqual(r.events(noPut), ["DEL a@3"]);
  assert.deepEqual(r.events(noDel), ["PUT a=1@2"]);
  assert.equal(r.got.length, 2);
});

test("start revision: 0 = next, past = catch-up from history (deletes included), future = from there", () => {
  const fx = fixture();
  fx.put("a", "1"); // 2
  fx.put("a", "2"); // 3
  fx.del("a"); // 4
  fx.put("a", "3"); // 5
  const r = new RecordingReceiver();
  const s = fx.watch.newStream(r);
  const now = s.watch(0n, b("a"), undefined, 0n);
  const past = s.watch(0n, b("a"), undefined, 3n);
  const future = s.watch(0n, b("a"), undefined, 8n);
  assert.equal(fx.watch.stats().unsynced, 1);
  assert.ok(fx.wakes > 0, "an unsynced watcher wakes the sync loop");
  fx.syncAll();
  assert.deepEqual(r.events(past), ["PUT a=2@3", "DEL a@4", "PUT a=3@5"]);
  // The backlog response says how far it brought the watcher: the current revision.
  assert.equal(r.got.find((g) => g.watchId === past)!.revision, 5n);
  for (let i = 0; i < 4; i++) fx.put("a", `n${i}`); // 6..9
  assert.deepEqual(r.events(now), ["PUT a=n0@6", "PUT a=n1@7", "PUT a=n2@8", "PUT a=n3@9"]);
  assert.deepEqual(r.events(future), ["PUT a=n2@8", "PUT a=n3@9"]);
  assert.deepEqual(r.events(past).slice(3), ["PUT a=n0@6", "PUT a=n1@7", "PUT a=n2@8", "PUT a=n3@9"]);
});

test("catch-up: batches cut at revision boundaries (max revisions and max bytes), header = last revision covered", () => {
  const fx = fixture({ maxRevisionsPerBatch: 3, maxBatchBytes: 1 << 20 });
  for (let i = 0; i < 5; i++) fx.txn([{ put: "k1", value: `${i}` }, { put: "k2", value: `${i}` }]); // revs 2..6, two events each
  const r = new RecordingReceiver();
  const s = fx.watch.newStream(r);
  s.watch(0n, b("k"), b("l"), 1n);
  fx.syncAll();
  assert.deepEqual(
    r.got.map((g) => [g.revision, g.events.length]),
    [
      [4n, 6],
      [6n, 4],
    ],
  );
  // Byte limit: each event ~ 50 bytes, limit 60 → one revision per batch, never half of one.
  const fx2 = fixture({ maxRevisionsPerBatch: 1000, maxBatchBytes: 60 });
  for (let i = 0; i < 3; i++) fx2.txn([{ put: "k1", value: `${i}` }, { put: "k2", value: `${i}` }]);
  const r2 = new RecordingReceiver();
  fx2.watch.newStream(r2).watch(0n, b("k"), b("l"), 1n);
  fx2.syncAll();
  assert.deepEqual(
    r2.got.map((g) => [g.revision, g.events.length]),
    [
      [2n, 2],
      [3n, 2],
      [4n, 2],
    ],
  );
});

test("catch-up: the scan budget bounds one round; the watcher continues where it stopped", () => {
  const fx = fixture({ maxScanPerSync: 10 });
  for (let i = 0; i < 35; i++) fx.put(i % 7 === 0 ? "hit" : `other${i}`, `${i}`);
  const r = new RecordingReceiver();
  const s = fx.watch.newStream(r);
  s.watch(0n, b("hit"), undefined, 1n);
  const rounds = fx.syncAll();
  assert.ok(rounds >= 4, `expected several rounds, got ${rounds}`);
  assert.deepEqual(r.events(0n), ["PUT hit=0@2", "PUT hit=7@9", "PUT hit=14@16", "PUT hit=21@23", "PUT hit=28@30"]);
  fx.put("hit", "live");
  assert.deepEqual(r.events(0n).at(-1), "PUT hit=live@37");
});

test("compaction: a watcher whose start is compacted is cancelled with compact_revision (header revision 0)", () => {
  const fx = fixture();
  for (let i = 0; i < 5; i++) fx.put("a", `${i}`); // 2..6
  fx.kv.compact(4n);
  const r = new RecordingReceiver();
  const s = fx.watch.newStream(r);
  const old = s.watch(5n, b("a"), undefined, 2n);
  const atCompact = s.watch(0n, b("a"), undefined, 4n);
  fx.syncAll();
  const cancel = r.got.find((g) => g.watchId === old)!;
  assert.equal(cancel.compactRevision, 4n);
  assert.equal(cancel.revision, 0n);
  assert.equal(cancel.events.length, 0);
  assert.deepEqual(r.events(atCompact), ["PUT a=2@4", "PUT a=3@5", "PUT a=4@6"]);
  // The compacted watcher gets nothing more, but its id stays taken until cancelled.
  fx.put("a", "x");
  assert.equal(r.got.filter((g) => g.watchId === old).length, 1);
  assert.equal(s.watch(0n, b("a"), undefined, 0n), 1n);
  assert.throws(() => s.watch(old, b("a"), undefined, 0n), (e: unknown) => e instanceof WatchError && e.kind === "DuplicateId");
  assert.equal(s.cancel(old), true);
  assert.equal(fx.watch.stats().watchers, 2);
});

test("compaction cancel waits for room on a full stream", () => {
  const fx = fixture();
  for (let i = 0; i < 3; i++) fx.put("a", `${i}`);
  fx.kv.compact(3n);
  const r = new RecordingReceiver();
  r.full = true;
  const s = fx.watch.newStream(r);
  s.watch(0n, b("a"), undefined, 2n);
  fx.watch.syncWatchers();
  assert.equal(r.got.length, 0);
  assert.equal(fx.watch.stats().unsynced, 1);
  r.full = false;
  fx.watch.syncWatchers();
  assert.equal(r.got[0]!.compactRevision, 3n);
  assert.equal(fx.watch.stats().unsynced, 0);
});

test("ids: from 0 per stream, client-chosen ids kept, auto ids skip taken ones, duplicates refused", () => {
  const fx = fixture();
  const s1 = fx.watch.newStream(new RecordingReceiver());
  const s2 = fx.watch.newStream(new RecordingReceiver());
  assert.equal(s1.watch(0n, b("a"), undefined, 0n), 0n);
  assert.equal(s2.watch(0n, b("a"), undefined, 0n), 0n);
  assert.equal(s1.watch(1n, b("a"), undefined, 0n), 1n);
  assert.equal(s1.watch(7n, b("a"), undefined, 0n), 7n);
  assert.equal(s1.watch(0n, b("a"), undefined, 0n), 2n);
  assert.throws(() => s1.watch(7n, b("a"), undefined, 0n), (e: unknown) => e instanceof WatchError && e.kind === "DuplicateId");
  assert.throws(() => s1.watch(0n, b("b"), b("a"), 0n), (e: unknown) => e instanceof WatchError && e.kind === "EmptyRange");
  assert.throws(() => s1.watch(0n, b("b"), b("b"), 0n), (e: unknown) => e instanceof WatchError && e.kind === "EmptyRange");
  // A cancelled id is free again for a client that asks for it; auto ids keep counting up.
  assert.equal(s1.cancel(1n), true);
  assert.equal(s1.cancel(1n), false);
  assert.equal(s1.cancel(99n), false);
  assert.equal(s1.watch(1n, b("a"), undefined, 0n), 1n);
  assert.equal(s1.watch(0n, b("a"), undefined, 0n), 3n);
  s1.close();
  assert.throws(() => s1.watch(0n, b("a"), undefined, 0n), (e: unknown) => e instanceof WatchError && e.kind === "StreamClosed");
  assert.deepEqual(fx.watch.stats(), { watchers: 1, synced: 1, unsynced: 0, victims: 0, streams: 1 });
});

test("cancel stops delivery in every state (synced, unsynced, victim)", () => {
  const fx = fixture();
  fx.put("a", "0");
  const r = new RecordingReceiver();
  const s = fx.watch.newStream(r);
  const synced = s.watch(0n, b("a"), undefined, 0n);
  const unsynced = s.watch(0n, b("a"), undefined, 1n);
  assert.equal(fx.watch.stats().unsynced, 1);
  s.cancel(unsynced);
  fx.syncAll();
  r.full = true;
  fx.put("a", "1");
  assert.equal(fx.watch.stats().victims, 1);
  s.cancel(synced);
  r.full = false;
  s.writable();
  fx.put("a", "2");
  fx.syncAll();
  assert.equal(r.got.length, 0);
  assert.deepEqual(fx.watch.stats(), { watchers: 0, synced: 0, unsynced: 0, victims: 0, streams: 1 });
});

test("victims: a full stream parks the watcher with one batch; on drain it delivers, catches up from the backend, no loss, no repeat", () => {
  const fx = fixture();
  const r = new RecordingReceiver();
  const s = fx.watch.newStream(r);
  s.watch(0n, b("a"), undefined, 0n);
  const other = fx.watch.newStream(new RecordingReceiver());
  other.watch(0n, b("a"), undefined, 0n);
  fx.put("a", "1"); // 2
  r.full = true;
  fx.put("a", "2"); // 3: refused → victim with this revision
  fx.put("a", "3"); // 4: not offered (victim)
  fx.put("a", "4"); // 5
  assert.equal(r.refused, 1);
  assert.deepEqual(fx.watch.stats(), { watchers: 2, synced: 1, unsynced: 0, victims: 1, streams: 2 });
  // Still full: nothing moves.
  assert.equal(s.writable(), 0);
  r.full = false;
  assert.equal(s.writable(), 1);
  // The held batch says the watcher saw up to 3; then it is unsynced and the rest comes from the backend.
  assert.deepEqual(
    r.got.map((g) => g.revision),
    [2n, 3n],
  );
  assert.equal(fx.watch.stats().unsynced, 1);
  fx.syncAll();
  fx.put("a", "5"); // 6, live again
  assert.deepEqual(r.events(0n), ["PUT a=1@2", "PUT a=2@3", "PUT a=3@4", "PUT a=4@5", "PUT a=5@6"]);
  assert.equal(r.synced, 1);
});

test("victim that was compacted past while parked gets the compaction cancel after it drains", () => {
  const fx = fixture();
  const r = new RecordingReceiver();
  const s = fx.watch.newStream(r);
  s.watch(0n, b("a"), undefined, 0n);
  r.full = true;
  fx.put("a", "1"); // 2 (held)
  fx.put("a", "2"); // 3
  fx.put("a", "3"); // 4
  fx.kv.compact(4n);
  r.full = false;
  s.writable();
  fx.syncAll();
  assert.deepEqual(r.events(0n), ["PUT a=1@2"]);
  assert.equal(r.got.at(-1)!.compactRevision, 4n);
});

test("progress: per watcher only when synced; for the whole stream (id -1) only when every watcher is synced", () => {
  const fx = fixture();
  fx.put("a", "1");
  const r = new RecordingReceiver();
  const s = fx.watch.newStream(r);
  const w0 = s.watch(0n, b("a"), undefined, 0n);
  const w1 = s.watch(0n, b("a"), undefined, 1n);
  s.requestProgress(w0);
  s.requestProgress(w1);
  assert.deepEqual(
    r.got.map((g) => [g.watchId, g.revision, g.events.length]),
    [[w0, 2n, 0]],
  );
  assert.equal(s.requestProgressAll(), false);
  fx.syncAll();
  r.clear();
  assert.equal(s.requestProgressAll(), true);
  assert.deepEqual(
    r.got.map((g) => [g.watchId, g.revision, g.events.length]),
    [[-1n, 2n, 0]],
  );
  // A stream without watchers is trivially synced.
  const empty = new RecordingReceiver();
  assert.equal(fx.watch.newStream(empty).requestProgressAll(), true);
  assert.equal(empty.got[0]!.watchId, -1n);
});

test("many watchers on one key: every one gets every event once", () => {
  const fx = fixture();
  const receivers = Array.from({ length: 10 }, () => new RecordingReceiver());
  for (const r of receivers) {
    const s = fx.watch.newStream(r);
    for (let i = 0; i < 100; i++) s.watch(0n, b("hot"), undefined, 0n);
  }
  for (let i = 0; i < 20; i++) fx.put("hot", `${i}`);
  for (const r of receivers) {
    assert.equal(r.got.length, 2000);
    for (let id = 0n; id < 100n; id++) assert.equal(r.events(id).length, 20);
  }
});

test("restore: synced watchers catch up on revisions they were never notified of, from where they were", () => {
  const fx = fixture();
  fx.put("b", "0"); // 2
  fx.put("b", "1"); // 3
  fx.kv.compact(3n);
  const r = new RecordingReceiver();
  const s = fx.watch.newStream(r);
  s.watch(0n, b("a"), undefined, 0n); // synced from 4, never hit
  fx.put("a", "live"); // 4
  const before = fx.kv.rev;
  fx.notifying = false; // the store changes behind the watchers' back
  fx.put("a", "missed1"); // 5
  fx.put("b", "x"); // 6
  fx.put("a", "missed2"); // 7
  fx.notifying = true;
  fx.watch.restore(before);
  assert.equal(fx.watch.stats().unsynced, 1);
  fx.syncAll();
  assert.deepEqual(r.events(0n), ["PUT a=live@4", "PUT a=missed1@5", "PUT a=missed2@7"]);
  // A watcher that was never hit keeps its place: no false compaction cancel.
  const quiet = s.watch(0n, b("zzz"), undefined, 0n);
  fx.kv.compact(6n);
  fx.watch.restore(fx.kv.rev);
  fx.syncAll();
  assert.equal(r.got.filter((g) => g.watchId === quiet).length, 0);
  assert.equal(fx.watch.stats().synced, 2);
});
