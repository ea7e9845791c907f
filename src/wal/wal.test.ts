import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import type { Entry, HardState } from "../gen/raftpb/raft.js";
import { isWalError } from "./errors.js";
import { LOCK_FILE_NAME } from "./dir-lock.js";
import { segmentNames } from "./names.js";
import { Wal } from "./wal.js";
import type { WalOptions } from "./wal.js";
import { tempDir } from "../pkg/test-support.js";
import { entryIntact, makeEntries, makeEntry } from "./test-support.js";

const META = Buffer.from("member-7/cluster-9");
const SMALL: WalOptions = { segmentBytes: 16 * 1024 };
const ZERO_SNAP = { index: 0n, term: 0n };

function hs(term: bigint, commit: bigint, vote = 1n): HardState {
  return { term, vote, commit };
}

function segmentFiles(dir: string): string[] {
  return segmentNames(fs.readdirSync(dir)).map((s) => s.name);
}

test("create, save, close, open: metadata, hard state and entries come back", async (t) => {
  const dir = join(tempDir(t), "wal");
  assert.equal(Wal.exists(dir), false);
  const wal = await Wal.create(dir, META, SMALL);
  assert.equal(Wal.exists(dir), true);
  await wal.save(hs(1n, 0n), makeEntries(1n, 3n, 1n));
  await wal.save(hs(1n, 3n), makeEntries(4n, 10n, 1n));
  await wal.save(hs(2n, 10n, 2n), []);
  await wal.close();

  const r = await Wal.open(dir, ZERO_SNAP, SMALL);
  assert.deepEqual(r.metadata, META);
  assert.deepEqual(r.hardState, hs(2n, 10n, 2n));
  assert.deepEqual(r.entries.map((e) => e.Index), makeEntries(1n, 10n, 1n).map((e) => e.Index));
  assert.ok(r.entries.every((e) => entryIntact(e)));
  // Appending after open continues the log and the CRC chain.
  await r.wal.save(hs(2n, 12n, 2n), makeEntries(11n, 12n, 2n));
  await r.wal.close();
  const again = await Wal.open(dir, ZERO_SNAP, SMALL);
  assert.equal(again.entries.length, 12);
  assert.deepEqual(again.hardState, hs(2n, 12n, 2n));
  await again.wal.close();
});

test("create refuses a directory that already has a WAL; open refuses one without", async (t) => {
  const dir = tempDir(t);
  const wal = await Wal.create(dir, META, SMALL);
  await wal.close();
  await assert.rejects(Wal.create(dir, META, SMALL), (e) => isWalError(e, "Exists"));
  await assert.rejects(Wal.open(join(dir, "nope"), ZERO_SNAP), (e) => isWalError(e, "FileNotFound"));
});

test("the directory lock: a second open fails while the first is open; a stale lock is taken over", async (t) => {
  const dir = tempDir(t);
  const wal = await Wal.create(dir, META, SMALL);
  await assert.rejects(Wal.open(dir, ZERO_SNAP, SMALL), (e) => isWalError(e, "Locked"));
  await wal.close();
  assert.equal(fs.existsSync(join(dir, LOCK_FILE_NAME)), false);

  // A lock left by a process that cannot exist (Linux pids stop at 2^22).
  fs.writeFileSync(join(dir, LOCK_FILE_NAME), JSON.stringify({ pid: 4194305, start: 1, host: (await import("node:os")).hostname() }));
  const r = await Wal.open(dir, ZERO_SNAP, SMALL);
  await r.wal.close();

  // A lock held by a live process (our parent) is respected.
  fs.writeFileSync(join(dir, LOCK_FILE_NAME), JSON.stringify({ pid: process.ppid, host: (await import("node:os")).hostname() }));
  await assert.rejects(Wal.open(dir, ZERO_SNAP, SMALL), (e) => isWalError(e, "Locked") && /locked by process/.test(e.message));
  // An unreadable (half-written) lock is stale.
  fs.writeFileSync(join(dir, LOCK_FILE_NAME), "{");
  await (await Wal.open(dir, ZERO_SNAP, SMALL)).wal.close();
});

