/**
 * Randomized runs (layer 4). One seed fully determines a run: the cluster
 * shape and options, and a sequence of events drawn from a weighted menu —
 * deliver a message (oldest first mostly, so reordering and delay happen;
 * some are lost or duplicated), process a node's Ready, tick, propose, read,
 * partition or heal, crash (sometimes between persisting and sending) and
 * restart, change membership (v1 and joint v2), transfer leadership, compact.
 *
 * After every event the safety invariants are checked:
 * - election safety: at most one leader per term;
 * - log matching: an (index, term) always holds the same entry after the
 *   same predecessor term (checked on every append, so identical prefixes
 *   follow by induction);
 * - committed entries never change, and commit indexes never go back;
 * - leader completeness: a leader of a term above the one in which an entry
 *   was committed holds that entry;
 * - state machine safety: no two nodes apply different entries (or reach a
 *   different state) at one index, applied indexes are contiguous, and
 *   installed snapshots match the state other nodes reached at that index;
 * - ReadIndex: every answer is at least the highest commit index any node
 *   had when the request was made.
 * At the end the network heals and every node restarts: a leader must emerge
 * and commit a new entry on every member (liveness), and serve a read.
 *
 * Like etcd's server, a member that applies its own removal shuts down, and
 * messages from removed members are refused.
 */
import { ConfChangeTransition, ConfChangeType, MessageType } from "../../../src/gen/raftpb/raft.js";
import type { ConfChangeSingle, ConfState, Entry, Message, Snapshot } from "../../../src/gen/raftpb/raft.js";
import { SeededRandom } from "../../../src/pkg/random.js";
import { Changer } from "../../../src/raft/confchange/changer.js";
import { confChangeV2 } from "../../../src/raft/confchange/conf-change.js";
import { describeMessage } from "../../../src/raft/describe.js";
import { InvalidConfChangeError, ProposalDroppedError, StepPeerNotFoundError } from "../../../src/raft/errors.js";
import type { ReadState } from "../../../src/raft/read-only.js";
import { MemoryStorage } from "../../../src/raft/storage.js";
import { ProgressState } from "../../../src/raft/tracker/progress.js";
import { SnapshotStatus, StateType } from "../../../src/raft/types.js";
import { emptyConfState, snapIndex, snapTerm } from "../../../src/raft/util.js";
import { decodeAppState, entryKey, SimNode } from "../helpers/sim-node.js";
import type { NodeOptions, ReadyHooks } from "../helpers/sim-node.js";

export class InvariantViolation extends Error {
  override readonly name = "InvariantViolation";
}

export interface RunOptions {
  /** Random events before the heal phase. */
  events?: number;
  /** Receives a line per event (for replaying a failing seed). */
  trace?: (line: string) => void;
}

export interface SeedStats {
  seed: number;
  events: number;
  elections: number;
  maxTerm: bigint;
  committed: bigint;
  reads: number;
  snapshots: number;
  confChanges: number;
  crashes: number;
  transfers: number;
  messages: number;
  dropped: number;
  healRounds: number;
}

const MAX_NODES = 7;

interface CommitRecord {
  term: bigint;
  key: string;
  /** An upper bound of the term in which the entry was committed. */
  commitTerm: bigint;
}

function members(cs: ConfState): Set<bigint> {
  return new Set([...cs.voters, ...cs.learners, ...cs.votersOutgoing, ...cs.learnersNext]);
}

export function runSeed(seed: number, opts: RunOptions = {}): SeedStats {
  return new Harness(seed, opts).run();
}

class Harness {
  readonly seed: number;
  readonly rand: SeededRandom;
  readonly trace: ((line: string) => void) | undefined;
  readonly events: number;
  readonly nodeOptions: NodeOptions;
  readonly nodes = new Map<bigint, SimNode>();
  /** Crashed, will restart. */
  readonly down = new Set<bigint>();
  /** Shut down for good after applying their own removal. */
  readonly stopped = new Set<bigint>();
  /** Removed members shutting down: ticks left (etcd waits ~10 heartbeats). */
  readonly stopping = new Map<bigint, number>();
  /**
   * Per node: members it has seen removed (etcd keeps these in its applied
   * membership, so they survive a restart). Their messages are refused.
   */
  readonly removedSeen = new Map<bigint, Set<bigint>>();
  queue: Message[] = [];
  group = new Map<bigint, number>();
  loss: number;
  dup: number;
  nextId: bigint;
  step = 0;
  proposals = 0;
  readSeq = 0;

