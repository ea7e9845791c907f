/**
 * The raft state machine (internal; applications use RawNode). It holds the
 * term, vote, log and role of one node. Input arrives only through `step`
 * (messages, including local ones such as MsgHup) and `tick` (logical time);
 * output accumulates in `msgs`, `readStates` and the log, for RawNode to hand
 * out in a Ready. It performs no I/O and reads no clock; its only randomness
 * is the injected `Random` used for election timeouts.
 *
 * The role is a swapped step function (stepLeader / stepCandidate /
 * stepFollower) and tick function, as in etcd's raft.
 * @module
 */
import { ConfChange, ConfChangeV2, EntryType, MessageType } from "../gen/raftpb/raft.js";
import type { ConfState, Entry, HardState, Message, Snapshot } from "../gen/raftpb/raft.js";
import type { Logger } from "../pkg/logger.js";
import type { Random } from "../pkg/random.js";
import { resolveConfig } from "./config.js";
import type { Config } from "./config.js";
import { Changer } from "./confchange/changer.js";
import { asV2, enterJoint, leaveJoint } from "./confchange/conf-change.js";
import type { AnyConfChange } from "./confchange/conf-change.js";
import { restore as restoreConfig } from "./confchange/restore.js";
import {
  CompactedError,
  ProposalDroppedError,
  SnapshotTemporarilyUnavailableError,
  invariant,
} from "./errors.js";
import { RaftLog } from "./log.js";
import { VoteResult } from "./quorum/quorum.js";
import { ReadOnly, ReadOnlyOption } from "./read-only.js";
import type { ReadState } from "./read-only.js";
import { Inflights } from "./tracker/inflights.js";
import { Progress, ProgressState } from "./tracker/progress.js";
import { ProgressTracker } from "./tracker/tracker.js";
import type { ProgressMap, TrackerConfig } from "./tracker/tracker.js";
import { StateType, stateTypeString } from "./types.js";
import type { SoftState } from "./types.js";
import {
  EMPTY_BYTES,
  isEmptyHardState,
  isEmptySnap,
  makeEntry,
  makeMessage,
  NONE,
  payloadsSize,
  snapConfState,
  snapIndex,
  snapTerm,
  voteRespMsgType,
} from "./util.js";

/** Why a node campaigns. The transfer value is also the wire context of its votes. */
export enum CampaignType {
  PreElection = "CampaignPreElection",
  Election = "CampaignElection",
  Transfer = "CampaignTransfer",
}

/** The MsgVote context that marks a leadership-transfer election (etcd's bytes). */
const CAMPAIGN_TRANSFER_CTX = Buffer.from(CampaignType.Transfer);

type StepFn = (r: Raft, m: Message) => void;

/** Hex id, as etcd prints ids in its logs. */
function hex(id: bigint): string {
  return id.toString(16);
}

export class Raft {
  readonly id: bigint;
  term = 0n;
  vote = NONE;
  readStates: ReadState[] = [];
  readonly raftLog: RaftLog;
  readonly maxMsgSize: number;
  readonly maxUncommittedSize: number;
  trk: ProgressTracker;
  state: StateType = StateType.Follower;
  /** This node is a learner in the active configuration. */
  isLearner = false;
  /** Outgoing messages, handed out by the next Ready. */
  msgs: Message[] = [];
  lead = NONE;
  /** The target of a leadership transfer in progress (leader only). */
  leadTransferee = NONE;
  /**
   * At most one conf change may be pending (appended but not applied). Set to
   * an index >= the latest pending conf change; new conf changes are refused
   * until the applied index passes it.
   */
  pendingConfIndex = 0n;
  /** Payload bytes of the leader's uncommitted tail (an estimate; never over). */
  uncommittedSize = 0;
  readOnly: ReadOnly;
  /**
   * Leader/candidate: ticks since the last election timeout. Follower: ticks
   * since the timeout or the last message from the current leader.
   */
  electionElapsed = 0;
  /** Leader only: ticks since the last heartbeat. */
  heartbeatElapsed = 0;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly heartbeatTimeout: number;
  readonly electionTimeout: number;
  /** Drawn from [electionTimeout, 2*electionTimeout) on every role change. */
  randomizedElectionTimeout = 0;
  readonly disableProposalForwarding: boolean;
  readonly stepDownOnRemoval: boolean;
  readonly logger: Logger;
  readonly random: Random;
  /** ReadIndex requests that arrived before this leader committed an entry of its term. */
  pendingReadIndexMessages: Message[] = [];
  #tick: (r: Raft) => void = tickElection;
  #step: StepFn = stepFollower;

  constructor(config: Config) {
    const c = resolveConfig(config);
    this.id = c.id;
    this.raftLog = new RaftLog(c.storage, c.maxCommittedSizePerReady);
    const { hardState, confState } = c.storage.initialState();
    this.maxMsgSize = c.maxSizePerMsg;
    this.maxUncommittedSize = c.maxUncommittedEntriesSize;
    this.trk = new ProgressTracker(c.maxInflightMsgs, c.maxInflightBytes);
    this.electionTimeout = c.electionTick;
    this.heartbeatTimeout = c.heartbeatTick;
    this.logger = c.logger;
    this.random = c.random;
    this.checkQuorum = c.checkQuorum;
    this.preVote = c.preVote;
    this.readOnly = new ReadOnly(c.readOnlyOption);
    this.disableProposalForwarding = c.disableProposalForwarding;
    this.stepDownOnRemoval = c.stepDownOnRemoval;

    const res = restoreConfig(new Changer(this.trk, this.raftLog.lastIndex()), confState);
    assertConfStatesEquivalent(confState, this.switchToConfig(res.config, res.progress));

    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (c.applied > 0n) this.raftLog.appliedTo(c.applied);
    this.becomeFollower(this.term, NONE);

    this.logger.info(
      { raftId: hex(this.id) },
      `newRaft ${hex(this.id)} [peers: [${this.trk.voterNodes().map(hex).join(",")}], term: ${this.term}, commit: ${this.raftLog.committed}, applied: ${this.raftLog.applied}, lastindex: ${this.raftLog.lastIndex()}, lastterm: ${this.raftLog.lastTerm()}]`,
    );
  }

  hasLeader(): boolean {
    return this.lead !== NONE;
  }