test("segments are cut at the size limit, named <seq>-<next index>, and each can be read alone", async (t) => {
  const dir = tempDir(t);
  const wal = await Wal.create(dir, META, SMALL);
  let index = 0n;
  for (let batch = 0; batch < 40; batch++) {
    const ents = makeEntries(index + 1n, index + 5n, 3n);
    index += 5n;
    await wal.save(hs(3n, index), ents);
    if (index === 100n) await wal.saveSnapshot({ index: 100n, term: 3n });
  }
  await wal.close();
  const files = segmentFiles(dir);
  assert.ok(files.length >= 4, `${files.length} segments`);
  assert.equal(files[0], "0000000000000000-0000000000000000.wal");
  const segs = segmentNames(files);
  for (let i = 1; i < segs.length; i++) {
    assert.equal(segs[i]!.seq, BigInt(i));
    assert.ok(segs[i]!.index > segs[i - 1]!.index);
  }
  // Finished segments are trimmed to their content; the last one stays preallocated.
  for (const f of files.slice(0, -1)) assert.ok(fs.statSync(join(dir, f)).size < 16 * 1024 + 2000);
  assert.equal(fs.statSync(join(dir, files.at(-1)!)).size, 16 * 1024);
  // No temporaries left behind after close.
  assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith(".tmp")), []);

  const all = await Wal.open(dir, ZERO_SNAP, SMALL);
  assert.equal(all.entries.length, 200);
  assert.ok(all.entries.every((e, i) => e.Index === BigInt(i + 1) && entryIntact(e)));
  await all.wal.close();

  // Opening at the snapshot starts from the segment that holds it; the segments before are not read.
  const firstNeeded = segs.findLastIndex((s) => s.index <= 100n);
  for (const s of segs.slice(0, firstNeeded)) fs.renameSync(join(dir, s.name), join(dir, `${s.name}.moved`));
  const fromSnap = await Wal.open(dir, { index: 100n, term: 3n }, SMALL);
  assert.deepEqual(fromSnap.entries.map((e) => e.Index), makeEntries(101n, 200n, 3n).map((e) => e.Index));
  assert.deepEqual(fromSnap.metadata, META);
  assert.deepEqual(fromSnap.hardState, hs(3n, 200n));
  await fromSnap.wal.close();
});

test("replay honours raft log truncation: a lower index replaces the tail; a gap is an error", async (t) => {
  const dir = tempDir(t);
  const wal = await Wal.create(dir, META, SMALL);
  await wal.save(hs(1n, 2n), makeEntries(1n, 10n, 1n));
  // A new leader overwrote 6..8 in term 2 (9 and 10 are gone).
  await wal.save(hs(2n, 5n), makeEntries(6n, 8n, 2n));
  // Enough to cross into new segments, then another overwrite reaching back across the cut.
  for (let i = 9n; i <= 150n; i += 10n) await wal.save(hs(2n, i), makeEntries(i, i + 9n, 2n));
  await wal.save(hs(3n, 120n), makeEntries(121n, 125n, 3n));
  await wal.close();
  assert.ok(segmentFiles(dir).length > 2);

  const r = await Wal.open(dir, ZERO_SNAP, SMALL);
  const terms = r.entries.map((e) => [Number(e.Index), Number(e.Term)]);
  assert.equal(r.entries.length, 125);
  assert.deepEqual(terms.slice(0, 5).map(([, term]) => term), [1, 1, 1, 1, 1]);
  assert.deepEqual(terms.slice(5, 8).map(([, term]) => term), [2, 2, 2]);
  assert.deepEqual(terms.slice(120).map(([, term]) => term), [3, 3, 3, 3, 3]);
  assert.ok(r.entries.every((e, i) => e.Index === BigInt(i + 1) && entryIntact(e)));
  // A gap (an entry skipping ahead) cannot be replayed.
  await r.wal.save(hs(3n, 125n), [makeEntry(130n, 3n)]);
  await r.wal.close();
  await assert.rejects(Wal.open(dir, ZERO_SNAP, SMALL), (e) => isWalError(e, "EntryGap") && e.file !== undefined);
});

test("snapshot markers: open from one, wrong term and unknown index are typed errors, markers are listed", async (t) => {
  const dir = tempDir(t);
  const wal = await Wal.create(dir, META, SMALL);
  await wal.save(hs(2n, 50n), makeEntries(1n, 50n, 2n));
  await wal.saveSnapshot({ index: 30n, term: 2n, confState: { voters: [7n], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } });
  await wal.save(hs(2n, 55n), makeEntries(51n, 60n, 2n));
  await wal.saveSnapshot({ index: 58n, term: 2n });
  await wal.save(hs(2n, 57n), []); // commit below the second marker
  await wal.close();

  const r = await Wal.open(dir, { index: 30n, term: 2n }, SMALL);
  assert.deepEqual(r.entries.map((e) => Number(e.Index)), Array.from({ length: 30 }, (_, i) => 31 + i));
  await r.wal.close();
  await assert.rejects(Wal.open(dir, { index: 30n, term: 1n }, SMALL), (e) => isWalError(e, "SnapshotMismatch"));
  await assert.rejects(Wal.open(dir, { index: 35n, term: 2n }, SMALL), (e) => isWalError(e, "SnapshotNotFound"));

  const markers = await Wal.readSnapshotMarkers(dir);
  assert.deepEqual(markers.map((m) => [m.index, m.term]), [[0n, 0n], [30n, 2n]], "58 is above the commit index");
  assert.deepEqual(markers[1]!.confState?.voters, [7n]);
});