  // Invariant state.
  readonly leaderOfTerm = new Map<bigint, bigint>();
  readonly entryAt = new Map<string, { prevTerm: bigint | undefined; key: string }>();
  readonly appliedAt = new Map<bigint, { key: string; hash: number }>();
  readonly commitAt = new Map<bigint, CommitRecord>();
  readonly lastCommit = new Map<bigint, bigint>();
  readonly lastApplied = new Map<bigint, bigint>();
  readonly readFloor = new Map<string, bigint>();
  readonly hooks: ReadyHooks;
  readonly stats: SeedStats;

  constructor(seed: number, opts: RunOptions) {
    this.seed = seed;
    this.rand = new SeededRandom(seed);
    this.trace = opts.trace;
    this.events = opts.events ?? 500;
    const r = this.rand;
    this.churn = r.intn(2) === 0;
    const voters = r.intn(this.churn ? 2 : 4) === 0 ? 5 : 3;
    const learners = r.intn(3) === 0 ? 1 : 0;
    this.nodeOptions = {
      electionTick: 10,
      heartbeatTick: 1 + r.intn(3),
      preVote: r.intn(2) === 0,
      checkQuorum: r.intn(2) === 0,
      maxInflightMsgs: [1, 4, 64][r.intn(3)]!,
      maxSizePerMsg: this.churn ? [0, 0, 64][r.intn(3)]! : [0, 64, 1 << 20][r.intn(3)]!,
      maxCommittedSizePerReady: [0, 1 << 20][r.intn(2)]!,
      // As etcd's server: a removed leader keeps leading until it shuts
      // down (below), so the others learn that its removal committed.
      stepDownOnRemoval: false,
    };
    this.loss = [0, 0.02, 0.1][r.intn(3)]!;
    this.dup = [0, 0.02, 0.1][r.intn(3)]!;
    this.stats = {
      seed,
      events: 0,
      elections: 0,
      maxTerm: 0n,
      committed: 0n,
      reads: 0,
      snapshots: 0,
      confChanges: 0,
      crashes: 0,
      transfers: 0,
      messages: 0,
      dropped: 0,
      healRounds: 0,
    };
    this.hooks = {
      onAppend: (n, ents) => this.#checkAppend(n, ents),
      onApply: (n, e, hash) => this.#checkApply(n, e, hash),
      onSnapshot: (n, s) => this.#checkSnapshot(n, s),
      onConfChange: (n, before, after) => this.#onConfChange(n, before, after),
      onReadStates: (n, rss) => this.#checkReads(n, rss),
    };
    // A new cluster: every member bootstraps the same initial membership.
    const ids = Array.from({ length: voters + learners }, (_, i) => BigInt(i + 1));
    this.nextId = BigInt(ids.length + 1);
    const voterIds = ids.slice(0, voters);
    for (const id of ids) {
      const n = new SimNode(id, new MemoryStorage(), this.nodeOptions, seed);
      n.freshSnapshots = true;
      n.bootstrap(voterIds);
      this.nodes.set(id, n);
      this.group.set(id, 0);
    }
    // The learner joins through a conf change, as in a real cluster.
    this.pendingLearners = ids.slice(voters);
    this.log(`seed ${seed} (${this.churn ? "churn" : "steady"}): voters=${voterIds.join(",")} learners=${this.pendingLearners.join(",")} options=${JSON.stringify(this.nodeOptions)} loss=${this.loss} dup=${this.dup}`);
  }

  pendingLearners: bigint[];
  churn: boolean;

  log(line: string): void {
    this.trace?.(`[${this.step}] ${line}`);
  }

  fail(msg: string): never {
    throw new InvariantViolation(`seed ${this.seed}, event ${this.step}: ${msg}`);
  }

  live(): SimNode[] {
    const out: SimNode[] = [];
    for (const [id, n] of this.nodes) if (!this.down.has(id) && !this.stopped.has(id)) out.push(n);
    return out;
  }

  pick<T>(xs: readonly T[]): T | undefined {
    return xs.length === 0 ? undefined : xs[this.rand.intn(xs.length)];
  }

