import { test } from "node:test";
import assert from "node:assert/strict";
import { CompactedError, RaftInvariantError } from "./errors.js";
import { RaftLog } from "./log.js";
import { MemoryStorage } from "./storage.js";
import { makeEntry } from "./util.js";

function ents(...pairs: Array<[number, number]>) {
  return pairs.map(([t, i]) => makeEntry({ Term: BigInt(t), Index: BigInt(i) }));
}

function ti(es: ReturnType<typeof ents>): string[] {
  return es.map((e) => `${e.Term}/${e.Index}`);
}

test("maybeAppend: match, conflict, and commit bounded by the new entries", () => {
  const log = new RaftLog(new MemoryStorage());
  log.append(ents([1, 1], [2, 2], [3, 3]));
  log.committed = 1n;
  assert.equal(log.maybeAppend(3n, 2n, 3n, ents([4, 4])), undefined, "mismatch at 3");
  assert.equal(log.maybeAppend(3n, 3n, 5n, ents([4, 4])), 4n);
  assert.equal(log.committed, 4n, "commit capped by the last new entry");
  // Overwriting a committed entry is a broken invariant, never a silent change.
  assert.throws(() => log.maybeAppend(1n, 1n, 4n, ents([4, 2])), RaftInvariantError);
  // An uncommitted suffix is replaced.
  const log2 = new RaftLog(new MemoryStorage());
  log2.append(ents([1, 1], [2, 2], [3, 3]));
  assert.equal(log2.maybeAppend(1n, 1n, 1n, ents([4, 2])), 2n);
  assert.deepEqual(ti(log2.allEntries()), ["1/1", "4/2"]);
  assert.equal(log2.committed, 1n);
});

test("findConflictByTerm walks back to the last entry with a term <= the given one", () => {
  const s = new MemoryStorage();
  s.append(ents([1, 1], [3, 2], [3, 3], [4, 4], [4, 5], [5, 6], [5, 7], [5, 8], [6, 9]));
  const log = new RaftLog(s);
  assert.deepEqual(log.findConflictByTerm(8n, 3n), { index: 3n, term: 3n });
  assert.deepEqual(log.findConflictByTerm(9n, 6n), { index: 9n, term: 6n });
  assert.deepEqual(log.findConflictByTerm(9n, 0n), { index: 0n, term: 0n });
  s.compact(3n);
  const compacted = new RaftLog(s);
  assert.deepEqual(compacted.findConflictByTerm(9n, 2n), { index: 2n, term: 0n }, "unknown below the compaction point");
});

test("unstable entries, stableTo and the durable prefix", () => {
  const s = new MemoryStorage();
  s.append(ents([1, 1], [1, 2]));
  const log = new RaftLog(s);
  log.append(ents([2, 3], [2, 4]));
  assert.equal(log.lastStableIndex(), 2n);
  s.append(log.unstableEntries());
  log.stableTo(4n, 1n);
  assert.equal(log.unstableEntries().length, 2, "a stale term does not stabilize");
  log.stableTo(3n, 2n);
  assert.equal(log.lastStableIndex(), 3n);
  assert.deepEqual(ti(log.unstableEntries()), ["2/4"]);
});

test("nextCommittedEnts respects applying, the size budget and a pending snapshot", () => {
  const s = new MemoryStorage();
  s.append(ents([1, 1], [1, 2], [1, 3]).map((e) => ({ ...e, Data: Buffer.alloc(100) })));
  const log = new RaftLog(s, 150);
  log.commitTo(3n);
  assert.deepEqual(ti(log.nextCommittedEnts()), ["1/1"], "budget of one entry");
  log.acceptApplying(1n);
  assert.deepEqual(ti(log.nextCommittedEnts()), ["1/2"]);
  log.appliedTo(2n);
  assert.equal(log.hasNextCommittedEnts(), true);
  log.restore({ data: Buffer.alloc(0), metadata: { index: 10n, term: 2n, confState: undefined } });
  assert.equal(log.hasNextCommittedEnts(), false);
  assert.equal(log.committed, 10n);
  assert.equal(log.firstIndex(), 11n);
  assert.throws(() => log.slice(5n, 11n), CompactedError);
});

test("isUpToDate compares last term, then length", () => {
  const log = new RaftLog(new MemoryStorage());
  log.append(ents([1, 1], [2, 2]));
  assert.equal(log.isUpToDate(1n, 3n), true);
  assert.equal(log.isUpToDate(2n, 2n), true);
  assert.equal(log.isUpToDate(1n, 2n), false);
  assert.equal(log.isUpToDate(5n, 1n), false);
});