test("mustSync: fdatasync only for entries or a new term/vote, unless told otherwise", async (t) => {
  const dir = tempDir(t);
  let syncs = 0;
  const wal = await Wal.create(dir, META, { ...SMALL, onFsync: () => syncs++ });
  const base = syncs;
  await wal.save(hs(1n, 0n), makeEntries(1n, 1n, 1n));
  assert.equal(syncs - base, 1, "entries");
  await wal.save(hs(1n, 1n), []);
  assert.equal(syncs - base, 1, "commit only: no sync");
  await wal.save(hs(2n, 1n), []);
  assert.equal(syncs - base, 2, "new term");
  await wal.save(hs(2n, 1n, 5n), []);
  assert.equal(syncs - base, 3, "new vote");
  await wal.save(hs(2n, 2n, 5n), makeEntries(2n, 2n, 2n), false);
  assert.equal(syncs - base, 3, "explicit false");
  await wal.save(hs(2n, 2n, 5n), [], true);
  assert.equal(syncs - base, 4, "explicit true");
  await wal.save(undefined, []);
  await wal.save({ term: 0n, vote: 0n, commit: 0n }, []);
  assert.equal(syncs - base, 4, "nothing to save");
  await wal.close();
  const r = await Wal.open(dir, ZERO_SNAP, SMALL);
  assert.equal(r.entries.length, 2);
  assert.deepEqual(r.hardState, hs(2n, 2n, 5n));
  await r.wal.close();
});

test("group commit: concurrent saves share writes and fdatasyncs and keep their order", async (t) => {
  const dir = tempDir(t);
  let syncs = 0;
  const wal = await Wal.create(dir, META, { ...SMALL, onFsync: () => syncs++ });
  const base = syncs;
  const saves: Promise<void>[] = [];
  for (let i = 1n; i <= 300n; i++) saves.push(wal.save(hs(1n, i - 1n), [makeEntry(i, 1n)]));
  await Promise.all(saves);
  assert.ok(syncs - base < 150, `${syncs - base} fdatasyncs for 300 saves (cuts add a few)`);
  await wal.close();
  const r = await Wal.open(dir, ZERO_SNAP, SMALL);
  assert.equal(r.entries.length, 300);
  assert.ok(r.entries.every((e, i) => e.Index === BigInt(i + 1) && entryIntact(e)));
  assert.deepEqual(r.hardState, hs(1n, 299n));
  await r.wal.close();
});

test("an oversized record is refused before anything is written; a closed WAL refuses saves", async (t) => {
  const dir = tempDir(t);
  const wal = await Wal.create(dir, META, { ...SMALL, maxRecordBytes: 1000 });
  await assert.rejects(wal.save(hs(1n, 0n), [makeEntry(1n, 1n, 2000)]), (e) => isWalError(e, "RecordTooLarge"));
  // A malformed entry is a rejected promise, not a synchronous throw, and writes nothing.
  const malformed = { Index: 1n, Term: 1n, Type: 0, Data: undefined } as unknown as Entry;
  await assert.rejects(wal.save(hs(1n, 0n), [malformed]), TypeError);
  await wal.save(hs(1n, 0n), [makeEntry(1n, 1n, 500)]);
  await wal.close();
  await assert.rejects(wal.save(hs(1n, 1n), [makeEntry(2n, 1n)]), (e) => isWalError(e, "Closed"));
  const r = await Wal.open(dir, ZERO_SNAP, { ...SMALL, maxRecordBytes: 1000 });
  assert.equal(r.entries.length, 1);
  await r.wal.close();
});

test("releaseLockTo + purge: old segments go, needed ones stay, the log still opens from the snapshot", async (t) => {
  const dir = tempDir(t);
  const wal = await Wal.create(dir, META, SMALL);
  for (let i = 1n; i <= 400n; i += 10n) await wal.save(hs(1n, i + 9n), makeEntries(i, i + 9n, 1n));
  await wal.saveSnapshot({ index: 300n, term: 1n });
  const before = segmentFiles(dir);
  assert.ok(before.length > 6);
  // Nothing released yet: purge removes nothing even with a tiny limit.
  assert.deepEqual(await wal.purge(1), []);
  wal.releaseLockTo(300n);
  const segs = segmentNames(before);
  const covering = segs.findLastIndex((s) => s.index <= 300n);
  // etcd's rule: release up to the first segment named at or above the index, keeping the one before it.
  const firstAtOrAbove = segs.findIndex((s) => s.index >= 300n);
  const keepFrom = firstAtOrAbove === -1 ? segs.length - 1 : firstAtOrAbove - 1;
  assert.ok(keepFrom <= covering && keepFrom > 0);
  assert.deepEqual(wal.segments, before.slice(keepFrom));
  const removed = await wal.purge(2);
  assert.deepEqual(removed, before.slice(0, keepFrom));
  assert.deepEqual(segmentFiles(dir), before.slice(keepFrom));
  assert.deepEqual(await wal.purge(0), []);
  await wal.close();
  const r = await Wal.open(dir, { index: 300n, term: 1n }, SMALL);
  assert.equal(r.entries.length, 100);
  await r.wal.close();
});
