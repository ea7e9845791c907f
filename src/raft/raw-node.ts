/**
 * RawNode: the application's handle on a raft node. Single-threaded and
 * synchronous: feed it ticks, messages and proposals; when hasReady() is true
 * take a Ready, handle it (README.md gives the order), then call advance().
 * @module
 */
import { ConfChange, ConfChangeType, EntryType, MessageType } from "../gen/raftpb/raft.js";
import type { ConfChangeV2, ConfState, HardState, Message } from "../gen/raftpb/raft.js";
import type { Config } from "./config.js";
import { confChangeToEntry } from "./confchange/conf-change.js";
import type { AnyConfChange } from "./confchange/conf-change.js";
import { BootstrapError, ReadyNotAdvancedError, StepLocalMsgError, StepPeerNotFoundError } from "./errors.js";
import { Raft } from "./raft.js";
import { StateType } from "./types.js";
import type { ProgressStatus, Ready, SoftState, Status } from "./types.js";
import { SnapshotStatus } from "./types.js";
import {
  EMPTY_BYTES,
  emptyHardState,
  hardStateEqual,
  isEmptyHardState,
  isLocalMsg,
  isResponseMsg,
  makeEntry,
  makeMessage,
  mustSync,
  NONE,
  payloadsSize,
  snapIndex,
} from "./util.js";

/** A member of a brand-new cluster, for {@link RawNode.bootstrap}. */
export interface Peer {
  id: bigint;
  /** Carried in the bootstrap ConfChange (etcd puts the member's JSON here). */
  context?: Buffer;
}

export class RawNode {
  /** The state machine. Exposed for tests and diagnostics only: do not mutate. */
  readonly raft: Raft;
  #prevSoftSt: SoftState;
  #prevHardSt: HardState;
  /** The Ready handed out and not yet acknowledged by advance(). */
  #outstanding: Ready | undefined = undefined;

  constructor(config: Config) {
    this.raft = new Raft(config);
    this.#prevSoftSt = this.raft.softState();
    this.#prevHardSt = this.raft.hardState();
  }

  /**
   * Initializes a brand-new cluster's membership (etcd's StartNode): appends
   * one committed AddNode conf change per peer at term 1 and applies them.
   * The entries still appear in Ready.committedEntries, so the application
   * sees every membership change. Refused when the storage is not empty.
   */
  bootstrap(peers: readonly Peer[]): void {
    if (peers.length === 0) throw new BootstrapError("must provide at least one peer");
    const r = this.raft;
    if (r.raftLog.storage.lastIndex() !== 0n) throw new BootstrapError("can't bootstrap a nonempty Storage");
    // Nothing is persisted yet: the first Ready must carry the HardState.
    this.#prevHardSt = emptyHardState();
    r.becomeFollower(1n, NONE);
    const ents = peers.map((p, i) => {
      const cc: ConfChange = {
        type: ConfChangeType.ConfChangeAddNode,
        nodeId: p.id,
        context: p.context ?? EMPTY_BYTES,
        id: 0n,
      };
      return makeEntry({
        Type: EntryType.EntryConfChange,
        Term: 1n,
        Index: BigInt(i + 1),
        Data: Buffer.from(ConfChange.encode(cc).finish()),
      });
    });
    r.raftLog.append(ents);
    // Committed by fiat, but not applied: the application applies them.
    r.raftLog.committed = BigInt(ents.length);
    for (const p of peers) {
      r.applyConfChange({ type: ConfChangeType.ConfChangeAddNode, nodeId: p.id, context: EMPTY_BYTES, id: 0n });
    }
  }

  /** Advances logical time by one tick (heartbeats, election timeouts). */
  tick(): void {
    this.raft.tick();
  }

  /**
   * Advances the election clock without triggering anything else: for a
   * group known to be idle. Followers still campaign once it expires.
   */
  tickQuiesced(): void {
    this.raft.electionElapsed++;
  }

  /** Starts an election now (subject to the usual checks: a voter, no unapplied conf change). */
  campaign(): void {
    this.raft.step(makeMessage({ type: MessageType.MsgHup }));
  }

  /** Proposes one entry. Throws ProposalDroppedError when it cannot be accepted. */
  propose(data: Buffer): void {
    this.raft.step(makeMessage({ type: MessageType.MsgProp, from: this.raft.id, entries: [makeEntry({ Data: data })] }));
  }

  /**
   * Proposes several entries in one message: all are accepted or all are
   * dropped (ProposalDroppedError). Cheaper than one propose() per entry.
   */
  proposeBatch(data: readonly Buffer[]): void {
    if (data.length === 0) return;
    const entries = data.map((d) => makeEntry({ Data: d }));
    this.raft.step(makeMessage({ type: MessageType.MsgProp, from: this.raft.id, entries }));
  }

  /**
   * Proposes a membership change. The leader refuses (turns into a no-op
   * entry) a change while another is pending, or one that does not fit the
   * joint state; apply it with {@link applyConfChange} once committed.
   */
  proposeConfChange(cc: AnyConfChange): void {
    this.raft.step(makeMessage({ type: MessageType.MsgProp, from: this.raft.id, entries: [confChangeToEntry(cc)] }));
  }

