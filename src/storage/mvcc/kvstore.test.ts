import { test } from "node:test";
import assert from "node:assert/strict";
import { Event_EventType } from "../../gen/mvccpb/kv.js";
import { isEtcdError } from "../../pkg/errors.js";
import { b, openStore, withEachBackend } from "../test-support.js";
import type { KVStore } from "./kvstore.js";
import type { LeaseHooks } from "./types.js";

const FROM_KEY = Buffer.from([0]);

function put(s: KVStore, key: string, value: string, lease = 0n): bigint {
  const t = s.write();
  try {
    return t.put(b(key), b(value), lease);
  } finally {
    t.end();
  }
}

function del(s: KVStore, key: string, end?: Buffer): number {
  const t = s.write();
  try {
    return t.deleteRange(b(key), end).deleted;
  } finally {
    t.end();
  }
}

function keys(s: KVStore, key: string, end: Buffer | undefined, rev?: bigint): string[] {
  return s.range(b(key), end, rev === undefined ? {} : { rev }).kvs.map((kv) => kv.key.toString());
}

test("revisions: an empty store is at 1; each changing write txn adds exactly 1", () =>
  withEachBackend((fx) => {
    const s = openStore(fx);
    assert.equal(s.rev, 1n);
    assert.equal(s.compactRev, -1n);
    assert.equal(put(s, "a", "1"), 2n);
    assert.equal(s.rev, 2n);
    const t = s.write();
    assert.equal(t.put(b("b"), b("1"), 0n), 3n);
    assert.equal(t.put(b("c"), b("1"), 0n), 3n);
    assert.equal(t.deleteRange(b("a"), undefined).rev, 3n);
    const end = t.end();
    assert.equal(end.rev, 3n);
    assert.equal(s.rev, 3n);
    // Changes of one txn get sub-revisions in op order: the events show the order.
    assert.deepEqual(
      end.events.map((e) => [e.type, e.kv!.key.toString(), e.kv!.modRevision]),
      [
        [Event_EventType.PUT, "b", 3n],
        [Event_EventType.PUT, "c", 3n],
        [Event_EventType.DELETE, "a", 3n],
      ],
    );
  }));

test("revisions: a write txn that changes nothing does not bump the revision", () =>
  withEachBackend((fx) => {
    const s = openStore(fx);
    put(s, "a", "1");
    const t = s.write();
    const r = t.deleteRange(b("missing"), undefined);
    assert.deepEqual(r, { deleted: 0, rev: 2n }, "a no-op delete reports the current revision");
    assert.deepEqual(t.end(), { rev: 2n, events: [] });
    assert.equal(s.rev, 2n);
    assert.equal(s.write().end().rev, 2n);
  }));

test("put: create revision stays while the key lives, version counts puts, delete resets both", () =>
  withEachBackend((fx) => {
    const s = openStore(fx);
    put(s, "k", "v1"); // 2
    put(s, "k", "v2"); // 3
    let kv = s.range(b("k"), undefined).kvs[0]!;
    assert.deepEqual([kv.createRevision, kv.modRevision, kv.version, kv.value.toString()], [2n, 3n, 2n, "v2"]);
    del(s, "k"); // 4
    assert.equal(s.range(b("k"), undefined).count, 0);
    put(s, "k", "v3"); // 5
    kv = s.range(b("k"), undefined).kvs[0]!;
    assert.deepEqual([kv.createRevision, kv.modRevision, kv.version], [5n, 5n, 1n]);
    // History is still readable.
    assert.deepEqual(s.range(b("k"), undefined, { rev: 3n }).kvs[0]!.value, b("v2"));
    assert.equal(s.range(b("k"), undefined, { rev: 4n }).count, 0);
  }));

test("put: put after a delete of the same key in one txn starts a new generation", () =>
  withEachBackend((fx) => {
    const s = openStore(fx);
    put(s, "k", "old"); // 2
    const t = s.write();
    t.deleteRange(b("k"), undefined);
    t.put(b("k"), b("new"), 0n);
    t.end();
    const kv = s.range(b("k"), undefined).kvs[0]!;
    assert.deepEqual([kv.createRevision, kv.modRevision, kv.version, kv.value.toString()], [3n, 3n, 1n, "new"]);
  }));

