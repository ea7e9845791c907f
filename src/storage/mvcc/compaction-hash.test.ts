import { test } from "node:test";
import assert from "node:assert/strict";
import { isEtcdError } from "../../pkg/errors.js";
import { META_KEYS } from "../backend/schema.js";
import { BackendFixture, ManualScheduler, b, openStore, withEachBackend } from "../test-support.js";
import type { KVStore } from "./kvstore.js";
import { bytesToRev, isTombstoneKey } from "./revision.js";

const FROM_KEY = Buffer.from([0]);

function write(s: KVStore, ops: [op: "put" | "del", key: string, value?: string][]): bigint {
  const t = s.write();
  try {
    for (const [op, key, value] of ops) {
      if (op === "put") t.put(b(key), b(value ?? ""), 0n);
      else t.deleteRange(b(key), undefined);
    }
  } finally {
    t.end();
  }
  return s.rev;
}

/** The history etcd 3.4.23 hashed in our differential run (see test/storage-diff). */
function etcdSampleHistory(s: KVStore): void {
  write(s, [["put", "foo", "bar"]]);
  write(s, [["put", "foo", "baz"]]);
  write(s, [["put", "k2", "v2"]]);
  write(s, [["del", "foo"]]);
  write(s, [["put", "foo", "again"]]);
}

function storedRevisions(fx: BackendFixture): string[] {
  return fx.backend.range("key").map((e) => {
    const r = bytesToRev(e.key);
    return `${r.main}.${r.sub}${isTombstoneKey(e.key) ? "t" : ""}`;
  });
}

test("HashKV equals real etcd 3.4.23's for the same history (empty, written, compacted, older revision)", () =>
  withEachBackend(async (fx) => {
    const s = openStore(fx);
    assert.deepEqual(s.hashByRev(0n), { hash: 1084519789, compactRevision: -1n, hashRevision: 1n, currentRevision: 1n });
    etcdSampleHistory(s);
    assert.equal(s.hashByRev(0n).hash, 1858530439);
    await s.compact(4n).physical;
    assert.deepEqual(s.hashByRev(0n), { hash: 3865585581, compactRevision: 4n, hashRevision: 6n, currentRevision: 6n });
    assert.equal(s.hashByRev(5n).hash, 3343707504);
  }));

test("HashKV: compacted and future revisions are refused", () =>
  withEachBackend(async (fx) => {
    const s = openStore(fx);
    etcdSampleHistory(s);
    await s.compact(4n).physical;
    const table: [bigint, "Compacted" | "FutureRev" | "ok"][] = [
      [3n, "Compacted"],
      [4n, "Compacted"], // unlike Range, the compact revision itself is refused
      [5n, "ok"],
      [6n, "ok"],
      [7n, "FutureRev"],
    ];
    for (const [rev, want] of table) {
      if (want === "ok") assert.equal(s.hashByRev(rev).hashRevision, rev);
      else assert.throws(() => s.hashByRev(rev), (e) => isEtcdError(e, want), `rev ${rev}`);
    }
  }));

test("HashKV: equal histories hash equal on both backends, different ones differ", async () => {
  const hashes: number[] = [];
  await withEachBackend((fx) => {
    const s = openStore(fx);
    etcdSampleHistory(s);
    hashes.push(s.hashByRev(0n).hash);
  });
  assert.equal(hashes[0], hashes[1]);
  await withEachBackend((fx) => {
    const s = openStore(fx);
    etcdSampleHistory(s);
    write(s, [["put", "foo", "again"]]);
    assert.notEqual(s.hashByRev(0n).hash, hashes[0]);
    assert.equal(s.hashByRev(6n).hash, hashes[0], "hashing up to the old revision ignores newer ones");
  });
});

test("compaction: at or below the compact revision is Compacted, above the current one FutureRev", () =>
  withEachBackend(async (fx) => {
    const s = openStore(fx);
    etcdSampleHistory(s); // rev 6
    assert.throws(() => s.compact(7n), (e) => isEtcdError(e, "FutureRev"));
    await s.compact(3n).physical;
    assert.throws(() => s.compact(3n), (e) => isEtcdError(e, "Compacted"));
    assert.throws(() => s.compact(2n), (e) => isEtcdError(e, "Compacted"));
    await s.compact(6n).physical; // compacting at the current revision is fine
    assert.equal(s.compactRev, 6n);
  }));

