/**
 * A deterministic in-memory network of SimNodes for scenario tests (in the
 * spirit of etcd's raft_test.go `network`). `stabilize()` processes Readys
 * and delivers messages in FIFO order until nothing moves. Faults: drop(from,
 * to, probability), cut, isolate, ignore(type), and a message hook; messages
 * can also be held back (`delay`) and released later, reordered, or
 * duplicated. No timers: time is `tick()`.
 */
import { MessageType } from "../../../src/gen/raftpb/raft.js";
import type { ConfState, Message } from "../../../src/gen/raftpb/raft.js";
import type { Logger } from "../../../src/pkg/logger.js";
import { nullLogger } from "../../../src/pkg/logger.js";
import { SeededRandom } from "../../../src/pkg/random.js";
import { ProposalDroppedError, StepPeerNotFoundError } from "../../../src/raft/errors.js";
import { MemoryStorage } from "../../../src/raft/storage.js";
import { StateType } from "../../../src/raft/types.js";
import { emptyConfState } from "../../../src/raft/util.js";
import { SimNode } from "./sim-node.js";
import type { NodeOptions, ReadyHooks } from "./sim-node.js";

export interface NetworkOptions {
  /** Options for every node (electionTick, preVote, ...). */
  node?: NodeOptions;
  /** Per-node overrides. */
  perNode?: Record<string, NodeOptions>;
  /** Ids that start as learners (default: none). */
  learners?: bigint[];
  /** Start every node from a log with bootstrap entries instead of a ConfState. */
  bootstrap?: boolean;
  /** Preset storages by id (e.g. with a log and hard state already in them). */
  storage?: Record<string, MemoryStorage>;
  seed?: number;
  logger?: Logger;
}

function key(from: bigint, to: bigint): string {
  return `${from}->${to}`;
}

export class Network {
  readonly nodes = new Map<bigint, SimNode>();
  readonly rand: SeededRandom;
  readonly hooks: ReadyHooks = {};
  /** Messages sent and not yet delivered, in send order. */
  pending: Message[] = [];
  /** Held back by `delay`: released by `releaseDelayed`. */
  delayed: Message[] = [];
  /** Every message delivered, when `record` is set. */
  delivered: Message[] = [];
  record = false;
  /** Return false to drop a message. */
  msgHook: ((m: Message) => boolean) | undefined = undefined;
  #drop = new Map<string, number>();
  #ignore = new Set<MessageType>();
  #delay = new Map<string, number>();
  #dupProb = 0;
  #reorder = false;
  readonly #seed: number;
  readonly #logger: Logger;