  /**
   * Applies a committed conf change (from Ready.committedEntries) to the
   * membership and returns the resulting ConfState, which the application
   * stores with its next snapshot. Throws InvalidConfChangeError.
   */
  applyConfChange(cc: ConfChange | ConfChangeV2): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /**
   * Steps a message received from a peer. Throws StepLocalMsgError for
   * local-only types and StepPeerNotFoundError for a response from a
   * non-member; ProposalDroppedError for a forwarded proposal that is dropped.
   */
  step(m: Message): void {
    if (isLocalMsg(m.type)) throw new StepLocalMsgError();
    if (isResponseMsg(m.type) && !this.raft.trk.progress.has(m.from)) throw new StepPeerNotFoundError();
    this.raft.step(m);
  }

  /** Whether there is anything in a Ready (false while one is awaiting advance()). */
  hasReady(): boolean {
    if (this.#outstanding !== undefined) return false;
    const r = this.raft;
    const ss = r.softState();
    if (ss.lead !== this.#prevSoftSt.lead || ss.raftState !== this.#prevSoftSt.raftState) return true;
    const hs = r.hardState();
    if (!isEmptyHardState(hs) && !hardStateEqual(hs, this.#prevHardSt)) return true;
    if (r.raftLog.hasPendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.raftLog.unstableEntries().length > 0 || r.raftLog.hasNextCommittedEnts()) return true;
    return r.readStates.length > 0;
  }

  /**
   * Takes the pending work as a Ready. The caller must handle it and call
   * advance() before the next ready() (ReadyNotAdvancedError otherwise).
   */
  ready(): Ready {
    if (this.#outstanding !== undefined) throw new ReadyNotAdvancedError();
    const r = this.raft;
    const log = r.raftLog;
    const committedEntries = log.nextCommittedEnts();
    const hs = r.hardState();
    const rd: Ready = {
      readStates: r.readStates,
      // A copy: the unstable array keeps growing after this call.
      entries: log.unstableEntries().slice(),
      committedEntries,
      messages: r.msgs,
      mustSync: false,
    };
    const ss = r.softState();
    if (ss.lead !== this.#prevSoftSt.lead || ss.raftState !== this.#prevSoftSt.raftState) {
      rd.softState = ss;
      this.#prevSoftSt = ss;
    }
    if (!isEmptyHardState(hs) && !hardStateEqual(hs, this.#prevHardSt)) rd.hardState = hs;
    const snap = log.unstable.snapshot;
    if (snap !== undefined) rd.snapshot = snap;
    rd.mustSync = mustSync(hs, this.#prevHardSt, rd.entries.length);
    // Accept: everything in rd now belongs to the caller.
    if (rd.hardState !== undefined) this.#prevHardSt = hs;
    r.msgs = [];
    r.readStates = [];
    if (committedEntries.length > 0) log.acceptApplying(committedEntries[committedEntries.length - 1]!.Index);
    this.#outstanding = rd;
    return rd;
  }

  /**
   * Acknowledges the last Ready: its snapshot and entries are durable and its
   * committed entries are applied. May produce new work (check hasReady()).
   */
  advance(_rd?: Ready): void {
    const rd = this.#outstanding;
    if (rd === undefined) return;
    this.#outstanding = undefined;
    const r = this.raft;
    if (rd.snapshot !== undefined) r.onSnapshotPersisted(snapIndex(rd.snapshot));
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1]!;
      r.onPersisted(last.Index, last.Term);
    }
    if (rd.committedEntries.length > 0) {
      r.appliedTo(rd.committedEntries[rd.committedEntries.length - 1]!.Index);
      r.reduceUncommittedSize(payloadsSize(rd.committedEntries));
    }
  }

  /**
   * Requests a linearizable read point. The answer arrives as a ReadState
   * with the same `requestCtx` (which should be unique) in a later Ready; it
   * is silently dropped when there is no leader, so callers retry on timeout.
   */
  readIndex(requestCtx: Buffer): void {
    this.raft.step(makeMessage({ type: MessageType.MsgReadIndex, entries: [makeEntry({ Data: requestCtx })] }));
  }

  /** Asks the leader to hand leadership to `transferee` (forwarded when not leader). */
  transferLeader(transferee: bigint): void {
    this.raft.step(makeMessage({ type: MessageType.MsgTransferLeader, from: transferee }));
  }

  /** Reports that the last message to `id` could not be delivered. */
  reportUnreachable(id: bigint): void {
    this.raft.step(makeMessage({ type: MessageType.MsgUnreachable, from: id }));
  }

  /** Reports the outcome of sending a snapshot to `id`. */
  reportSnapshot(id: bigint, status: SnapshotStatus): void {
    this.raft.step(makeMessage({ type: MessageType.MsgSnapStatus, from: id, reject: status === SnapshotStatus.Failure }));
  }

  /** A snapshot of this node's state (progress only on the leader). */
  status(): Status {
    const r = this.raft;
    const st: Status = {
      id: r.id,
      hardState: r.hardState(),
      softState: r.softState(),
      applied: r.raftLog.applied,
      leadTransferee: r.leadTransferee,
      config: r.trk.confState(),
    };
    if (r.state === StateType.Leader) {
      const progress = new Map<bigint, ProgressStatus>();
      r.trk.visit((id, pr) => {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          pendingSnapshot: pr.pendingSnapshot,
          recentActive: pr.recentActive,
          paused: pr.isPaused(),
          inflight: pr.inflights.count(),
          isLearner: pr.isLearner,
        });
      });
      st.progress = progress;
    }
    return st;
  }
}
