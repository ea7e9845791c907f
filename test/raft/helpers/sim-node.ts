/**
 * One simulated member: a RawNode, its "durable" MemoryStorage, and a tiny
 * state machine (a hash chain over applied entries). `processReady` follows
 * the Ready contract exactly: persist snapshot, entries and hard state, then
 * hand out messages, then apply, then advance. A crash keeps only the
 * storage; restart rebuilds the node and the state machine from it.
 */
import { EntryType, MessageType } from "../../../src/gen/raftpb/raft.js";
import type { ConfState, Entry, Message, Snapshot } from "../../../src/gen/raftpb/raft.js";
import { nullLogger } from "../../../src/pkg/logger.js";
import type { Logger } from "../../../src/pkg/logger.js";
import { SeededRandom } from "../../../src/pkg/random.js";
import type { Config } from "../../../src/raft/config.js";
import { confChangeFromEntry } from "../../../src/raft/confchange/conf-change.js";
import { InvalidConfChangeError } from "../../../src/raft/errors.js";
import { RawNode } from "../../../src/raft/raw-node.js";
import type { ReadState } from "../../../src/raft/read-only.js";
import { MemoryStorage } from "../../../src/raft/storage.js";
import type { Ready } from "../../../src/raft/types.js";
import { emptyConfState, snapConfState, snapIndex } from "../../../src/raft/util.js";

export type NodeOptions = Partial<Omit<Config, "id" | "storage" | "random">>;

