/**
 * Helpers to drive the bare state machine (Raft) in focused tests: build a
 * node on a MemoryStorage, read its outbox, and play the application's part
 * of the Ready contract (persist, then acknowledge).
 */
import type { Entry, HardState, Message } from "../../../src/gen/raftpb/raft.js";
import { MessageType } from "../../../src/gen/raftpb/raft.js";
import { SeededRandom } from "../../../src/pkg/random.js";
import type { Config } from "../../../src/raft/config.js";
import { Raft } from "../../../src/raft/raft.js";
import { MemoryStorage } from "../../../src/raft/storage.js";
import { emptyConfState, makeEntry, makeMessage, snapIndex } from "../../../src/raft/util.js";

export { MessageType };

/** A storage whose (empty) log belongs to a group of `voters` (and `learners`). */
export function storageWithPeers(voters: bigint[], learners: bigint[] = []): MemoryStorage {
  return new MemoryStorage({ confState: { ...emptyConfState(), voters, learners } });
}

export interface TestRaftOptions extends Partial<Omit<Config, "id" | "storage" | "random">> {
  seed?: number;
}

export function newTestRaft(
  id: bigint,
  election: number,
  heartbeat: number,
  storage: MemoryStorage,
  opts: TestRaftOptions = {},
): Raft {
  const { seed, ...rest } = opts;
  return new Raft({
    maxInflightMsgs: 256,
    ...rest,
    id,
    electionTick: election,
    heartbeatTick: heartbeat,
    storage,
    random: new SeededRandom(seed ?? Number(id)),
  });
}

/** Takes the queued outgoing messages. */
export function readMessages(r: Raft): Message[] {
  const msgs = r.msgs;
  r.msgs = [];
  return msgs;
}

/**
 * Plays the application: persists the unstable snapshot, entries and hard
 * state into `s`, then acknowledges them (as RawNode.advance would).
 */
export function persist(r: Raft, s: MemoryStorage): void {
  const snap = r.raftLog.unstable.snapshot;
  if (snap !== undefined) {
    s.applySnapshot(snap);
    r.onSnapshotPersisted(snapIndex(snap));
  }
  const ents = r.raftLog.unstableEntries().slice();
  if (ents.length > 0) {
    s.append(ents);
    const last = ents[ents.length - 1]!;
    r.onPersisted(last.Index, last.Term);
  }
  s.setHardState(r.hardState());
}

/** Applies (acknowledges) every committed entry, as the application would. */
export function applyAll(r: Raft): Entry[] {
  const ents = r.raftLog.nextCommittedEnts();
  if (ents.length > 0) {
    r.raftLog.acceptApplying(ents[ents.length - 1]!.Index);
    r.appliedTo(ents[ents.length - 1]!.Index);
  }
  return ents;
}

export function msg(init: Partial<Message> & { type: MessageType }): Message {
  return makeMessage(init);
}

/** Entries from [term, index] pairs (with empty data). */
export function ents(...pairs: Array<[number, number]>): Entry[] {
  return pairs.map(([t, i]) => makeEntry({ Term: BigInt(t), Index: BigInt(i) }));
}

/** Entries with the given terms at indexes 1, 2, ... */
export function entsWithTerms(...terms: number[]): Entry[] {
  return terms.map((t, i) => makeEntry({ Term: BigInt(t), Index: BigInt(i + 1) }));
}

export function hardState(term: number, commit: number, vote = 0): HardState {
  return { term: BigInt(term), commit: BigInt(commit), vote: BigInt(vote) };
}

/** The (term, index) pairs of a log, for comparisons. */
export function termsAndIndexes(es: readonly Entry[]): string[] {
  return es.map((e) => `${e.Term}/${e.Index}`);
}

/**
 * Makes leader `r` commit its initial empty entry: persist it and have every
 * member acknowledge it.
 */
export function commitNoopEntry(r: Raft, s: MemoryStorage): void {
  persist(r, s);
  r.bcastAppend();
  for (const m of readMessages(r)) {
    if (m.type !== MessageType.MsgApp || m.entries.length !== 1 || m.entries[0]!.Data.length !== 0) {
      throw new Error("not a message to append noop entry");
    }
    r.step(msg({ type: MessageType.MsgAppResp, from: m.to, to: m.from, term: m.term, index: m.entries[0]!.Index }));
  }
  readMessages(r);
  persist(r, s);
  applyAll(r);
}