  softState(): SoftState {
    return { lead: this.lead, raftState: this.state };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  /** Advances logical time by one tick. */
  tick(): void {
    this.#tick(this);
  }

  /**
   * Queues `m` for sending. Vote traffic carries an explicit term; proposals
   * and forwarded read requests carry none (they act as local messages at
   * the leader); everything else is stamped with our term.
   */
  send(m: Message): void {
    if (m.from === NONE) m.from = this.id;
    const t = m.type;
    if (
      t === MessageType.MsgVote ||
      t === MessageType.MsgVoteResp ||
      t === MessageType.MsgPreVote ||
      t === MessageType.MsgPreVoteResp
    ) {
      if (m.term === 0n) invariant(`term should be set when sending ${MessageType[t]}`);
    } else {
      if (m.term !== 0n) invariant(`term should not be set when sending ${MessageType[t]} (was ${m.term})`);
      if (t !== MessageType.MsgProp && t !== MessageType.MsgReadIndex) m.term = this.term;
    }
    if (m.to === this.id) invariant(`message should not be self-addressed when sending ${MessageType[t]}`);
    this.msgs.push(m);
  }

  /** Sends an append (possibly empty, to carry the commit index) to `to`. */
  sendAppend(to: bigint): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends an append with the entries `to` is missing, or a snapshot when they
   * are compacted away. With sendIfEmpty false, nothing is sent when there
   * are no entries. Returns whether a message was sent.
   */
  maybeSendAppend(to: bigint, sendIfEmpty: boolean): boolean {
    const pr = this.trk.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1n;
    const prevTerm = this.raftLog.term(prevIndex);
    // The log was compacted past what the follower has: it needs a snapshot.
    if (prevTerm === undefined) return this.maybeSendSnapshot(to, pr);
    let ents: Entry[] = [];
    // A full window sends only empty appends, so that a follower whose acks
    // were all lost still answers and unblocks the window.
    if (pr.state !== ProgressState.Replicate || !pr.inflights.full()) {
      try {
        ents = this.raftLog.entries(pr.next, this.maxMsgSize);
      } catch (err) {
        if (err instanceof CompactedError) return this.maybeSendSnapshot(to, pr);
        throw err;
      }
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    const commit = this.raftLog.committed;
    this.send(
      makeMessage({ type: MessageType.MsgApp, to, index: prevIndex, logTerm: prevTerm, entries: ents, commit }),
    );
    pr.sentEntries(ents.length, ents.length === 0 ? 0 : payloadsSize(ents));
    pr.recordSentCommit(commit);
    return true;
  }

  /** Sends the latest snapshot to `to`; returns whether one was sent. */
  maybeSendSnapshot(to: bigint, pr: Progress): boolean {
    // Only worth it if the follower is around to receive it.
    if (!pr.recentActive) {
      this.logger.debug({ raftId: hex(this.id) }, `ignore sending snapshot to ${hex(to)} since it is not recently active`);
      return false;
    }
    let snapshot: Snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (err) {
      if (err instanceof SnapshotTemporarilyUnavailableError) {
        this.logger.debug(
          { raftId: hex(this.id) },
          `${hex(this.id)} failed to send snapshot to ${hex(to)} because snapshot is temporarily unavailable`,
        );
        return false;
      }
      throw err;
    }
    if (isEmptySnap(snapshot)) invariant("need non-empty snapshot");
    const sindex = snapIndex(snapshot);
    this.logger.debug(
      { raftId: hex(this.id) },
      `${hex(this.id)} [firstindex: ${this.raftLog.firstIndex()}, commit: ${this.raftLog.committed}] sent snapshot[index: ${sindex}, term: ${snapTerm(snapshot)}] to ${hex(to)} [${pr}]`,
    );
    pr.becomeSnapshot(sindex);
    this.send(makeMessage({ type: MessageType.MsgSnap, to, snapshot }));
    return true;
  }

  /**
   * Sends a heartbeat. Its commit is capped at what the follower is known to
   * have, so a follower never commits an index it may not hold.
   */
  sendHeartbeat(to: bigint, ctx: Buffer): void {
    const pr = this.trk.progress.get(to)!;
    const commit = pr.match < this.raftLog.committed ? pr.match : this.raftLog.committed;
    this.send(makeMessage({ type: MessageType.MsgHeartbeat, to, commit, context: ctx }));
    pr.recordSentCommit(commit);
  }

  /** Sends appends to every member that is not paused. */
  bcastAppend(): void {
    const ids = this.trk.ids();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id !== this.id) this.sendAppend(id);
    }
  }

  /** Sends heartbeats, carrying the newest pending ReadIndex context if any. */
  bcastHeartbeat(): void {
    this.bcastHeartbeatWithCtx(this.readOnly.lastPendingRequestCtx() ?? EMPTY_BYTES);
  }