  /** The live leader with the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.live()) {
      const r = n.node.raft;
      if (r.state === StateType.Leader && (best === undefined || r.term > best.node.raft.term)) best = n;
    }
    return best;
  }

  run(): SeedStats {
    // Two profiles: "steady" (mostly traffic) and "churn" (frequent
    // partitions, crashes and restarts: many short-lived leaders, which is
    // where commit-rule bugs like Figure 8 of the paper show up).
    const churn = this.churn;
    const weights: Array<[number, () => void]> = [
      // Fine-grained steps create interleavings; bursts (a whole network
      // round) keep protocol rounds short compared to how long a fault lasts.
      [20, () => this.deliverOne()],
      [8, () => this.deliverBurst()],
      [10, () => this.processOne()],
      [6, () => this.processAll()],
      [churn ? 10 : 8, () => this.tickAll()],
      [2, () => this.tickOne()],
      [8, () => this.propose()],
      [3, () => this.readIndex()],
      [3, () => this.readAtLeader()],
      [churn ? 1.5 : 0.7, () => this.partition()],
      [churn ? 1 : 0.3, () => this.strandLeader()],
      [churn ? 1.5 : 0.7, () => this.crash()],
      [churn ? 1 : 0.3, () => this.disruptLeader()],
      [churn ? 2.5 : 1, () => this.restart()],
      [churn ? 0.5 : 1, () => this.confChange()],
      [0.7, () => this.transfer()],
      [0.7, () => this.compact()],
    ];
    const total = weights.reduce((s, [w]) => s + w, 0);
    for (this.step = 1; this.step <= this.events; this.step++) {
      let x = (this.rand.intn(1_000_000) / 1_000_000) * total;
      for (const [w, f] of weights) {
        x -= w;
        if (x < 0) {
          f();
          break;
        }
      }
      this.checkAfterEvent();
    }
    this.stats.events = this.events;
    this.heal();
    return this.stats;
  }

  // ---- events ----

  deliverOne(): void {
    if (this.queue.length === 0) return;
    // Mostly the oldest message; sometimes any: delays and reordering.
    const idx = this.rand.intn(4) === 0 ? this.rand.intn(this.queue.length) : 0;
    const m = this.queue[idx]!;
    this.queue.splice(idx, 1);
    this.deliver(m, true);
  }

  /** Delivers everything in flight (mostly in order, with faults). */
  deliverBurst(): void {
    const n = this.queue.length;
    for (let i = 0; i < n && this.queue.length > 0; i++) this.deliverOne();
  }

  deliver(m: Message, faults: boolean): void {
    this.stats.messages++;
    const to = this.nodes.get(m.to);
    const lost =
      to === undefined ||
      this.down.has(m.to) ||
      this.stopped.has(m.to) ||
      this.removedSeen.get(m.to)?.has(m.from) === true ||
      (faults && (this.group.get(m.from) !== this.group.get(m.to) || this.chance(this.loss)));
    if (lost) {
      this.stats.dropped++;
      this.reportLoss(m);
      // etcd answers a removed member with "410 Gone" and it shuts down.
      if (this.removedSeen.get(m.to)?.has(m.from) === true && !this.stopping.has(m.from) && !this.stopped.has(m.from)) {
        this.stopping.set(m.from, 1);
        this.log(`${m.from} told it was removed: stopping`);
      }
      return;
    }
    if (faults && this.chance(this.dup)) this.queue.push(m);
    this.log(`deliver ${describeMessage(m)}`);
    try {
      to.node.step(m);
    } catch (err) {
      if (!(err instanceof ProposalDroppedError) && !(err instanceof StepPeerNotFoundError)) throw err;
    }
    if (m.type === MessageType.MsgSnap) this.sender(m)?.node.reportSnapshot(m.to, SnapshotStatus.Finish);
  }

  /** What a transport tells the sender when a message is lost. */
  reportLoss(m: Message): void {
    const from = this.sender(m);
    if (from === undefined) return;
    if (m.type === MessageType.MsgSnap) from.node.reportSnapshot(m.to, SnapshotStatus.Failure);
    else if (m.type === MessageType.MsgApp && this.rand.intn(2) === 0) from.node.reportUnreachable(m.to);
  }