  constructor(ids: readonly bigint[], opts: NetworkOptions = {}) {
    this.#seed = opts.seed ?? 1;
    this.#logger = opts.logger ?? nullLogger;
    this.rand = new SeededRandom(this.#seed);
    const learners = opts.learners ?? [];
    const voters = ids.filter((id) => !learners.includes(id));
    for (const id of ids) {
      const cs: ConfState = { ...emptyConfState(), voters, learners };
      const storage =
        opts.storage?.[id.toString()] ?? (opts.bootstrap === true ? new MemoryStorage() : new MemoryStorage({ confState: cs }));
      const options = { ...opts.node, ...opts.perNode?.[id.toString()] };
      const n = new SimNode(id, storage, options, this.#seed, this.#logger);
      if (opts.bootstrap === true) n.bootstrap(voters);
      this.nodes.set(id, n);
    }
  }

  /** Adds a member with an empty log and no configuration (it learns both from the leader). */
  addEmptyNode(id: bigint, options: NodeOptions = {}): SimNode {
    const n = new SimNode(id, new MemoryStorage(), { ...options }, this.#seed, this.#logger);
    this.nodes.set(id, n);
    return n;
  }

  node(id: bigint): SimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  raft(id: bigint) {
    return this.node(id).node.raft;
  }

  /** Processes every Ready once; returns whether anything happened. */
  processReadys(): boolean {
    let any = false;
    for (const n of [...this.nodes.values()]) {
      for (;;) {
        const msgs = n.processReady(this.hooks);
        if (msgs === undefined) break;
        any = true;
        for (const m of msgs) this.pending.push(m);
      }
    }
    return any;
  }

  /** Delivers one message (applying faults); returns false when dropped. */
  deliver(m: Message): boolean {
    if (!this.#admit(m)) return false;
    const n = this.nodes.get(m.to);
    if (n === undefined) return false;
    if (this.record) this.delivered.push(m);
    try {
      n.node.step(m);
    } catch (err) {
      if (err instanceof ProposalDroppedError || err instanceof StepPeerNotFoundError) return true;
      throw err;
    }
    return true;
  }

  #admit(m: Message): boolean {
    if (this.#ignore.has(m.type)) return false;
    const p = this.#drop.get(key(m.from, m.to)) ?? 0;
    if (p >= 1 || (p > 0 && this.rand.intn(1_000_000) < p * 1_000_000)) return false;
    if (this.msgHook !== undefined && !this.msgHook(m)) return false;
    return true;
  }

  /** Runs Readys and delivery until quiet. Returns the number of messages delivered. */
  stabilize(maxRounds = 100_000): number {
    let delivered = 0;
    for (let round = 0; round < maxRounds; round++) {
      const moved = this.processReadys();
      if (this.pending.length === 0) {
        if (!moved) return delivered;
        continue;
      }
      let batch = this.pending;
      this.pending = [];
      if (this.#reorder) batch = shuffle(batch, this.rand);
      for (const m of batch) {
        const d = this.#delay.get(key(m.from, m.to)) ?? 0;
        if (d > 0 && this.rand.intn(1_000_000) < d * 1_000_000) {
          this.delayed.push(m);
          continue;
        }
        if (this.deliver(m)) delivered++;
        if (this.#dupProb > 0 && this.rand.intn(1_000_000) < this.#dupProb * 1_000_000) {
          if (this.deliver(m)) delivered++;
        }
      }
    }
    throw new Error("network did not stabilize");
  }

  /** Injects messages (as if received) and stabilizes. */
  send(...msgs: Message[]): void {
    for (const m of msgs) this.pending.push(m);
    this.stabilize();
  }

  /** Puts the held-back messages back in flight and stabilizes. */
  releaseDelayed(): void {
    this.pending.push(...this.delayed);
    this.delayed = [];
    this.stabilize();
  }

  campaign(id: bigint): void {
    this.node(id).node.campaign();
    this.stabilize();
  }

  /** Proposes at `id`; returns false if dropped. Stabilizes. */
  propose(id: bigint, data: string | Buffer): boolean {
    try {
      this.node(id).node.propose(typeof data === "string" ? Buffer.from(data) : data);
    } catch (err) {
      if (err instanceof ProposalDroppedError) {
        this.stabilize();
        return false;
      }
      throw err;
    }
    this.stabilize();
    return true;
  }

  /** Ticks `id` n times, stabilizing after each tick. */
  tick(id: bigint, n = 1): void {
    for (let i = 0; i < n; i++) {
      this.node(id).node.tick();
      this.stabilize();
    }
  }

  /** Ticks every node n times (one round = every node once, then stabilize). */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const node of this.nodes.values()) node.node.tick();
      this.stabilize();
    }
  }

  drop(from: bigint, to: bigint, probability: number): void {
    this.#drop.set(key(from, to), probability);
  }

  /** Holds back a fraction of the messages from -> to until releaseDelayed(). */
  delay(from: bigint, to: bigint, probability: number): void {
    this.#delay.set(key(from, to), probability);
  }

  /** Delivers a fraction of all messages twice. */
  duplicate(probability: number): void {
    this.#dupProb = probability;
  }

  /** Delivers each batch of messages in a random order. */
  reorder(on = true): void {
    this.#reorder = on;
  }

  cut(a: bigint, b: bigint): void {
    this.drop(a, b, 1);
    this.drop(b, a, 1);
  }

  isolate(id: bigint): void {
    for (const other of this.nodes.keys()) {
      if (other !== id) this.cut(id, other);
    }
  }

  ignore(t: MessageType): void {
    this.#ignore.add(t);
  }

  /** Removes every fault (drop, delay, ignore, duplicate, reorder, hook). */
  recover(): void {
    this.#drop.clear();
    this.#ignore.clear();
    this.#delay.clear();
    this.#dupProb = 0;
    this.#reorder = false;
    this.msgHook = undefined;
  }

  /** Crash: volatile state is lost, in-flight messages to it are dropped. */
  crash(id: bigint): void {
    this.pending = this.pending.filter((m) => m.to !== id && m.from !== id);
  }

  restart(id: bigint): void {
    this.crash(id);
    this.node(id).restart();
  }

  /** Leaders, as [id, term]. */
  leaders(): Array<[bigint, bigint]> {
    const out: Array<[bigint, bigint]> = [];
    for (const [id, n] of this.nodes) {
      if (n.node.raft.state === StateType.Leader) out.push([id, n.node.raft.term]);
    }
    return out;
  }

  /** The id of the only leader at the highest term (throws if none). */
  leader(): bigint {
    let best: [bigint, bigint] | undefined;
    for (const l of this.leaders()) if (best === undefined || l[1] > best[1]) best = l;
    if (best === undefined) throw new Error("no leader");
    return best[0];
  }
}

function shuffle<T>(xs: T[], r: SeededRandom): T[] {
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = r.intn(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

export { MessageType };