  bcastHeartbeatWithCtx(ctx: Buffer): void {
    const ids = this.trk.ids();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id !== this.id) this.sendHeartbeat(id, ctx);
    }
  }

  /**
   * The application made entries up to (index, term) durable. A leader
   * counts its own durable log toward the quorum only now, so an entry is
   * never committed on the strength of a copy that a crash could lose.
   */
  onPersisted(index: bigint, term: bigint): void {
    this.raftLog.stableTo(index, term);
    this.#selfAck();
  }

  /** The application made the pending snapshot at `index` durable and applied it. */
  onSnapshotPersisted(index: bigint): void {
    this.raftLog.stableSnapTo(index);
    this.appliedTo(index);
  }

  #selfAck(): void {
    if (this.state !== StateType.Leader) return;
    const pr = this.trk.progress.get(this.id);
    if (pr === undefined || !pr.maybeUpdate(this.raftLog.lastStableIndex())) return;
    if (this.maybeCommit()) {
      releasePendingReadIndexMessages(this);
      this.bcastAppend();
    }
  }

  /**
   * The application applied entries up to `index`. A leader in a joint
   * configuration with auto-leave proposes leaving it once the entry that
   * entered it is applied.
   */
  appliedTo(index: bigint): void {
    const old = this.raftLog.applied;
    const applied = index > old ? index : old;
    this.raftLog.appliedTo(applied);
    if (this.trk.config.autoLeave && applied >= this.pendingConfIndex && this.state === StateType.Leader) {
      // Empty data decodes as the empty ConfChangeV2 (leave joint); being
      // empty it is never refused for size.
      const m = makeMessage({
        type: MessageType.MsgProp,
        from: this.id,
        entries: [makeEntry({ Type: EntryType.EntryConfChangeV2 })],
      });
      try {
        this.step(m);
        this.logger.info({ raftId: hex(this.id) }, `initiating automatic transition out of joint configuration ${this.trk.config}`);
      } catch (err) {
        // Dropped (e.g. a leadership transfer is under way): retried on the next apply.
        if (!(err instanceof ProposalDroppedError)) throw err;
        this.logger.debug(
          { raftId: hex(this.id) },
          `not initiating automatic transition out of joint configuration ${this.trk.config}: ${err.message}`,
        );
      }
    }
  }

  /** Tries to move the commit index; true when it moved (then broadcast it). */
  maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.trk.committed(), this.term);
  }

  /** Resets volatile per-term state when the term or role changes. */
  reset(term: bigint): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    const last = this.raftLog.lastIndex();
    const prs: ProgressMap = new Map();
    for (const [id, old] of this.trk.progress) {
      const pr = new Progress(last + 1n, new Inflights(this.trk.maxInflight, this.trk.maxInflightBytes), old.isLearner);
      // Our own match is what is durable: the rest is acked on persistence.
      if (id === this.id) pr.match = this.raftLog.lastStableIndex();
      prs.set(id, pr);
    }
    this.trk.setConfig(this.trk.config, prs);
    this.pendingConfIndex = 0n;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly(this.readOnly.option);
  }

  /**
   * Appends proposals at the current term (copies: proposal entries may be
   * shared with the sender). Returns false when the uncommitted-size limit
   * refuses them.
   */
  appendEntry(es: readonly Entry[]): boolean {
    const li = this.raftLog.lastIndex();
    if (!this.increaseUncommittedSize(es)) {
      this.logger.warn(
        { raftId: hex(this.id) },
        `${hex(this.id)} appending new entries to log would exceed uncommitted entry size limit; dropping proposal`,
      );
      return false;
    }
    const ents: Entry[] = new Array<Entry>(es.length);
    let index = li;
    for (let i = 0; i < es.length; i++) {
      const e = es[i]!;
      index += 1n;
      ents[i] = { Term: this.term, Index: index, Type: e.Type, Data: e.Data };
    }
    this.raftLog.append(ents);
    return true;
  }

  becomeFollower(term: bigint, lead: bigint): void {
    this.#step = stepFollower;
    this.reset(term);
    this.#tick = tickElection;
    this.lead = lead;
    this.state = StateType.Follower;
    this.logger.info({ raftId: hex(this.id) }, `${hex(this.id)} became follower at term ${this.term}`);
  }

  becomeCandidate(): void {
    if (this.state === StateType.Leader) invariant("invalid transition [leader -> candidate]");
    this.#step = stepCandidate;
    this.reset(this.term + 1n);
    this.#tick = tickElection;
    this.vote = this.id;
    this.state = StateType.Candidate;
    this.logger.info({ raftId: hex(this.id) }, `${hex(this.id)} became candidate at term ${this.term}`);
  }

  /** A pre-candidate keeps its term and vote: it only asks whether it could win. */
  becomePreCandidate(): void {
    if (this.state === StateType.Leader) invariant("invalid transition [leader -> pre-candidate]");
    this.#step = stepCandidate;
    this.trk.resetVotes();
    this.#tick = tickElection;
    this.lead = NONE;
    this.state = StateType.PreCandidate;
    this.logger.info({ raftId: hex(this.id) }, `${hex(this.id)} became pre-candidate at term ${this.term}`);
  }

  becomeLeader(): void {
    if (this.state === StateType.Follower) invariant("invalid transition [follower -> leader]");
    this.#step = stepLeader;
    this.reset(this.term);
    this.#tick = tickHeartbeat;
    this.lead = this.id;
    this.state = StateType.Leader;
    // The leader trivially replicates to itself.
    const pr = this.trk.progress.get(this.id);
    if (pr !== undefined) {
      pr.becomeReplicate();
      pr.recentActive = true;
    }
    // There may be an unapplied conf change in the log; conservatively wait
    // until everything up to our last index is applied before accepting one.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // An empty entry of our term: committing it commits everything before it
    // (Raft §5.4.2) and lets ReadIndex start. It is exempt from the size quota.
    if (!this.appendEntry([makeEntry({})])) invariant("empty entry was dropped");
    this.logger.info({ raftId: hex(this.id) }, `${hex(this.id)} became leader at term ${this.term}`);
  }

  /** Starts an election (or pre-election) if this node may. */
  hup(t: CampaignType): void {
    if (this.state === StateType.Leader) {
      this.logger.debug({ raftId: hex(this.id) }, `${hex(this.id)} ignoring MsgHup because already leader`);
      return;
    }
    if (!this.promotable()) {
      this.logger.warn({ raftId: hex(this.id) }, `${hex(this.id)} is unpromotable and can not campaign`);
      return;
    }
    if (this.hasUnappliedConfChanges()) {
      this.logger.warn(
        { raftId: hex(this.id) },
        `${hex(this.id)} cannot campaign at term ${this.term} since there are still pending configuration changes to apply`,
      );
      return;
    }
    this.logger.info({ raftId: hex(this.id) }, `${hex(this.id)} is starting a new election at term ${this.term}`);
    this.campaign(t);
  }

  /**
   * Whether a committed but unapplied entry is a conf change. Campaigning
   * then is unsafe: we might win with a configuration about to change.
   */
  hasUnappliedConfChanges(): boolean {
    const log = this.raftLog;
    if (log.applied >= log.committed) return false;
    const first = log.firstIndex();
    let lo = log.applied + 1n > first ? log.applied + 1n : first;
    const hi = log.committed + 1n;
    while (lo < hi) {
      const ents = log.slice(lo, hi, log.maxApplyingSize);
      for (const e of ents) {
        if (e.Type === EntryType.EntryConfChange || e.Type === EntryType.EntryConfChangeV2) return true;
      }
      lo += BigInt(ents.length);
    }
    return false;
  }

  /** Becomes (pre-)candidate and asks every voter for its vote. */
  campaign(t: CampaignType): void {
    if (!this.promotable()) {
      this.logger.warn({ raftId: hex(this.id) }, `${hex(this.id)} is unpromotable; campaign() should have been called`);
    }
    let term: bigint;
    let voteMsg: MessageType;
    if (t === CampaignType.PreElection) {
      this.becomePreCandidate();
      voteMsg = MessageType.MsgPreVote;
      // Pre-votes ask about the next term without moving to it yet.
      term = this.term + 1n;
    } else {
      this.becomeCandidate();
      voteMsg = MessageType.MsgVote;
      term = this.term;
    }
    if (this.poll(this.id, voteRespMsgType(voteMsg), true).result === VoteResult.VoteWon) {
      // Our own vote is a quorum: a single-voter cluster.
      if (t === CampaignType.PreElection) this.campaign(CampaignType.Election);
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    const ctx = t === CampaignType.Transfer ? CAMPAIGN_TRANSFER_CTX : EMPTY_BYTES;
    for (const id of this.trk.voterNodes()) {
      if (id === this.id) continue;
      this.logger.info(
        { raftId: hex(this.id) },
        `${hex(this.id)} [logterm: ${lastTerm}, index: ${lastIndex}] sent ${MessageType[voteMsg]} request to ${hex(id)} at term ${this.term}`,
      );
      this.send(makeMessage({ type: voteMsg, to: id, term, index: lastIndex, logTerm: lastTerm, context: ctx }));
    }
  }

  /** Records a (pre-)vote and returns the tally. */
  poll(id: bigint, t: MessageType, granted: boolean): { granted: number; rejected: number; result: VoteResult } {
    this.logger.info(
      { raftId: hex(this.id) },
      granted
        ? `${hex(this.id)} received ${MessageType[t]} from ${hex(id)} at term ${this.term}`
        : `${hex(this.id)} received ${MessageType[t]} rejection from ${hex(id)} at term ${this.term}`,
    );
    this.trk.recordVote(id, granted);
    return this.trk.tallyVotes();
  }

  /**
   * The single entry point for messages. First the term rules (Raft §5.1):
   * a higher term makes us a follower (except for pre-vote traffic, and
   * except vote requests inside a live leader's lease), a lower term is
   * ignored or answered so the sender can catch up. Then the message is
   * handled by the role's step function. Throws ProposalDroppedError.
   */
  step(m: Message): void {
    if (m.term === 0n) {
      // A local message (or a proposal / read request forwarded to us).
    } else if (m.term > this.term) {
      if (m.type === MessageType.MsgVote || m.type === MessageType.MsgPreVote) {
        const force = m.context.equals(CAMPAIGN_TRANSFER_CTX);
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        if (!force && inLease) {
          // We heard from a leader within the election timeout: the
          // candidate is not needed (and may be partitioned). Do not bump
          // our term or vote (thesis §4.2.3).
          this.logger.info(
            { raftId: hex(this.id) },
            `${hex(this.id)} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}, vote: ${hex(this.vote)}] ignored ${MessageType[m.type]} from ${hex(m.from)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}: lease is not expired (remaining ticks: ${this.electionTimeout - this.electionElapsed})`,
          );
          return;
        }
      }
      if (m.type === MessageType.MsgPreVote) {
        // Never change term because of a pre-vote.
      } else if (m.type === MessageType.MsgPreVoteResp && !m.reject) {
        // A granted pre-vote carries the term we will campaign in; we move to
        // it only once a quorum grants. (A rejection's higher term is real.)
      } else {
        this.logger.info(
          { raftId: hex(this.id) },
          `${hex(this.id)} [term: ${this.term}] received a ${MessageType[m.type]} message with higher term from ${hex(m.from)} [term: ${m.term}]`,
        );
        if (m.type === MessageType.MsgApp || m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgSnap) {
          this.becomeFollower(m.term, m.from);
        } else {
          this.becomeFollower(m.term, NONE);
        }
      }
    } else if (m.term < this.term) {
      if (
        (this.checkQuorum || this.preVote || !this.promotable()) &&
        (m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgApp)
      ) {
        // A stale leader (or one cut off while we moved to a higher term).
        // With CheckQuorum or PreVote our higher term may never reach it
        // through votes, so tell it with a response that carries our term.
        // The same holds when we cannot campaign ourselves (a learner that
        // heard a higher term): without the answer it would never again
        // accept entries.
        this.send(makeMessage({ type: MessageType.MsgAppResp, to: m.from }));
      } else if (m.type === MessageType.MsgPreVote) {
        // Reject so that a pre-candidate with a stale term learns ours
        // instead of waiting forever.
        this.logger.info(
          { raftId: hex(this.id) },
          `${hex(this.id)} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}, vote: ${hex(this.vote)}] rejected ${MessageType[m.type]} from ${hex(m.from)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
        );
        this.send(makeMessage({ type: MessageType.MsgPreVoteResp, to: m.from, term: this.term, reject: true }));
      } else {
        this.logger.info(
          { raftId: hex(this.id) },
          `${hex(this.id)} [term: ${this.term}] ignored a ${MessageType[m.type]} message with lower term from ${hex(m.from)} [term: ${m.term}]`,
        );
      }
      return;
    }

    switch (m.type) {
      case MessageType.MsgHup:
        this.hup(this.preVote ? CampaignType.PreElection : CampaignType.Election);
        break;
      case MessageType.MsgVote:
      case MessageType.MsgPreVote:
        this.#handleVoteRequest(m);
        break;
      default:
        this.#step(this, m);
    }
  }

  #handleVoteRequest(m: Message): void {
    // We can vote if this repeats a vote we cast, or we have not voted and
    // know no leader in this term, or it is a pre-vote for a future term...
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === MessageType.MsgPreVote && m.term > this.term);
    // ...and the candidate's log is at least as up to date as ours (§5.4.1).
    // Learners vote too: a learner may have been promoted without knowing it
    // yet, and its vote may be needed to elect a leader that tells it so.
    if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
      this.logger.info(
        { raftId: hex(this.id) },
        `${hex(this.id)} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}, vote: ${hex(this.vote)}] cast ${MessageType[m.type]} for ${hex(m.from)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
      );
      // Answer with the message's term, not ours: for a pre-vote ours may be
      // older, and the candidate ignores answers from older terms.
      this.send(makeMessage({ type: voteRespMsgType(m.type), to: m.from, term: m.term }));
      if (m.type === MessageType.MsgVote) {
        // Only a real vote is recorded (and persisted through HardState).
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.logger.info(
        { raftId: hex(this.id) },
        `${hex(this.id)} [logterm: ${this.raftLog.lastTerm()}, index: ${this.raftLog.lastIndex()}, vote: ${hex(this.vote)}] rejected ${MessageType[m.type]} from ${hex(m.from)} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
      );
      this.send(makeMessage({ type: voteRespMsgType(m.type), to: m.from, term: this.term, reject: true }));
    }
  }

  /** Handles an append from the leader: accept, or reject with a hint of where our logs may match. */
  handleAppendEntries(m: Message): void {
    if (m.index < this.raftLog.committed) {
      // Everything up to our commit index is already known to match.
      this.send(makeMessage({ type: MessageType.MsgAppResp, to: m.from, index: this.raftLog.committed }));
      return;
    }
    const lastNew = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send(makeMessage({ type: MessageType.MsgAppResp, to: m.from, index: lastNew }));
      return;
    }
    // Mismatch at m.index. Hint the largest (index, term) of ours with a term
    // no greater than m.logTerm: every entry of ours after it belongs to a
    // term the leader does not have there, so the leader can skip them all.
    const last = this.raftLog.lastIndex();
    const hint = this.raftLog.findConflictByTerm(m.index < last ? m.index : last, m.logTerm);
    this.logger.debug(
      { raftId: hex(this.id) },
      `${hex(this.id)} [logterm: ${this.raftLog.term(m.index) ?? 0n}, index: ${m.index}] rejected MsgApp [logterm: ${m.logTerm}, index: ${m.index}] from ${hex(m.from)}`,
    );
    this.send(
      makeMessage({
        type: MessageType.MsgAppResp,
        to: m.from,
        index: m.index,
        reject: true,
        rejectHint: hint.index,
        logTerm: hint.term,
      }),
    );
  }

  handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(m.commit);
    this.send(makeMessage({ type: MessageType.MsgHeartbeatResp, to: m.from, context: m.context }));
  }

  handleSnapshot(m: Message): void {
    const s = m.snapshot;
    const sindex = snapIndex(s);
    const sterm = snapTerm(s);
    if (s !== undefined && this.restore(s)) {
      this.logger.info(
        { raftId: hex(this.id) },
        `${hex(this.id)} [commit: ${this.raftLog.committed}] restored snapshot [index: ${sindex}, term: ${sterm}]`,
      );
      this.send(makeMessage({ type: MessageType.MsgAppResp, to: m.from, index: this.raftLog.lastIndex() }));
    } else {
      this.logger.info(
        { raftId: hex(this.id) },
        `${hex(this.id)} [commit: ${this.raftLog.committed}] ignored snapshot [index: ${sindex}, term: ${sterm}]`,
      );
      this.send(makeMessage({ type: MessageType.MsgAppResp, to: m.from, index: this.raftLog.committed }));
    }
  }

  /**
   * Replaces log and configuration with a snapshot. Returns false when the
   * snapshot is ignored (old, or we already have its last entry, in which
   * case only the commit index moves).
   */
  restore(s: Snapshot): boolean {
    const sindex = snapIndex(s);
    const sterm = snapTerm(s);
    if (sindex <= this.raftLog.committed) return false;
    if (this.state !== StateType.Follower) {
      // Defense in depth: only followers get snapshots. Never expected.
      this.logger.warn({ raftId: hex(this.id) }, `${hex(this.id)} attempted to restore snapshot as leader; should never happen`);
      this.becomeFollower(this.term + 1n, NONE);
      return false;
    }
    // Defense in depth: a snapshot whose configuration does not contain us.
    const cs = snapConfState(s);
    const found = cs.voters.includes(this.id) || cs.learners.includes(this.id) || cs.votersOutgoing.includes(this.id);
    if (!found) {
      this.logger.warn(
        { raftId: hex(this.id) },
        `${hex(this.id)} attempted to restore snapshot but it is not in the ConfState; should never happen`,
      );
      return false;
    }
    if (this.raftLog.matchTerm(sindex, sterm)) {
      // We have the snapshot's last entry: our log already contains the
      // snapshot, so just commit up to it.
      this.logger.info(
        { raftId: hex(this.id) },
        `${hex(this.id)} [commit: ${this.raftLog.committed}, lastindex: ${this.raftLog.lastIndex()}, lastterm: ${this.raftLog.lastTerm()}] fast-forwarded commit to snapshot [index: ${sindex}, term: ${sterm}]`,
      );
      this.raftLog.commitTo(sindex);
      return false;
    }
    this.raftLog.restore(s);
    // Rebuild the configuration from scratch.
    this.trk = new ProgressTracker(this.trk.maxInflight, this.trk.maxInflightBytes);
    const res = restoreConfig(new Changer(this.trk, this.raftLog.lastIndex()), cs);
    assertConfStatesEquivalent(cs, this.switchToConfig(res.config, res.progress));
    this.logger.info(
      { raftId: hex(this.id) },
      `${hex(this.id)} [commit: ${this.raftLog.committed}, lastindex: ${this.raftLog.lastIndex()}, lastterm: ${this.raftLog.lastTerm()}] restored snapshot [index: ${sindex}, term: ${sterm}]`,
    );
    return true;
  }

  /** Whether this node may become leader: a voter, with no snapshot pending. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasPendingSnapshot();
  }

  /** Applies a committed conf change to the tracker; returns the new ConfState. */
  applyConfChange(cc: AnyConfChange): ConfState {
    const v2 = asV2(cc);
    const changer = new Changer(this.trk, this.raftLog.lastIndex());
    let res;
    if (leaveJoint(v2)) {
      res = changer.leaveJoint();
    } else {
      const joint = enterJoint(v2);
      res = joint !== undefined ? changer.enterJoint(joint.autoLeave, v2.changes) : changer.simple(v2.changes);
    }
    return this.switchToConfig(res.config, res.progress);
  }

  /**
   * Installs a configuration and reacts to it: a removed (or demoted) leader
   * optionally steps down; a leader commits what the new quorum allows and
   * starts probing new members.
   */
  switchToConfig(cfg: TrackerConfig, prs: ProgressMap): ConfState {
    this.trk.setConfig(cfg, prs);
    this.logger.info({ raftId: hex(this.id) }, `${hex(this.id)} switched to configuration ${this.trk.config}`);
    const cs = this.trk.confState();
    const pr = this.trk.progress.get(this.id);
    this.isLearner = pr !== undefined && pr.isLearner;
    if ((pr === undefined || this.isLearner) && this.state === StateType.Leader) {
      // Removed or demoted while leading. Without stepping down the node
      // keeps leading a group it is not part of until it is shut down.
      if (this.stepDownOnRemoval) {
        // Membership takes effect when applied, so the others switch only
        // once they learn that the change committed. Tell them now (best
        // effort): otherwise they may keep waiting for our vote.
        this.bcastHeartbeatWithCtx(EMPTY_BYTES);
        this.becomeFollower(this.term, NONE);
      }
      return cs;
    }
    if (this.state !== StateType.Leader || cs.voters.length === 0) return cs;
    if (this.maybeCommit()) {
      // The new quorum commits more: tell everyone.
      this.bcastAppend();
    } else {
      // Probe new members now rather than at the next heartbeat.
      const ids = this.trk.ids();
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (id !== this.id) this.maybeSendAppend(id, false);
      }
    }
    // The transfer target was removed or demoted: stop the transfer.
    if (this.leadTransferee !== NONE && !this.trk.config.voters.ids().has(this.leadTransferee)) {
      this.abortLeaderTransfer();
    }
    return cs;
  }

  loadState(state: HardState): void {
    if (state.commit < this.raftLog.committed || state.commit > this.raftLog.lastIndex()) {
      invariant(
        `${hex(this.id)} state.commit ${state.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`,
      );
    }
    this.raftLog.committed = state.commit;
    this.term = state.term;
    this.vote = state.vote;
  }

  pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.random.intn(this.electionTimeout);
  }

  sendTimeoutNow(to: bigint): void {
    this.send(makeMessage({ type: MessageType.MsgTimeoutNow, to }));
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  /** Whether the commit index is at an entry of our term (needed before serving reads). */
  committedEntryInCurrentTerm(): boolean {
    return this.raftLog.term(this.raftLog.committed) === this.term;
  }

  /**
   * The answer to a read request at `readIndex`: a local ReadState (returns
   * undefined) or a MsgReadIndexResp for the follower that asked.
   */
  responseToReadIndexReq(req: Message, readIndex: bigint): Message | undefined {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index: readIndex, requestCtx: req.entries[0]!.Data });
      return undefined;
    }
    return makeMessage({ type: MessageType.MsgReadIndexResp, to: req.from, index: readIndex, entries: req.entries });
  }

  /**
   * Accounts proposals against the uncommitted-size limit; false (and no
   * change) when they would exceed it. An empty log tail accepts any size, and
   * empty payloads are always accepted (the leader's first entry, leaving a
   * joint config).
   */
  increaseUncommittedSize(ents: readonly Entry[]): boolean {
    const s = payloadsSize(ents);
    if (this.uncommittedSize > 0 && s > 0 && this.uncommittedSize + s > this.maxUncommittedSize) return false;
    this.uncommittedSize += s;
    return true;
  }

  reduceUncommittedSize(s: number): void {
    // The estimate may undercount but never overcounts: saturate at 0.
    this.uncommittedSize = s > this.uncommittedSize ? 0 : this.uncommittedSize - s;
  }
}

function tickElection(r: Raft): void {
  r.electionElapsed++;
  if (r.promotable() && r.pastElectionTimeout()) {
    r.electionElapsed = 0;
    r.step(makeMessage({ type: MessageType.MsgHup, from: r.id }));
  }
}

function tickHeartbeat(r: Raft): void {
  r.heartbeatElapsed++;
  r.electionElapsed++;
  if (r.electionElapsed >= r.electionTimeout) {
    r.electionElapsed = 0;
    if (r.checkQuorum) r.step(makeMessage({ type: MessageType.MsgCheckQuorum, from: r.id }));
    // A transfer that did not finish within an election timeout is abandoned.
    if (r.state === StateType.Leader && r.leadTransferee !== NONE) r.abortLeaderTransfer();
  }
  if (r.state !== StateType.Leader) return;
  if (r.heartbeatElapsed >= r.heartbeatTimeout) {
    r.heartbeatElapsed = 0;
    r.step(makeMessage({ type: MessageType.MsgBeat, from: r.id }));
  }
}

function stepLeader(r: Raft, m: Message): void {
  // Messages that need no progress for the sender.
  switch (m.type) {
    case MessageType.MsgBeat:
      r.bcastHeartbeat();
      return;
    case MessageType.MsgCheckQuorum: {
      // We are always active to ourselves (should we still be a member).
      const self = r.trk.progress.get(r.id);
      if (self !== undefined) self.recentActive = true;
      if (!r.trk.quorumActive()) {
        r.logger.warn({ raftId: hex(r.id) }, `${hex(r.id)} stepped down to follower since quorum is not active`);
        r.becomeFollower(r.term, NONE);
      }
      // Everyone but us must prove itself again before the next check.
      r.trk.visit((id, pr) => {
        if (id !== r.id) pr.recentActive = false;
      });
      return;
    }
    case MessageType.MsgProp:
      leaderPropose(r, m);
      return;
    case MessageType.MsgReadIndex:
      // We are the only voter: the commit index is trivially confirmed. (A
      // leader demoted to learner is not that voter: it must still ask.)
      if (r.trk.isSingleton() && r.trk.config.voters.incoming.has(r.id)) {
        const resp = r.responseToReadIndexReq(m, r.raftLog.committed);
        if (resp !== undefined) r.send(resp);
        return;
      }
      // Until an entry of our term is committed we do not know the true
      // commit index (§6.4): hold the request until then.
      if (!r.committedEntryInCurrentTerm()) {
        r.pendingReadIndexMessages.push(m);
        return;
      }
      sendMsgReadIndexResponse(r, m);
      return;
  }

  // Everything else comes from a member.
  const pr = r.trk.progress.get(m.from);
  if (pr === undefined) {
    r.logger.debug({ raftId: hex(r.id) }, `${hex(r.id)} no progress available for ${hex(m.from)}`);
    return;
  }
  switch (m.type) {
    case MessageType.MsgAppResp:
      leaderHandleAppResp(r, m, pr);
      return;
    case MessageType.MsgHeartbeatResp:
      leaderHandleHeartbeatResp(r, m, pr);
      return;
    case MessageType.MsgSnapStatus:
      if (pr.state !== ProgressState.Snapshot) return;
      if (!m.reject) {
        pr.becomeProbe();
        r.logger.debug({ raftId: hex(r.id) }, `${hex(r.id)} snapshot succeeded, resumed sending replication messages to ${hex(m.from)} [${pr}]`);
      } else {
        // Clear the pending snapshot first, or we would probe from its index.
        pr.pendingSnapshot = 0n;
        pr.becomeProbe();
        r.logger.debug({ raftId: hex(r.id) }, `${hex(r.id)} snapshot failed, resumed sending replication messages to ${hex(m.from)} [${pr}]`);
      }
      // After success wait for the follower's append response; after
      // failure wait for a heartbeat round before trying again.
      pr.msgAppFlowPaused = true;
      return;
    case MessageType.MsgUnreachable:
      // While streaming, an unreachable follower has likely lost appends.
      if (pr.state === ProgressState.Replicate) pr.becomeProbe();
      r.logger.debug({ raftId: hex(r.id) }, `${hex(r.id)} failed to send message to ${hex(m.from)} because it is unreachable [${pr}]`);
      return;
    case MessageType.MsgTransferLeader:
      leaderTransfer(r, m, pr);
      return;
  }
}

function leaderPropose(r: Raft, m: Message): void {
  if (m.entries.length === 0) invariant(`${hex(r.id)} stepped empty MsgProp`);
  if (!r.trk.progress.has(r.id)) {
    // Removed from the configuration while leading.
    throw new ProposalDroppedError("leader is not a member");
  }
  if (r.leadTransferee !== NONE) {
    r.logger.debug(
      { raftId: hex(r.id) },
      `${hex(r.id)} [term ${r.term}] transfer leadership to ${hex(r.leadTransferee)} is in progress; dropping proposal`,
    );
    throw new ProposalDroppedError("leadership transfer in progress");
  }
  let ents = m.entries;
  for (let i = 0; i < ents.length; i++) {
    const e = ents[i]!;
    let cc: AnyConfChange | undefined;
    if (e.Type === EntryType.EntryConfChange) cc = ConfChange.decode(e.Data);
    else if (e.Type === EntryType.EntryConfChangeV2) cc = ConfChangeV2.decode(e.Data);
    if (cc === undefined) continue;
    const alreadyPending = r.pendingConfIndex > r.raftLog.applied;
    const alreadyJoint = r.trk.config.voters.isJoint();
    const wantsLeaveJoint = asV2(cc).changes.length === 0;
    let refused = "";
    if (alreadyPending) {
      refused = `possible unapplied conf change at index ${r.pendingConfIndex} (applied to ${r.raftLog.applied})`;
    } else if (alreadyJoint && !wantsLeaveJoint) {
      refused = "must transition out of joint config first";
    } else if (!alreadyJoint && wantsLeaveJoint) {
      refused = "not in joint state; refusing empty conf change";
    }
    if (refused !== "") {
      // Keep the slot (the proposer waits for this index) but make it a no-op.
      r.logger.info({ raftId: hex(r.id) }, `${hex(r.id)} ignoring conf change at config ${r.trk.config}: ${refused}`);
      if (ents === m.entries) ents = ents.slice();
      ents[i] = makeEntry({ Type: EntryType.EntryNormal });
    } else {
      r.pendingConfIndex = r.raftLog.lastIndex() + BigInt(i) + 1n;
    }
  }
  if (!r.appendEntry(ents)) throw new ProposalDroppedError("uncommitted size limit reached");
  r.bcastAppend();
}

function leaderHandleAppResp(r: Raft, m: Message, pr: Progress): void {
  pr.recentActive = true;
  if (m.reject) {
    // m.rejectHint/m.logTerm: the follower's guess of where our logs match.
    // If the follower is at term T there, none of our entries with a term
    // above T (scanning down from the hint) can match, so skip them all.
    let nextProbeIdx = m.rejectHint;
    if (m.logTerm > 0n) nextProbeIdx = r.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
    if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
      r.logger.debug({ raftId: hex(r.id) }, `${hex(r.id)} decreased progress of ${hex(m.from)} to [${pr}]`);
      if (pr.state === ProgressState.Replicate) pr.becomeProbe();
      r.sendAppend(m.from);
    }
    return;
  }
  // Update on a newer ack, or when an ack of the current match lets a
  // probing follower resume streaming.
  if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === ProgressState.Probe))) return;
  if (pr.state === ProgressState.Probe) {
    pr.becomeReplicate();
  } else if (pr.state === ProgressState.Snapshot && pr.match + 1n >= r.raftLog.firstIndex()) {
    // The follower caught up (by the snapshot or otherwise) to where our log
    // can continue: back to streaming, through probe so next is right.
    r.logger.debug({ raftId: hex(r.id) }, `${hex(r.id)} recovered from needing snapshot, resumed sending replication messages to ${hex(m.from)} [${pr}]`);
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === ProgressState.Replicate) {
    pr.inflights.freeLE(m.index);
  }
  if (r.maybeCommit()) {
    // A commit in our term also releases reads waiting for one.
    releasePendingReadIndexMessages(r);
    r.bcastAppend();
  } else if (pr.canBumpCommit(r.raftLog.committed)) {
    // The follower may not know the latest commit index yet.
    r.sendAppend(m.from);
  }
  // The window may have opened: send what we can (no empty messages).
  while (r.maybeSendAppend(m.from, false)) {
    // keep sending
  }
  // A transfer waits for the target to catch up, then tells it to campaign.
  if (m.from === r.leadTransferee && pr.match === r.raftLog.lastIndex()) {
    r.logger.info({ raftId: hex(r.id) }, `${hex(r.id)} sent MsgTimeoutNow to ${hex(m.from)} after received MsgAppResp`);
    r.sendTimeoutNow(m.from);
  }
}

function leaderHandleHeartbeatResp(r: Raft, m: Message, pr: Progress): void {
  pr.recentActive = true;
  pr.msgAppFlowPaused = false;
  // Any response unblocks a paused follower: send it an append (possibly
  // empty, which also recovers a full window whose appends were all lost).
  if (pr.match < r.raftLog.lastIndex() || pr.state === ProgressState.Probe) r.sendAppend(m.from);
  if (r.readOnly.option !== ReadOnlyOption.Safe || m.context.length === 0) return;
  const acks = r.readOnly.recvAck(m.from, m.context);
  if (acks === undefined || r.trk.config.voters.voteResult(acks) !== VoteResult.VoteWon) return;
  for (const rs of r.readOnly.advance(m)) {
    const resp = r.responseToReadIndexReq(rs.req, rs.index);
    if (resp !== undefined) r.send(resp);
  }
}

function leaderTransfer(r: Raft, m: Message, pr: Progress): void {
  if (pr.isLearner) {
    r.logger.debug({ raftId: hex(r.id) }, `${hex(r.id)} is learner. Ignored transferring leadership`);
    return;
  }
  const transferee = m.from;
  const last = r.leadTransferee;
  if (last !== NONE) {
    if (last === transferee) {
      r.logger.info(
        { raftId: hex(r.id) },
        `${hex(r.id)} [term ${r.term}] transfer leadership to ${hex(transferee)} is in progress, ignores request to same node ${hex(transferee)}`,
      );
      return;
    }
    r.abortLeaderTransfer();
    r.logger.info({ raftId: hex(r.id) }, `${hex(r.id)} [term ${r.term}] abort previous transferring leadership to ${hex(last)}`);
  }
  if (transferee === r.id) {
    r.logger.debug({ raftId: hex(r.id) }, `${hex(r.id)} is already leader. Ignored transferring leadership to self`);
    return;
  }
  r.logger.info({ raftId: hex(r.id) }, `${hex(r.id)} [term ${r.term}] starts to transfer leadership to ${hex(transferee)}`);
  // The transfer must finish within one election timeout.
  r.electionElapsed = 0;
  r.leadTransferee = transferee;
  if (pr.match === r.raftLog.lastIndex()) {
    r.sendTimeoutNow(transferee);
    r.logger.info(
      { raftId: hex(r.id) },
      `${hex(r.id)} sends MsgTimeoutNow to ${hex(transferee)} immediately as ${hex(transferee)} already has up-to-date log`,
    );
  } else {
    r.sendAppend(transferee);
  }
}

/** Shared by Candidate and PreCandidate, which differ in the vote response they count. */
function stepCandidate(r: Raft, m: Message): void {
  // A candidate may still receive pre-vote answers from its pre-candidacy:
  // count only the answers to the current kind of request.
  const myVoteRespType = r.state === StateType.PreCandidate ? MessageType.MsgPreVoteResp : MessageType.MsgVoteResp;
  switch (m.type) {
    case MessageType.MsgProp:
      r.logger.info({ raftId: hex(r.id) }, `${hex(r.id)} no leader at term ${r.term}; dropping proposal`);
      throw new ProposalDroppedError("no leader");
    case MessageType.MsgApp:
      // A leader of our term exists (m.term === r.term here).
      r.becomeFollower(m.term, m.from);
      r.handleAppendEntries(m);
      return;
    case MessageType.MsgHeartbeat:
      r.becomeFollower(m.term, m.from);
      r.handleHeartbeat(m);
      return;
    case MessageType.MsgSnap:
      r.becomeFollower(m.term, m.from);
      r.handleSnapshot(m);
      return;
    case myVoteRespType: {
      const { granted, rejected, result } = r.poll(m.from, m.type, !m.reject);
      r.logger.info(
        { raftId: hex(r.id) },
        `${hex(r.id)} has received ${granted} ${MessageType[m.type]} votes and ${rejected} vote rejections`,
      );
      if (result === VoteResult.VoteWon) {
        if (r.state === StateType.PreCandidate) {
          r.campaign(CampaignType.Election);
        } else {
          r.becomeLeader();
          r.bcastAppend();
        }
      } else if (result === VoteResult.VoteLost) {
        // A pre-vote answer carries a future term: stay at ours.
        r.becomeFollower(r.term, NONE);
      }
      return;
    }
    case MessageType.MsgTimeoutNow:
      r.logger.debug(
        { raftId: hex(r.id) },
        `${hex(r.id)} [term ${r.term} state ${stateTypeString(r.state)}] ignored MsgTimeoutNow from ${hex(m.from)}`,
      );
      return;
  }
}

function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.MsgProp:
      if (r.lead === NONE) {
        r.logger.info({ raftId: hex(r.id) }, `${hex(r.id)} no leader at term ${r.term}; dropping proposal`);
        throw new ProposalDroppedError("no leader");
      }
      if (r.disableProposalForwarding) {
        r.logger.info(
          { raftId: hex(r.id) },
          `${hex(r.id)} not forwarding to leader ${hex(r.lead)} at term ${r.term}; dropping proposal`,
        );
        throw new ProposalDroppedError("proposal forwarding is disabled");
      }
      r.send(forwardTo(m, r.lead));
      return;
    case MessageType.MsgApp:
      r.electionElapsed = 0;
      r.lead = m.from;
      r.handleAppendEntries(m);
      return;
    case MessageType.MsgHeartbeat:
      r.electionElapsed = 0;
      r.lead = m.from;
      r.handleHeartbeat(m);
      return;
    case MessageType.MsgSnap:
      r.electionElapsed = 0;
      r.lead = m.from;
      r.handleSnapshot(m);
      return;
    case MessageType.MsgTransferLeader:
      if (r.lead === NONE) {
        r.logger.info({ raftId: hex(r.id) }, `${hex(r.id)} no leader at term ${r.term}; dropping leader transfer msg`);
        return;
      }
      r.send(forwardTo(m, r.lead));
      return;
    case MessageType.MsgTimeoutNow:
      // A transfer never needs pre-vote: we know the cluster is reachable.
      r.logger.info(
        { raftId: hex(r.id) },
        `${hex(r.id)} [term ${r.term}] received MsgTimeoutNow from ${hex(m.from)} and starts an election to get leadership.`,
      );
      r.hup(CampaignType.Transfer);
      return;
    case MessageType.MsgReadIndex:
      if (r.lead === NONE) {
        r.logger.info({ raftId: hex(r.id) }, `${hex(r.id)} no leader at term ${r.term}; dropping index reading msg`);
        return;
      }
      r.send(forwardTo(m, r.lead));
      return;
    case MessageType.MsgReadIndexResp:
      if (m.entries.length !== 1) {
        r.logger.error(
          { raftId: hex(r.id) },
          `${hex(r.id)} invalid format of MsgReadIndexResp from ${hex(m.from)}, entries count: ${m.entries.length}`,
        );
        return;
      }
      r.readStates.push({ index: m.index, requestCtx: m.entries[0]!.Data });
      return;
  }
}

/**
 * A copy of `m` addressed to the leader, with the term cleared: a message
 * that was already forwarded once (and so stamped with a term) may need
 * forwarding again when leadership moved meanwhile.
 */
function forwardTo(m: Message, lead: bigint): Message {
  const fwd = makeMessage(m);
  fwd.to = lead;
  if (m.type !== MessageType.MsgProp && m.type !== MessageType.MsgReadIndex) fwd.term = 0n;
  return fwd;
}

function releasePendingReadIndexMessages(r: Raft): void {
  if (r.pendingReadIndexMessages.length === 0) return;
  if (!r.committedEntryInCurrentTerm()) {
    r.logger.error({ raftId: hex(r.id) }, "pending MsgReadIndex should be released only after first commit in current term");
    return;
  }
  const msgs = r.pendingReadIndexMessages;
  r.pendingReadIndexMessages = [];
  for (const m of msgs) sendMsgReadIndexResponse(r, m);
}

function sendMsgReadIndexResponse(r: Raft, m: Message): void {
  if (r.readOnly.option === ReadOnlyOption.Safe) {
    // Confirm leadership with a heartbeat round carrying the request's context.
    const ctx = m.entries[0]!.Data;
    r.readOnly.addRequest(r.raftLog.committed, m);
    r.readOnly.recvAck(r.id, ctx);
    r.bcastHeartbeatWithCtx(ctx);
  } else {
    const resp = r.responseToReadIndexReq(m, r.raftLog.committed);
    if (resp !== undefined) r.send(resp);
  }
}

/** Throws when restoring `cs` did not yield an equivalent configuration. */
function assertConfStatesEquivalent(want: ConfState, got: ConfState): void {
  const norm = (ids: readonly bigint[]): string => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(",");
  const same =
    norm(want.voters) === norm(got.voters) &&
    norm(want.learners) === norm(got.learners) &&
    norm(want.votersOutgoing) === norm(got.votersOutgoing) &&
    norm(want.learnersNext) === norm(got.learnersNext) &&
    want.autoLeave === got.autoLeave;
  if (!same) invariant(`ConfStates not equivalent after sorting: want ${JSON.stringify(want, bigintJson)}, got ${JSON.stringify(got, bigintJson)}`);
}

function bigintJson(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}