  sender(m: Message): SimNode | undefined {
    if (this.down.has(m.from) || this.stopped.has(m.from)) return undefined;
    return this.nodes.get(m.from);
  }

  chance(p: number): boolean {
    return p > 0 && this.rand.intn(1_000_000) < p * 1_000_000;
  }

  processOne(): void {
    const ready = this.live().filter((n) => n.node.hasReady());
    const n = this.pick(ready);
    if (n !== undefined) this.process(n);
  }

  processAll(): void {
    const nodes = this.live();
    // A random order: who writes first differs from run to run.
    for (let i = nodes.length - 1; i > 0; i--) {
      const j = this.rand.intn(i + 1);
      [nodes[i], nodes[j]] = [nodes[j]!, nodes[i]!];
    }
    for (const n of nodes) this.process(n);
  }

  process(n: SimNode, crashAfterPersist = false): void {
    const msgs = n.processReady(this.hooks, crashAfterPersist);
    if (msgs === undefined) return;
    for (const m of msgs) this.queue.push(m);
  }

  tickAll(): void {
    for (const n of this.live()) n.node.tick();
    for (const [id, left] of this.stopping) {
      if (left > 1) {
        this.stopping.set(id, left - 1);
      } else {
        this.stopping.delete(id);
        this.stopped.add(id);
        this.log(`${id} stopped`);
      }
    }
  }

  tickOne(): void {
    this.pick(this.live())?.node.tick();
  }

  propose(): void {
    const n = this.pick(this.live());
    if (n === undefined) return;
    const data = `p${this.seed}.${++this.proposals}`;
    try {
      if (this.rand.intn(4) === 0) n.node.proposeBatch([Buffer.from(data), Buffer.from(`${data}b`)]);
      else n.node.propose(Buffer.from(data));
      this.log(`propose ${data} at ${n.id}`);
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
    }
  }

  readIndex(node?: SimNode): void {
    const n = node ?? this.pick(this.live());
    if (n === undefined) return;
    const ctx = `r${++this.readSeq}`;
    this.readFloor.set(ctx, this.maxCommitNow());
    this.log(`readIndex ${ctx} at ${n.id} (floor ${this.readFloor.get(ctx)})`);
    n.node.readIndex(Buffer.from(ctx));
  }

  /** A read at a node that believes it leads (possibly a deposed leader). */
  readAtLeader(): void {
    const leaders = this.live().filter((n) => n.node.raft.state === StateType.Leader);
    const n = this.pick(leaders);
    if (n !== undefined) this.readIndex(n);
  }

  /**
   * Cuts the leader off with one follower: the majority side elects a new
   * leader while the old one may still get answers from its companion.
   */
  strandLeader(): void {
    const l = this.leader();
    if (l === undefined) return;
    const companion = this.pick([...this.nodes.keys()].filter((id) => id !== l.id));
    for (const id of this.nodes.keys()) this.group.set(id, 0);
    this.group.set(l.id, 1);
    if (companion !== undefined) this.group.set(companion, 1);
    this.log(`strand leader ${l.id} with ${companion}`);
  }

  partition(): void {
    const ids = [...this.nodes.keys()];
    const k = this.rand.intn(3);
    if (k === 0) {
      for (const id of ids) this.group.set(id, 0);
      this.log("heal partition");
    } else if (k === 1) {
      const id = this.pick(ids)!;
      for (const other of ids) this.group.set(other, 0);
      this.group.set(id, 1);
      this.log(`isolate ${id}`);
    } else {
      for (const id of ids) this.group.set(id, this.rand.intn(2));
      this.log(`split ${ids.map((id) => `${id}:${this.group.get(id)}`).join(" ")}`);
    }
  }

  crash(): void {
    const live = this.live();
    // Keep at least one node up so events keep happening.
    if (live.length <= 1) return;
    const n = this.pick(live)!;
    if (n.node.hasReady() && this.rand.intn(2) === 0) {
      this.log(`crash ${n.id} after persisting a Ready`);
      this.process(n, true);
    } else {
      this.log(`crash ${n.id}`);
    }
    this.down.add(n.id);
    this.stats.crashes++;
  }