test("compaction: the backend keeps exactly the newest revision <= R of each live key and everything above R", () =>
  withEachBackend(async (fx) => {
    const s = openStore(fx);
    write(s, [["put", "a", "1"], ["put", "b", "1"]]); // 2.0 2.1
    write(s, [["put", "a", "2"]]); // 3.0
    write(s, [["del", "b"]]); // 4.0t
    write(s, [["put", "c", "1"]]); // 5.0
    write(s, [["put", "c", "2"]]); // 6.0
    write(s, [["del", "a"], ["put", "d", "1"]]); // 7.0t 7.1
    assert.deepEqual(storedRevisions(fx), ["2.0", "2.1", "3.0", "4.0t", "5.0", "6.0", "7.0t", "7.1"]);
    await s.compact(5n).physical;
    // a: 3.0 kept (its tombstone 7 is above R); b: deleted at 4 <= R, gone; c: 5.0 kept.
    assert.deepEqual(storedRevisions(fx), ["3.0", "5.0", "6.0", "7.0t", "7.1"]);
    assert.deepEqual(fx.backend.get("meta", META_KEYS.scheduledCompactRev), fx.backend.get("meta", META_KEYS.finishedCompactRev));
    assert.equal(bytesToRev(fx.backend.get("meta", META_KEYS.finishedCompactRev)!).main, 5n);
    assert.deepEqual(
      s.range(b("a"), FROM_KEY, { rev: 5n }).kvs.map((kv) => `${kv.key}=${kv.value}`),
      ["a=2", "c=1"],
    );
    await s.compact(7n).physical;
    assert.deepEqual(storedRevisions(fx), ["6.0", "7.1"]);
  }));

test("compaction: deletes in batches, yielding between them; reads and HashKV are unaffected meanwhile", () =>
  withEachBackend(async (fx) => {
    const sched = new ManualScheduler();
    const s = openStore(fx, { schedule: sched.schedule, compactionBatchLimit: 3 });
    for (let i = 0; i < 10; i++) write(s, [["put", `k${i % 3}`, `v${i}`]]); // revs 2..11
    const before = s.range(b("k"), b("l"), { rev: 8n });
    const { physical } = s.compact(8n);
    const hashAtStart = s.hashByRev(11n).hash;
    let done = false;
    void physical.then(() => (done = true));
    assert.equal(s.compactRev, 8n, "the index is compacted at once");
    assert.throws(() => s.range(b("k0"), undefined, { rev: 7n }), (e) => isEtcdError(e, "Compacted"));
    const steps: number[] = [];
    while (!done) {
      await new Promise((r) => setImmediate(r));
      if (sched.runPending() > 0) steps.push(fx.backend.range("key").length);
      assert.deepEqual(s.range(b("k"), b("l"), { rev: 8n }), before, "reads at R never change");
      assert.equal(s.hashByRev(11n).hash, hashAtStart, "HashKV is the same while deleting and after");
    }
    assert.ok(steps.length >= 3, `ran in ${steps.length} yielded steps`);
    // 9 revisions <= 8 existed, 3 are kept (newest of k0, k1, k2), plus 3 above 8.
    assert.equal(fx.backend.range("key").length, 6);
  }));

test("compaction: queued compactions run one after another", () =>
  withEachBackend(async (fx) => {
    const s = openStore(fx);
    for (let i = 0; i < 20; i++) write(s, [["put", "k", String(i)]]);
    const order: number[] = [];
    const p1 = s.compact(5n).physical.then(() => order.push(5));
    const p2 = s.compact(15n).physical.then(() => order.push(15));
    await Promise.all([p1, p2]);
    assert.deepEqual(order, [5, 15]);
    assert.deepEqual(storedRevisions(fx), ["15.0", "16.0", "17.0", "18.0", "19.0", "20.0", "21.0"]);
  }));

test("compaction: a compaction cut short by a crash resumes on open and finishes", async () => {
  const fx = new BackendFixture("memory");
  try {
    const sched = new ManualScheduler();
    let s = openStore(fx, { schedule: sched.schedule, compactionBatchLimit: 2 });
    for (let i = 0; i < 8; i++) write(s, [["put", "k", String(i)]]); // revs 2..9
    void s.compact(7n).physical;
    await fx.backend.commit(); // scheduledCompactRev is durable, no delete has run
    const hash = s.hashByRev(9n).hash;
    await fx.crash();
    const sched2 = new ManualScheduler();
    s = openStore(fx, { schedule: sched2.schedule, compactionBatchLimit: 2 });
    assert.equal(s.compactRev, 7n, "the scheduled compaction is taken up again");
    assert.equal(s.hashByRev(9n).hash, hash);
    await sched2.drain();
    assert.deepEqual(storedRevisions(fx), ["7.0", "8.0", "9.0"]);
    assert.equal(bytesToRev(fx.backend.get("meta", META_KEYS.finishedCompactRev)!).main, 7n);
    assert.equal(s.hashByRev(9n).hash, hash);
  } finally {
    await fx.cleanup();
  }
});

test("Maintenance.Hash: backend hash without the consistent index, plus the current revision", () =>
  withEachBackend((fx) => {
    const s = openStore(fx);
    etcdSampleHistory(s);
    const h1 = s.hash();
    assert.equal(h1.rev, 6n);
    fx.backend.put("meta", META_KEYS.consistentIndex, Buffer.alloc(8, 9));
    assert.equal(s.hash().hash, h1.hash);
    write(s, [["put", "x", "y"]]);
    assert.notEqual(s.hash().hash, h1.hash);
  }));