/** FNV-1a style mixing into a 32-bit hash. */
export function mix(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function entryKey(e: Entry): string {
  return `${e.Type}:${e.Data.toString("latin1")}`;
}

/** The application state: the applied index and a hash chain over applied entries. */
export interface AppState {
  applied: bigint;
  hash: number;
  confState: ConfState;
}

export function encodeAppState(s: AppState): Buffer {
  return Buffer.from(JSON.stringify({ applied: s.applied.toString(), hash: s.hash }));
}

export function decodeAppState(data: Buffer, cs: ConfState): AppState {
  const o = JSON.parse(data.toString()) as { applied: string; hash: number };
  return { applied: BigInt(o.applied), hash: o.hash, confState: cs };
}

export interface ReadyHooks {
  /** Called for every entry about to be appended (log-matching checks). */
  onAppend?(node: SimNode, ents: readonly Entry[]): void;
  /** Called for every applied entry with the hash after applying it. */
  onApply?(node: SimNode, e: Entry, hash: number): void;
  /** Called for a snapshot installed from the leader. */
  onSnapshot?(node: SimNode, s: Snapshot): void;
  /** Called after a conf change was applied. */
  onConfChange?(node: SimNode, before: ConfState, after: ConfState): void;
  /** Called with the read states of each Ready. */
  onReadStates?(node: SimNode, rss: readonly ReadState[]): void;
}

export class SimNode {
  readonly id: bigint;
  readonly storage: MemoryStorage;
  readonly options: NodeOptions;
  readonly logger: Logger;
  node: RawNode;
  state: AppState;
  /** Normal entries applied in this life (data), for assertions. */
  appliedData: string[] = [];
  readStates: ReadState[] = [];
  /** Committed conf changes that were invalid when applied (applied as no-ops). */
  rejectedConfChanges = 0;
  /**
   * Replace the snapshot of outgoing MsgSnap with one of the current applied
   * state, as etcd's server does (its "merged snapshot"): the stored one may
   * predate the recipient's own addition, and a member refuses a snapshot
   * whose configuration does not contain it.
   */
  freshSnapshots = false;
  /** Ready objects seen, when recording is on. */
  readies: Ready[] | undefined = undefined;
  #seed: number;
  #lives = 0;

  constructor(id: bigint, storage: MemoryStorage, options: NodeOptions, seed: number, logger: Logger = nullLogger) {
    this.id = id;
    this.storage = storage;
    this.options = options;
    this.logger = logger;
    this.#seed = seed;
    this.state = { applied: 0n, hash: 0, confState: emptyConfState() };
    this.node = this.#start();
  }

  #start(): RawNode {
    const snap = this.storage.snapshot();
    const si = snapIndex(snap);
    // The state machine restarts from the snapshot; raft replays the rest.
    this.state =
      si === 0n
        ? { applied: 0n, hash: 0, confState: this.storage.initialState().confState }
        : decodeAppState(snap.data, snapConfState(snap));
    this.appliedData = [];
    this.#lives++;
    return new RawNode({
      electionTick: 10,
      heartbeatTick: 1,
      maxInflightMsgs: 256,
      ...this.options,
      id: this.id,
      storage: this.storage,
      applied: si,
      random: new SeededRandom(this.#seed * 7919 + Number(this.id) * 104729 + this.#lives),
      logger: this.logger,
    });
  }

  /**
   * The initial membership this node bootstrapped with, if it was a founding
   * member. Like etcd, a founding member that restarts with nothing persisted
   * (it crashed before its first write) bootstraps again.
   */
  bootstrapPeers: bigint[] | undefined = undefined;

  /** Bootstraps a founding member of a new cluster. */
  bootstrap(peers: bigint[]): void {
    this.bootstrapPeers = peers;
    this.node.bootstrap(peers.map((id) => ({ id })));
  }

  /** Throws away all volatile state (as kill -9) and starts again from storage. */
  restart(): void {
    this.node = this.#start();
    if (this.bootstrapPeers !== undefined && this.storage.lastIndex() === 0n) this.bootstrap(this.bootstrapPeers);
  }

  /**
   * Handles one Ready if there is one; returns the messages to send (after
   * persisting, as the contract requires) or undefined when idle.
   */
  processReady(hooks: ReadyHooks = {}, crashAfterPersist = false): Message[] | undefined {
    if (!this.node.hasReady()) return undefined;
    const rd = this.node.ready();
    this.readies?.push(rd);
    if (rd.snapshot !== undefined) {
      hooks.onSnapshot?.(this, rd.snapshot);
      this.storage.applySnapshot(rd.snapshot);
      this.state = decodeAppState(rd.snapshot.data, snapConfState(rd.snapshot));
    }
    if (rd.entries.length > 0) {
      hooks.onAppend?.(this, rd.entries);
      this.storage.append(rd.entries);
    }
    if (rd.hardState !== undefined) this.storage.setHardState(rd.hardState);
    // A crash right after the write: nothing is sent, applied or acknowledged.
    if (crashAfterPersist) return [];
    for (const e of rd.committedEntries) this.apply(e, hooks);
    if (rd.readStates.length > 0) hooks.onReadStates?.(this, rd.readStates);
    for (const rs of rd.readStates) this.readStates.push(rs);
    this.node.advance(rd);
    if (this.freshSnapshots) {
      for (const m of rd.messages) if (m.type === MessageType.MsgSnap) m.snapshot = this.currentSnapshot();
    }
    return rd.messages;
  }

  /** A snapshot of the applied state right now (not stored). */
  currentSnapshot(): Snapshot {
    const i = this.state.applied;
    const term = this.node.raft.raftLog.term(i);
    if (term === undefined) throw new Error(`no term for applied index ${i}`);
    return { data: encodeAppState(this.state), metadata: { index: i, term, confState: this.state.confState } };
  }

  /** Applies one committed entry to the state machine (and membership). */
  apply(e: Entry, hooks: ReadyHooks = {}): void {
    if (e.Index <= this.state.applied) return;
    if (e.Type !== EntryType.EntryNormal) {
      const cc = confChangeFromEntry(e)!;
      try {
        const before = this.state.confState;
        this.state.confState = this.node.applyConfChange(cc);
        hooks.onConfChange?.(this, before, this.state.confState);
      } catch (err) {
        // As etcd's server does: a change that does not fit is applied as a no-op.
        if (!(err instanceof InvalidConfChangeError)) throw err;
        this.rejectedConfChanges++;
      }
    } else if (e.Data.length > 0) {
      this.appliedData.push(e.Data.toString());
    }
    this.state.hash = mix(mix(this.state.hash, `${e.Index}/${e.Term}`), entryKey(e));
    this.state.applied = e.Index;
    hooks.onApply?.(this, e, this.state.hash);
  }

  /**
   * Snapshots the applied state and compacts the log, keeping `keep` entries
   * before the snapshot index for slow followers.
   */
  snapshotAndCompact(keep = 0n): Snapshot | undefined {
    const i = this.state.applied;
    if (i <= snapIndex(this.storage.snapshot())) return undefined;
    const snap = this.storage.createSnapshot(i, this.state.confState, encodeAppState(this.state));
    const compactTo = i - keep;
    if (compactTo > this.storage.firstIndex()) this.storage.compact(compactTo);
    return snap;
  }
}