  /** Crashes or isolates the current leader (short-lived leaders). */
  disruptLeader(): void {
    const l = this.leader();
    if (l === undefined || this.live().length <= 1) return;
    if (this.rand.intn(2) === 0) {
      for (const id of this.nodes.keys()) this.group.set(id, 0);
      this.group.set(l.id, 1);
      this.log(`isolate leader ${l.id}`);
    } else {
      this.log(`crash leader ${l.id}`);
      this.down.add(l.id);
      this.stats.crashes++;
    }
  }

  restart(): void {
    const id = this.pick([...this.down]);
    if (id === undefined) return;
    this.restartNode(id);
  }

  restartNode(id: bigint): void {
    const n = this.nodes.get(id)!;
    n.restart();
    this.down.delete(id);
    this.lastCommit.set(id, n.node.raft.raftLog.committed);
    this.lastApplied.set(id, n.state.applied);
    this.log(`restart ${id} (term ${n.node.raft.term}, commit ${n.node.raft.raftLog.committed}, applied ${n.state.applied})`);
  }

  transfer(): void {
    const n = this.pick(this.live());
    if (n === undefined) return;
    const target = this.pick(n.node.raft.trk.voterNodes());
    if (target === undefined) return;
    this.log(`transferLeader to ${target} via ${n.id}`);
    this.stats.transfers++;
    n.node.transferLeader(target);
  }

  compact(): void {
    const n = this.pick(this.live());
    if (n === undefined) return;
    const snap = n.snapshotAndCompact(BigInt(this.rand.intn(4)));
    if (snap !== undefined) this.log(`compact ${n.id} at ${snapIndex(snap)}`);
  }

  newNode(): bigint {
    const id = this.nextId++;
    const n = new SimNode(id, new MemoryStorage(), this.nodeOptions, this.seed);
    n.freshSnapshots = true;
    this.nodes.set(id, n);
    this.group.set(id, this.group.get(this.leader()?.id ?? 1n) ?? 0);
    return id;
  }

  confChange(): void {
    const l = this.leader();
    if (l === undefined) return;
    const r = l.node.raft;
    const cfg = r.trk.config;
    let proposal: Parameters<typeof l.node.proposeConfChange>[0] | undefined;
    if (this.pendingLearners.length > 0) {
      const id = this.pendingLearners.shift()!;
      proposal = { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: id, context: Buffer.alloc(0), id: 0n };
    } else if (cfg.voters.isJoint()) {
      if (cfg.autoLeave) return;
      proposal = confChangeV2([]);
    } else {
      const changes = this.randomChanges(l);
      if (changes === undefined) return;
      if (changes.length === 1 && this.rand.intn(2) === 0) {
        proposal = { type: changes[0]!.type, nodeId: changes[0]!.nodeId, context: Buffer.alloc(0), id: 0n };
      } else {
        const transitions = [
          ConfChangeTransition.ConfChangeTransitionAuto,
          ConfChangeTransition.ConfChangeTransitionJointImplicit,
          ConfChangeTransition.ConfChangeTransitionJointExplicit,
        ];
        proposal = confChangeV2(changes, transitions[this.rand.intn(3)]!);
      }
    }
    try {
      l.node.proposeConfChange(proposal);
      this.log(`propose conf change at ${l.id}: ${JSON.stringify(proposal, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`);
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
    }
  }

