import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfChange, EntryType, type Entry, type HardState } from "../gen/raftpb/raft.js";
import { SoloRaft } from "./solo-raft.js";
import { RaftRole, type Ready } from "./raft-node.js";

/** Drives a node the way the server does, recording what was persisted and applied. */
function drive(node: SoloRaft, disk: { entries: Entry[]; hs?: HardState }, applied: Entry[]): Ready[] {
  const seen: Ready[] = [];
  while (node.hasReady()) {
    const rd = node.ready();
    seen.push(rd);
    for (const e of rd.entries) {
      disk.entries = disk.entries.filter((d) => d.Index < e.Index);
      disk.entries.push(e);
    }
    if (rd.hardState) disk.hs = rd.hardState;
    // Nothing may be applied unless it is already on disk.
    for (const e of rd.committedEntries) assert.ok(disk.entries.some((d) => d.Index === e.Index), `entry ${e.Index} applied before persisted`);
    applied.push(...rd.committedEntries);
    node.advance(rd);
  }
  return seen;
}

test("bootstrap commits one conf change per member, then the leader's empty entry", () => {
  const node = new SoloRaft({ id: 7n });
  node.bootstrap([{ id: 7n }]);
  const disk: { entries: Entry[]; hs?: HardState } = { entries: [] };
  const applied: Entry[] = [];
  drive(node, disk, applied);
  assert.equal(applied.length, 1);
  assert.equal(applied[0]!.Type, EntryType.EntryConfChange);
  assert.equal(ConfChange.decode(applied[0]!.Data).nodeId, 7n);
  node.campaign();
  const readies = drive(node, disk, applied);
  assert.equal(readies[0]!.softState?.raftState, RaftRole.Leader);
  assert.equal(applied.length, 2);
  assert.deepEqual([applied[1]!.Term, applied[1]!.Index, applied[1]!.Data.length], [2n, 2n, 0]);
  assert.deepEqual(disk.hs, { term: 2n, vote: 7n, commit: 2n });
});

test("proposals commit only after they were persisted, many per batch", () => {
  const node = new SoloRaft({ id: 1n });
  node.bootstrap([{ id: 1n }]);
  node.campaign();
  const disk: { entries: Entry[]; hs?: HardState } = { entries: [] };
  const applied: Entry[] = [];
  drive(node, disk, applied);
  for (let i = 0; i < 5; i++) node.propose(Buffer.from(`p${i}`));
  const first = node.ready();
  assert.equal(first.entries.length, 5);
  assert.equal(first.committedEntries.length, 0, "nothing commits before the batch is durable");
  assert.equal(first.mustSync, true);
  node.advance(first);
  const second = node.ready();
  assert.deepEqual(second.committedEntries.map((e) => e.Data.toString()), ["p0", "p1", "p2", "p3", "p4"]);
});

test("a follower drops proposals; ReadIndex waits for the term's first commit", () => {
  const node = new SoloRaft({ id: 1n });
  node.bootstrap([{ id: 1n }]);
  assert.throws(() => node.propose(Buffer.from("x")));
  node.campaign();
  node.readIndex(Buffer.from("r1"));
  let rd = node.ready();
  assert.equal(rd.readStates.length, 0);
  node.advance(rd);
  rd = node.ready();
  assert.deepEqual(rd.readStates.map((r) => [r.index, r.requestCtx.toString()]), [[2n, "r1"]]);
});

test("restart replays committed entries above the applied index and keeps the log", () => {
  const disk: { entries: Entry[]; hs?: HardState } = { entries: [] };
  const first = new SoloRaft({ id: 1n });
  first.bootstrap([{ id: 1n }]);
  first.campaign();
  drive(first, disk, []);
  first.propose(Buffer.from("a"));
  first.propose(Buffer.from("b"));
  drive(first, disk, []);
  // Crash with applied index 3 recorded by the backend; entry 4 must come back.
  const again = new SoloRaft({ id: 1n, hardState: disk.hs!, entries: disk.entries, applied: 3n });
  const applied: Entry[] = [];
  drive(again, disk, applied);
  assert.deepEqual(applied.map((e) => e.Index), [4n]);
  again.campaign();
  drive(again, disk, applied);
  assert.equal(again.status().hardState.term, 3n);
  assert.deepEqual(applied.map((e) => e.Index), [4n, 5n]);
});