test("range: range_end conventions (one key, [key, end), \\0 = from key, end <= key empty)", () =>
  withEachBackend((fx) => {
    const s = openStore(fx);
    for (const k of ["a", "ab", "abc", "b", "c", "\xff", "\xff\xff"]) put(s, k, "v");
    const table: [string, string, Buffer | undefined, string[]][] = [
      ["empty end is the single key", "ab", undefined, ["ab"]],
      ["zero-length end is the single key", "ab", Buffer.alloc(0), ["ab"]],
      ["missing single key", "zz", undefined, []],
      ["half-open range", "a", b("b"), ["a", "ab", "abc"]],
      ["prefix end (a+1)", "ab", b("ac"), ["ab", "abc"]],
      ["\\0 end means every key >= key", "b", FROM_KEY, ["b", "c", "\xff", "\xff\xff"]],
      ["\\0 key with \\0 end is everything", "\0", FROM_KEY, ["a", "ab", "abc", "b", "c", "\xff", "\xff\xff"]],
      ["end equal to key is empty", "b", b("b"), []],
      ["end below key is empty", "c", b("a"), []],
      ["keys compare as unsigned bytes", "c", b("\xff\xff"), ["c", "\xff"]],
    ];
    for (const [name, key, end, want] of table) {
      assert.deepEqual(
        s.range(b(key), end).kvs.map((kv) => kv.key.toString("latin1")),
        want,
        name,
      );
    }
  }));

test("range: revision rules (future, compacted, compact revision readable, <= 0 is current)", () =>
  withEachBackend(async (fx) => {
    const s = openStore(fx);
    for (let i = 0; i < 5; i++) put(s, "k", `v${i + 2}`); // revs 2..6
    await s.compact(4n).physical;
    const table: [string, bigint, string | RegExp][] = [
      ["0 reads the current revision", 0n, "v6"],
      ["negative reads the current revision", -3n, "v6"],
      ["the current revision", 6n, "v6"],
      ["the compact revision is readable", 4n, "v4"],
      ["between compact and current", 5n, "v5"],
      ["future revision", 7n, "FutureRev"],
      ["below the compact revision", 3n, "Compacted"],
    ];
    for (const [name, rev, want] of table) {
      if (want === "FutureRev" || want === "Compacted") {
        assert.throws(() => s.range(b("k"), undefined, { rev }), (e) => isEtcdError(e, want), name);
        continue;
      }
      const r = s.range(b("k"), undefined, { rev });
      assert.equal(r.kvs[0]!.value.toString(), want, name);
      assert.equal(r.rev, 6n, `${name}: rev is the current revision, also for historical reads`);
    }
  }));

test("range: limit bounds kvs, count ignores limit, count-only reads no kvs", () =>
  withEachBackend((fx) => {
    const s = openStore(fx);
    for (const k of ["a", "b", "c", "d"]) put(s, k, "v");
    const table: [string, bigint | number | undefined, boolean, number, number][] = [
      // name, limit, countOnly, kvs, count
      ["no limit", undefined, false, 4, 4],
      ["limit 2", 2n, false, 2, 4],
      ["limit above count", 10, false, 4, 4],
      ["zero limit is no limit", 0n, false, 4, 4],
      ["negative limit is no limit", -1n, false, 4, 4],
      ["count only", undefined, true, 0, 4],
      ["count only ignores limit", 1n, true, 0, 4],
    ];
    for (const [name, limit, countOnly, nkvs, count] of table) {
      const opts: { limit?: bigint | number; countOnly: boolean } = { countOnly };
      if (limit !== undefined) opts.limit = limit;
      const r = s.range(b("a"), FROM_KEY, opts);
      assert.equal(r.kvs.length, nkvs, name);
      assert.equal(r.count, count, name);
    }
    assert.deepEqual(keys(s, "a", FROM_KEY).slice(0, 2), s.range(b("a"), FROM_KEY, { limit: 2 }).kvs.map((kv) => kv.key.toString()));
  }));

test("read view: pinned at the revision it was opened at", () =>
  withEachBackend((fx) => {
    const s = openStore(fx);
    put(s, "k", "1");
    const view = s.read();
    put(s, "k", "2");
    put(s, "j", "x");
    assert.equal(view.rev, 2n);
    assert.equal(view.range(b("k"), undefined).kvs[0]!.value.toString(), "1");
    assert.equal(view.range(b("j"), undefined).count, 0);
    assert.equal(view.range(b("k"), undefined).rev, 2n);
    assert.throws(() => view.range(b("k"), undefined, { rev: 3n }), (e) => isEtcdError(e, "FutureRev"));
  }));

test("write txn: reads see the txn's earlier writes at rev+1", () =>
  withEachBackend((fx) => {
    const s = openStore(fx);
    put(s, "a", "old"); // 2
    const t = s.write();
    assert.equal(t.rev, 2n);
    let r = t.range(b("a"), undefined);
    assert.equal(r.rev, 2n, "before any change the txn reads at its start revision");
    t.put(b("a"), b("new"), 0n);
    t.put(b("b"), b("x"), 0n);
    r = t.range(b("a"), FROM_KEY);
    assert.equal(r.rev, 3n, "after a change the txn reads at rev+1");
    assert.deepEqual(r.kvs.map((kv) => kv.value.toString()), ["new", "x"]);
    assert.equal(t.deleteRange(b("a"), FROM_KEY).deleted, 2);
    assert.equal(t.range(b("a"), FROM_KEY).count, 0);
    t.end();
    assert.equal(s.range(b("a"), FROM_KEY).count, 0);
    assert.equal(s.range(b("a"), undefined, { rev: 2n }).kvs[0]!.value.toString(), "old");
  }));