  /** One or two changes that are valid for the leader's configuration. */
  randomChanges(l: SimNode): ConfChangeSingle[] | undefined {
    const r = l.node.raft;
    const voters = r.trk.config.voters.incoming.slice();
    const learners = [...r.trk.config.learners];
    // Operators move leadership away before removing or demoting the
    // leader: a leader that removes itself may stop before the others learn
    // that the change committed, and they would wait for its vote forever.
    const others = voters.filter((id) => id !== l.id);
    const n = this.rand.intn(3) === 0 ? 2 : 1;
    const out: ConfChangeSingle[] = [];
    const used = new Set<bigint>();
    for (let i = 0; i < n; i++) {
      const k = this.rand.intn(6);
      let cc: ConfChangeSingle | undefined;
      if (k === 0 && this.nodes.size < MAX_NODES && voters.length < 5) {
        cc = { type: ConfChangeType.ConfChangeAddNode, nodeId: this.newNode() };
      } else if (k === 1 && this.nodes.size < MAX_NODES) {
        cc = { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: this.newNode() };
      } else if (k === 2 && learners.length > 0) {
        cc = { type: ConfChangeType.ConfChangeAddNode, nodeId: this.pick(learners)! };
      } else if (k === 3 && others.length > 0) {
        cc = { type: ConfChangeType.ConfChangeAddLearnerNode, nodeId: this.pick(others)! };
      } else if (k === 4 && others.length > 1) {
        cc = { type: ConfChangeType.ConfChangeRemoveNode, nodeId: this.pick(others)! };
      } else if (k === 5 && learners.length > 0) {
        cc = { type: ConfChangeType.ConfChangeRemoveNode, nodeId: this.pick(learners)! };
      }
      if (cc !== undefined && !used.has(cc.nodeId)) {
        used.add(cc.nodeId);
        out.push(cc);
      }
    }
    if (out.length === 0) return undefined;
    // Like an operator (or etcd's strict reconfiguration check): the voters
    // that stay must still be a quorum of the current voters. Membership
    // takes effect when applied, so members that have not yet learned that
    // the change committed still count votes in the old configuration; if
    // that needed a departed member, they could wait for it forever.
    const leaving = out.filter(
      (cc) =>
        voters.includes(cc.nodeId) &&
        (cc.type === ConfChangeType.ConfChangeRemoveNode || cc.type === ConfChangeType.ConfChangeAddLearnerNode),
    ).length;
    if (voters.length - leaving < Math.floor(voters.length / 2) + 1) return undefined;
    // Only propose what the changer accepts on the leader's configuration.
    try {
      const chg = new Changer(r.trk, r.raftLog.lastIndex());
      if (out.length === 1) chg.simple(out);
      else chg.enterJoint(false, out);
    } catch (err) {
      if (err instanceof InvalidConfChangeError) return undefined;
      throw err;
    }
    return out;
  }

  // ---- invariants ----

  maxCommitNow(): bigint {
    let max = 0n;
    for (const [id, n] of this.nodes) {
      const c = this.down.has(id) || this.stopped.has(id) ? n.storage.hardState().commit : n.node.raft.raftLog.committed;
      if (c > max) max = c;
    }
    return max;
  }

  checkAfterEvent(): void {
    for (const n of this.live()) {
      const r = n.node.raft;
      if (r.term > this.stats.maxTerm) this.stats.maxTerm = r.term;
      // Election safety.
      if (r.state === StateType.Leader) {
        const prev = this.leaderOfTerm.get(r.term);
        if (prev === undefined) {
          this.leaderOfTerm.set(r.term, n.id);
          this.stats.elections++;
          this.log(`${n.id} is leader of term ${r.term}`);
          this.#checkLeaderCompleteness(n);
        } else if (prev !== n.id) {
          this.fail(`two leaders in term ${r.term}: ${prev} and ${n.id}`);
        }
      }
      // Commit indexes only move forward, and committed entries never change.
      const c = r.raftLog.committed;
      const prev = this.lastCommit.get(n.id) ?? 0n;
      if (c < prev) this.fail(`node ${n.id} commit went back from ${prev} to ${c}`);
      if (c > prev) {
        this.#recordCommits(n, prev, c);
        this.lastCommit.set(n.id, c);
      }
    }
  }

