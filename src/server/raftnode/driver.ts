/**
 * The Ready loop: the only code that moves a raft node forward. Each turn
 * takes one Ready, applies the committed entries that are already durable,
 * persists the new entries and hard state (fsync), applies the rest, sends
 * messages, and advances. Proposals arriving while a save is in flight pile
 * up in raft and go out together in the next Ready: group commit falls out of
 * the loop's shape.
 *
 * The driver is built before the parts it drives (apply, peers, reads),
 * because they all wake it; {@link RaftDriver.start} connects their hooks
 * once they exist — the one indirection of that cycle. Wakes before then
 * are remembered and run at start.
 * @module
 */
import type { Entry, HardState, Message, Snapshot } from "../../gen/raftpb/raft.js";
import type { Logger } from "../../pkg/logger.js";
import type { RawNode, ReadState, Ready, SoftState } from "./node.js";

/** Durable log storage: the WAL and snapshot files, mirrored into raft's storage. */
export interface LogPersistence {
  save(hardState: HardState | undefined, entries: Entry[], mustSync: boolean): Promise<void>;
  saveReceivedSnapshot(snapshot: Snapshot): Promise<void>;
}

export interface RaftDriverHooks {
  /** Apply committed entries, in order, synchronously. */
  apply(entries: Entry[]): void;
  /** Replace the state machine with a snapshot received from the leader (already durable). */
  applySnapshot(snapshot: Snapshot): Promise<void>;
  send(messages: Message[]): void;
  onSoftState(state: SoftState): void;
  onHardState(state: HardState): void;
  onReadStates(states: ReadState[]): void;
  /** Persisting failed: the server must stop; nothing after this is safe. */
  onFatal(err: unknown): void;
  /** Whether this member currently leads (known from the soft states it was given). */
  isLeader(): boolean;
}

export class RaftDriver {
  readonly #node: RawNode;
  readonly #log: LogPersistence;
  #hooks: RaftDriverHooks | undefined;
  readonly #logger: Logger;
  #wokenBeforeStart = false;
  #running = false;
  #scheduled = false;
  #stopped = false;
  #idle: Promise<void> = Promise.resolve();
  /** Highest index known durable in the local log. */
  #durableIndex: bigint;
  /** Term and vote last persisted: a leader's messages may go out before its own write only within one term. */
  #persistedTerm = -1n;
  #persistedVote = -1n;

  constructor(node: RawNode, log: LogPersistence, logger: Logger, durableIndex: bigint) {
    this.#node = node;
    this.#log = log;
    this.#logger = logger;
    this.#durableIndex = durableIndex;
  }

  /** Connects the parts the loop hands its output to, and runs the loop if it was woken already. */
  start(hooks: RaftDriverHooks): void {
    if (this.#hooks !== undefined) throw new Error("raft driver started twice");
    this.#hooks = hooks;
    if (this.#wokenBeforeStart) this.wake();
  }

  /** Asks for a turn of the loop soon; many wakes in one event-loop turn cost one turn. */
  wake(): void {
    const hooks = this.#hooks;
    if (hooks === undefined) {
      this.#wokenBeforeStart = true;
      return;
    }
    if (this.#scheduled || this.#running || this.#stopped) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (!this.#running && !this.#stopped) this.#idle = this.#run(hooks);
    });
  }

  tick(): void {
    if (this.#stopped) return;
    this.#node.tick();
    this.wake();
  }

  /** Stops taking Ready batches; resolves once the turn in progress has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#idle;
  }

  async #run(hooks: RaftDriverHooks): Promise<void> {
    this.#running = true;
    try {
      while (!this.#stopped && this.#node.hasReady()) {
        await this.#turn(this.#node.ready(), hooks);
      }
    } catch (err) {
      this.#stopped = true;
      this.#logger.error({ err }, "raft loop failed");
      hooks.onFatal(err);
    } finally {
      this.#running = false;
    }
  }

  async #turn(rd: Ready, hooks: RaftDriverHooks): Promise<void> {
    if (rd.hardState) hooks.onHardState(rd.hardState);
    if (rd.softState) hooks.onSoftState(rd.softState);
    if (rd.snapshot) {
      await this.#log.saveReceivedSnapshot(rd.snapshot);
      await hooks.applySnapshot(rd.snapshot);
      const index = rd.snapshot.metadata?.index ?? 0n;
      if (index > this.#durableIndex) this.#durableIndex = index;
    }
    // Entries committed and already durable here can be applied while this
    // turn's new entries are being written: their acknowledgement does not
    // have to wait for an unrelated fsync.
    const split = this.#durablePrefix(rd);
    if (split > 0) hooks.apply(split === rd.committedEntries.length ? rd.committedEntries : rd.committedEntries.slice(0, split));
    // A leader may replicate while it writes its own log (Raft thesis §10.2.1):
    // its own copy counts toward a commit only once durable (raft acknowledges
    // it in advance()). Anything that changes term or vote goes out after.
    const hs = rd.hardState;
    const early = hooks.isLeader() && (hs === undefined || (hs.term === this.#persistedTerm && hs.vote === this.#persistedVote));
    if (early && rd.messages.length > 0) hooks.send(rd.messages);
    if (rd.entries.length > 0 || hs) {
      await this.#log.save(hs, rd.entries, rd.mustSync);
      const last = rd.entries[rd.entries.length - 1];
      if (last) this.#durableIndex = last.Index;
      if (hs) {
        this.#persistedTerm = hs.term;
        this.#persistedVote = hs.vote;
      }
    }
    if (split < rd.committedEntries.length) hooks.apply(rd.committedEntries.slice(split));
    if (!early && rd.messages.length > 0) hooks.send(rd.messages);
    if (rd.readStates.length > 0) hooks.onReadStates(rd.readStates);
    this.#node.advance(rd);
  }

  /** How many leading committed entries are already in the durable log. */
  #durablePrefix(rd: Ready): number {
    // New entries replace the log from their first index on (a follower's
    // conflicting tail), so only what precedes them is known durable.
    const firstNew = rd.entries[0];
    const durable = firstNew !== undefined && firstNew.Index <= this.#durableIndex ? firstNew.Index - 1n : this.#durableIndex;
    const entries = rd.committedEntries;
    let n = 0;
    while (n < entries.length && entries[n]!.Index <= durable) n++;
    return n;
  }
}
