/**
 * Small helpers over the raftpb types: message and entry construction with a
 * stable object shape, sizes for flow control, and message classification.
 * @module
 */
import { EntryType, MessageType } from "../gen/raftpb/raft.js";
import type { ConfState, Entry, HardState, Message, Snapshot } from "../gen/raftpb/raft.js";

/** The id that means "no node" (no leader, no vote). */
export const NONE = 0n;

/** "No limit" for byte budgets expressed as numbers. */
export const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/** An empty, never-mutated buffer (zero-length buffers cannot be written to). */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

/**
 * Builds a Message with every field present, in the field order ts-proto
 * uses, so that messages made here and messages decoded from the wire share
 * one hidden class.
 */
export function makeMessage(init: Partial<Message> & { type: MessageType }): Message {
  return {
    type: init.type,
    to: init.to ?? 0n,
    from: init.from ?? 0n,
    term: init.term ?? 0n,
    logTerm: init.logTerm ?? 0n,
    index: init.index ?? 0n,
    entries: init.entries ?? [],
    commit: init.commit ?? 0n,
    snapshot: init.snapshot,
    reject: init.reject ?? false,
    rejectHint: init.rejectHint ?? 0n,
    context: init.context ?? EMPTY_BYTES,
  };
}

/** Builds an Entry with every field present. */
export function makeEntry(init: Partial<Entry>): Entry {
  return {
    Term: init.Term ?? 0n,
    Index: init.Index ?? 0n,
    Type: init.Type ?? EntryType.EntryNormal,
    Data: init.Data ?? EMPTY_BYTES,
  };
}

/** An empty HardState. */
export function emptyHardState(): HardState {
  return { term: 0n, vote: 0n, commit: 0n };
}

/** An empty ConfState. */
export function emptyConfState(): ConfState {
  return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
}

/** An empty snapshot (index 0). */
export function emptySnapshot(): Snapshot {
  return { data: EMPTY_BYTES, metadata: { confState: emptyConfState(), index: 0n, term: 0n } };
}

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0n && hs.vote === 0n && hs.commit === 0n;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export function snapIndex(s: Snapshot | undefined): bigint {
  return s?.metadata?.index ?? 0n;
}

export function snapTerm(s: Snapshot | undefined): bigint {
  return s?.metadata?.term ?? 0n;
}

export function snapConfState(s: Snapshot | undefined): ConfState {
  return s?.metadata?.confState ?? emptyConfState();
}

/** A snapshot with index 0 carries nothing. */
export function isEmptySnap(s: Snapshot | undefined): boolean {
  return snapIndex(s) === 0n;
}

/**
 * The bytes an entry adds to a message, for `maxSizePerMsg` and
 * `maxCommittedSizePerReady`. An estimate of its protobuf encoding (payload
 * plus tags and varints), cheap enough to call per entry on the hot path.
 */
export function entrySize(e: Entry): number {
  return e.Data.length + ENTRY_OVERHEAD;
}
const ENTRY_OVERHEAD = 12;

/** The bytes of application payload, for the uncommitted-size limit. */
export function payloadSize(e: Entry): number {
  return e.Data.length;
}

export function payloadsSize(ents: readonly Entry[]): number {
  let s = 0;
  for (let i = 0; i < ents.length; i++) s += ents[i]!.Data.length;
  return s;
}

/**
 * The longest prefix of `ents` whose total size is at most `maxSize`, but
 * never fewer than one entry (a single big entry must still make progress).
 */
export function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length <= 1 || maxSize >= NO_LIMIT) return ents;
  let size = entrySize(ents[0]!);
  let k = 1;
  for (; k < ents.length; k++) {
    size += entrySize(ents[k]!);
    if (size > maxSize) break;
  }
  return k === ents.length ? ents : ents.slice(0, k);
}

/** Message types that only the local node may step (never from the network). */
export function isLocalMsg(t: MessageType): boolean {
  return (
    t === MessageType.MsgHup ||
    t === MessageType.MsgBeat ||
    t === MessageType.MsgUnreachable ||
    t === MessageType.MsgSnapStatus ||
    t === MessageType.MsgCheckQuorum
  );
}

/** Message types that answer a request and so need a known sender. */
export function isResponseMsg(t: MessageType): boolean {
  return (
    t === MessageType.MsgAppResp ||
    t === MessageType.MsgVoteResp ||
    t === MessageType.MsgHeartbeatResp ||
    t === MessageType.MsgUnreachable ||
    t === MessageType.MsgPreVoteResp
  );
}

/** The response type for a (pre-)vote request. */
export function voteRespMsgType(t: MessageType): MessageType {
  switch (t) {
    case MessageType.MsgVote:
      return MessageType.MsgVoteResp;
    case MessageType.MsgPreVote:
      return MessageType.MsgPreVoteResp;
    default:
      throw new Error(`not a vote message: ${MessageType[t]}`);
  }
}

/**
 * Whether a Ready must be fsynced: a changed term or vote (a vote must never be
 * forgotten) or new entries. A commit-only change may be written lazily.
 */
export function mustSync(st: HardState, prev: HardState, entsnum: number): boolean {
  return entsnum !== 0 || st.vote !== prev.vote || st.term !== prev.term;
}

export function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

export function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** Ascending order for bigint arrays. */
export function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The ids of a set, sorted ascending. */
export function sortedIds(ids: Iterable<bigint>): bigint[] {
  return [...ids].sort(compareBig);
}
