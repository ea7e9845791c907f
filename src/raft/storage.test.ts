import { test } from "node:test";
import assert from "node:assert/strict";
import { CompactedError, SnapshotOutOfDateError, UnavailableError } from "./errors.js";
import { MemoryStorage } from "./storage.js";
import { emptyConfState, makeEntry } from "./util.js";

function ents(...pairs: Array<[number, number]>) {
  return pairs.map(([t, i]) => makeEntry({ Term: BigInt(t), Index: BigInt(i), Data: Buffer.from(`e${i}`) }));
}

function storageWith(...pairs: Array<[number, number]>): MemoryStorage {
  const s = new MemoryStorage();
  s.append(ents(...pairs));
  return s;
}

test("MemoryStorage term/entries bounds", () => {
  const s = storageWith([1, 1], [2, 2], [3, 3], [4, 4], [5, 5]);
  s.compact(3n);
  assert.equal(s.firstIndex(), 4n);
  assert.equal(s.lastIndex(), 5n);
  assert.equal(s.term(3n), 3n, "the compaction point keeps its term");
  assert.throws(() => s.term(2n), CompactedError);
  assert.throws(() => s.term(6n), UnavailableError);
  assert.throws(() => s.entries(3n, 5n), CompactedError);
  assert.deepEqual(s.entries(4n, 6n).map((e) => e.Index), [4n, 5n]);
  // Size-limited, but always at least one entry.
  assert.deepEqual(s.entries(4n, 6n, 1).map((e) => e.Index), [4n]);
  assert.throws(() => s.compact(3n), CompactedError);
});

test("MemoryStorage.append truncates a conflicting suffix and ignores compacted entries", () => {
  const s = storageWith([1, 1], [1, 2], [1, 3]);
  s.append(ents([2, 2], [2, 3], [2, 4]));
  assert.deepEqual(s.entries(1n, 5n).map((e) => `${e.Term}/${e.Index}`), ["1/1", "2/2", "2/3", "2/4"]);
  s.compact(2n);
  s.append(ents([2, 1], [2, 2], [2, 3], [3, 4]));
  assert.deepEqual(s.entries(3n, 5n).map((e) => `${e.Term}/${e.Index}`), ["2/3", "3/4"]);
  assert.throws(() => s.append(ents([3, 7])), /missing log entry/);
});

test("MemoryStorage snapshots", () => {
  const s = storageWith([1, 1], [2, 2], [3, 3]);
  const cs = { ...emptyConfState(), voters: [1n, 2n] };
  const snap = s.createSnapshot(2n, cs, Buffer.from("data"));
  assert.equal(snap.metadata?.index, 2n);
  assert.equal(snap.metadata?.term, 2n);
  assert.throws(() => s.createSnapshot(2n, cs, Buffer.alloc(0)), SnapshotOutOfDateError);
  assert.deepEqual(s.initialState().confState.voters, [1n, 2n]);
  const other = new MemoryStorage();
  other.applySnapshot(snap);
  assert.equal(other.firstIndex(), 3n);
  assert.equal(other.lastIndex(), 2n);
  assert.equal(other.term(2n), 2n);
  assert.throws(() => other.applySnapshot(snap), SnapshotOutOfDateError);
  assert.throws(() => other.entries(3n, 3n), UnavailableError);
});