test("write txn: only one at a time, unusable after end", () =>
  withEachBackend((fx) => {
    const s = openStore(fx);
    const t = s.write();
    assert.throws(() => s.write(), /already open/);
    t.end();
    assert.throws(() => t.put(b("a"), b("b"), 0n), /after end/);
    s.write().end();
  }));

test("deleteRange: deletes existing keys only and reports them as DELETE events with the new revision", () =>
  withEachBackend((fx) => {
    const seen: [bigint, string[]][] = [];
    const s = openStore(fx, { onCommit: (events, rev) => seen.push([rev, events.map((e) => `${Event_EventType[e.type]} ${e.kv!.key.toString()}@${e.kv!.modRevision}`)]) });
    put(s, "a", "1");
    put(s, "b", "1");
    put(s, "c", "1");
    del(s, "b");
    assert.equal(del(s, "a", b("z")), 2);
    assert.deepEqual(seen, [
      [2n, ["PUT a@2"]],
      [3n, ["PUT b@3"]],
      [4n, ["PUT c@4"]],
      [5n, ["DELETE b@5"]],
      [6n, ["DELETE a@6", "DELETE c@6"]],
    ]);
  }));

test("lease hooks: attach on put with lease, detach the old lease on overwrite and delete, attach live keys on restore", () =>
  withEachBackend(async (fx) => {
    const calls: string[] = [];
    const lessor: LeaseHooks = {
      attach: (lease, key) => calls.push(`attach ${lease} ${key.toString()}`),
      detach: (lease, key) => calls.push(`detach ${lease} ${key.toString()}`),
    };
    let s = openStore(fx, { lessor });
    put(s, "a", "1", 7n);
    put(s, "a", "2", 7n); // same lease: etcd detaches then re-attaches
    put(s, "a", "3", 8n);
    put(s, "a", "4"); // no lease: detaches 8
    put(s, "b", "1", 9n);
    put(s, "c", "1", 9n);
    del(s, "b");
    assert.deepEqual(calls, [
      "attach 7 a",
      "detach 7 a",
      "attach 7 a",
      "detach 7 a",
      "attach 8 a",
      "detach 8 a",
      "attach 9 b",
      "attach 9 c",
      "detach 9 b",
    ]);
    assert.equal(s.range(b("c"), undefined).kvs[0]!.lease, 9n);
    calls.length = 0;
    await fx.reopen();
    s = openStore(fx, { lessor });
    assert.deepEqual(calls, ["attach 9 c"]);
  }));

test("restore: a reopened store has the same revisions, versions, history and compact revision", () =>
  withEachBackend(async (fx) => {
    let s = openStore(fx);
    put(s, "a", "1"); // 2
    put(s, "a", "2"); // 3
    put(s, "b", "1"); // 4
    del(s, "a"); // 5
    put(s, "a", "3"); // 6
    put(s, "c", "1"); // 7
    await s.compact(3n).physical;
    const before = {
      rev: s.rev,
      all: s.range(b("\0"), FROM_KEY),
      at4: s.range(b("\0"), FROM_KEY, { rev: 4n }),
      at3: s.range(b("\0"), FROM_KEY, { rev: 3n }),
      hash: s.hashByRev(0n),
    };
    await s.close();
    await fx.reopen();
    s = openStore(fx);
    assert.equal(s.rev, before.rev);
    assert.equal(s.compactRev, 3n);
    assert.deepEqual(s.range(b("\0"), FROM_KEY), before.all);
    assert.deepEqual(s.range(b("\0"), FROM_KEY, { rev: 4n }), before.at4);
    assert.deepEqual(s.range(b("\0"), FROM_KEY, { rev: 3n }), before.at3);
    assert.deepEqual(s.hashByRev(0n), before.hash);
    assert.throws(() => s.range(b("a"), undefined, { rev: 2n }), (e) => isEtcdError(e, "Compacted"));
    // Writing continues at the right revision with the right versions.
    put(s, "a", "4");
    const kv = s.range(b("a"), undefined).kvs[0]!;
    assert.deepEqual([kv.createRevision, kv.modRevision, kv.version], [6n, 8n, 2n]);
  }));

test("restore: a store whose history was compacted away keeps the compact revision as its revision", () =>
  withEachBackend(async (fx) => {
    let s = openStore(fx);
    put(s, "a", "1"); // 2
    del(s, "a"); // 3
    await s.compact(3n).physical;
    assert.equal(fx.backend.range("key").length, 0, "every revision was compacted away");
    await fx.reopen();
    s = openStore(fx);
    assert.equal(s.rev, 3n);
    assert.equal(put(s, "b", "x"), 4n);
  }));