  #recordCommits(n: SimNode, from: bigint, to: bigint): void {
    const log = n.node.raft.raftLog;
    const first = log.firstIndex();
    const lo = from + 1n > first ? from + 1n : first;
    if (lo > to) return;
    const ents = log.slice(lo, to + 1n);
    const observerTerm = n.node.raft.term;
    for (const e of ents) {
      const key = entryKey(e);
      const rec = this.commitAt.get(e.Index);
      if (rec === undefined) {
        this.commitAt.set(e.Index, { term: e.Term, key, commitTerm: observerTerm });
        if (e.Index > this.stats.committed) this.stats.committed = e.Index;
        // Every leader of a later term must already hold it.
        for (const l of this.live()) {
          const lr = l.node.raft;
          if (lr.state === StateType.Leader && lr.term > observerTerm) this.#mustHold(l, e.Index, e.Term, "new commit");
        }
      } else {
        if (rec.term !== e.Term || rec.key !== key) {
          this.fail(`committed entry ${e.Index} differs: ${rec.term}/${rec.key} vs ${e.Term}/${key} on node ${n.id}`);
        }
        if (observerTerm < rec.commitTerm) rec.commitTerm = observerTerm;
      }
    }
  }

  #checkLeaderCompleteness(l: SimNode): void {
    const t = l.node.raft.term;
    for (const [i, rec] of this.commitAt) if (rec.commitTerm < t) this.#mustHold(l, i, rec.term, "leader completeness");
  }

  #mustHold(l: SimNode, index: bigint, term: bigint, what: string): void {
    const log = l.node.raft.raftLog;
    if (index < log.firstIndex()) return; // inside its snapshot
    const t = log.term(index);
    if (t !== term) this.fail(`${what}: leader ${l.id} (term ${l.node.raft.term}) lacks committed entry ${index} (term ${term}), has term ${t}`);
  }

  #checkAppend(n: SimNode, ents: readonly Entry[]): void {
    let prevTerm = n.node.raft.raftLog.term(ents[0]!.Index - 1n);
    for (const e of ents) {
      const k = `${e.Index}/${e.Term}`;
      const key = entryKey(e);
      const rec = this.entryAt.get(k);
      if (rec === undefined) {
        this.entryAt.set(k, { prevTerm, key });
      } else {
        if (rec.key !== key) this.fail(`log matching: entry ${k} holds different data on node ${n.id}`);
        if (rec.prevTerm !== undefined && prevTerm !== undefined && rec.prevTerm !== prevTerm) {
          this.fail(`log matching: entry ${k} follows term ${prevTerm} on node ${n.id}, term ${rec.prevTerm} elsewhere`);
        }
        if (rec.prevTerm === undefined) rec.prevTerm = prevTerm;
      }
      prevTerm = e.Term;
    }
  }

  #checkApply(n: SimNode, e: Entry, hash: number): void {
    const last = this.lastApplied.get(n.id) ?? 0n;
    if (e.Index !== last + 1n) this.fail(`node ${n.id} applied ${e.Index} after ${last}`);
    this.lastApplied.set(n.id, e.Index);
    const key = `${e.Term}/${entryKey(e)}`;
    const rec = this.appliedAt.get(e.Index);
    if (rec === undefined) this.appliedAt.set(e.Index, { key, hash });
    else if (rec.key !== key || rec.hash !== hash) this.fail(`node ${n.id} applied a different entry or state at ${e.Index}`);
  }

  #checkSnapshot(n: SimNode, s: Snapshot): void {
    const i = snapIndex(s);
    const rec = this.appliedAt.get(i);
    const st = decodeAppState(s.data, emptyConfState());
    if (rec === undefined) this.fail(`node ${n.id} installed a snapshot at ${i} that nobody applied`);
    if (rec.hash !== st.hash) this.fail(`node ${n.id} installed a snapshot at ${i} with a different state`);
    const c = this.commitAt.get(i);
    if (c !== undefined && c.term !== snapTerm(s)) this.fail(`snapshot at ${i} has term ${snapTerm(s)}, committed entry has ${c.term}`);
    this.lastApplied.set(n.id, i);
    this.stats.snapshots++;
    this.log(`${n.id} installs snapshot at ${i}`);
  }

  #onConfChange(n: SimNode, before: ConfState, after: ConfState): void {
    const was = members(before);
    const now = members(after);
    let seen = this.removedSeen.get(n.id);
    if (seen === undefined) this.removedSeen.set(n.id, (seen = new Set()));
    for (const id of was) if (!now.has(id)) seen.add(id);
    this.stats.confChanges++;
    this.log(`${n.id} applied conf change: voters=${after.voters} outgoing=${after.votersOutgoing} learners=${after.learners} next=${after.learnersNext}`);
    // Like etcd: a member that applies its own removal shuts down shortly
    // after (a leader meanwhile tells the others the removal committed).
    if (was.has(n.id) && !now.has(n.id) && !this.stopping.has(n.id)) {
      this.stopping.set(n.id, 10);
      this.log(`${n.id} removed itself: stopping in 10 ticks`);
    }
  }

  #checkReads(n: SimNode, rss: readonly ReadState[]): void {
    for (const rs of rss) {
      const ctx = rs.requestCtx.toString();
      const floor = this.readFloor.get(ctx);
      if (floor === undefined) this.fail(`node ${n.id} got an answer to an unknown read ${ctx}`);
      if (rs.index < floor) this.fail(`read ${ctx} answered at ${rs.index} below the commit index ${floor} at request time`);
      this.stats.reads++;
    }
  }

  // ---- liveness ----

  heal(): void {
    this.log("heal: network whole, every node restarted");
    for (const id of this.nodes.keys()) this.group.set(id, 0);
    this.loss = 0;
    this.dup = 0;
    for (const id of [...this.down]) this.restartNode(id);
    this.checkAfterEvent();
    // A client's view: propose (and read) at the leader, and retry when the
    // leader changes or the attempt stalls.
    let final: { data: string; leader: bigint; term: bigint; round: number } | undefined;
    let read: { ctx: string; leader: bigint; term: bigint; round: number } | undefined;
    const maxRounds = 400;
    for (let round = 0; round < maxRounds; round++) {
      this.step++;
      this.stats.healRounds = round;
      this.settle();
      const l = this.leader();
      if (l !== undefined && l.node.raft.trk.progress.has(l.id)) {
        const r = l.node.raft;
        const cfg = r.trk.config;
        if (cfg.voters.isJoint() && !cfg.autoLeave && r.pendingConfIndex <= r.raftLog.applied) {
          try {
            l.node.proposeConfChange(confChangeV2([]));
          } catch (err) {
            if (!(err instanceof ProposalDroppedError)) throw err;
          }
        }
        // A follower may wait on a snapshot (etcd makes new snapshots
        // periodically): take a fresh one.
        for (const pr of r.trk.progress.values()) {
          if (pr.state === ProgressState.Snapshot) {
            l.snapshotAndCompact(1000n);
            break;
          }
        }
        const stale = (a: { leader: bigint; term: bigint; round: number }): boolean =>
          a.leader !== l.id || a.term !== r.term || round - a.round > 50;
        if (final === undefined || (!this.appliedEverywhere(l, final.data) && stale(final))) {
          const data = `final-${this.seed}-${round}`;
          try {
            l.node.propose(Buffer.from(data));
            final = { data, leader: l.id, term: r.term, round };
          } catch (err) {
            if (!(err instanceof ProposalDroppedError)) throw err;
          }
        }
        if (final !== undefined && this.appliedEverywhere(l, final.data)) {
          if (read === undefined || (!this.answered(l, read.ctx) && stale(read))) {
            const ctx = `heal-read-${round}`;
            this.readFloor.set(ctx, this.maxCommitNow());
            l.node.readIndex(Buffer.from(ctx));
            read = { ctx, leader: l.id, term: r.term, round };
          } else if (this.answered(l, read.ctx)) {
            this.checkAfterEvent();
            return;
          }
        }
      }
      this.tickAll();
      this.checkAfterEvent();
    }
    const desc = [...this.nodes.values()]
      .map((n) => `${n.id}${this.stopped.has(n.id) ? "(stopped)" : ""}:${StateType[n.node.raft.state]}@${n.node.raft.term} commit=${n.node.raft.raftLog.committed} cfg=${n.node.raft.trk.config}`)
      .join("; ");
    this.fail(`no progress ${maxRounds} rounds after healing (final proposal ${final?.data ?? "not accepted"}, read ${read?.ctx ?? "not issued"}): ${desc}`);
  }

  answered(n: SimNode, ctx: string): boolean {
    return n.readStates.some((rs) => rs.requestCtx.toString() === ctx);
  }

  /** Whether every live member in the leader's configuration applied `data`. */
  appliedEverywhere(l: SimNode, data: string): boolean {
    for (const id of l.node.raft.trk.ids()) {
      const n = this.nodes.get(id);
      if (n === undefined || this.stopped.has(id)) continue;
      if (!n.appliedData.includes(data)) return false;
    }
    return true;
  }

  /** Processes and delivers (in order, no faults) until quiet. */
  settle(): void {
    for (let i = 0; i < 10_000; i++) {
      let moved = false;
      for (const n of this.live()) {
        while (n.node.hasReady()) {
          this.process(n);
          moved = true;
        }
      }
      const batch = this.queue;
      this.queue = [];
      for (const m of batch) this.deliver(m, false);
      this.checkAfterEvent();
      if (!moved && batch.length === 0) return;
    }
    this.fail("the cluster did not settle");
  }
}
