/**
 * Pending ReadIndex requests on the leader (Raft thesis §6.4). With the safe
 * option, a read is answered at the commit index it arrived at once a quorum
 * has acknowledged a heartbeat carrying the request's context: that proves
 * no newer leader existed at the time. Requests are answered in arrival
 * order, so an acknowledgement of a later request confirms earlier ones too.
 * @module
 */
import type { Message } from "../gen/raftpb/raft.js";
import { invariant } from "./errors.js";

export enum ReadOnlyOption {
  /** Confirm leadership with a heartbeat round per read batch (default). */
  Safe = 0,
  /**
   * Trust the leader lease (needs CheckQuorum). Cheaper, but relies on
   * bounded clock drift between nodes.
   */
  LeaseBased = 1,
}

/** A read answer: the index to wait for before serving the request with `requestCtx`. */
export interface ReadState {
  index: bigint;
  requestCtx: Buffer;
}

export interface ReadIndexStatus {
  /** The original MsgReadIndex (from a follower or local). */
  req: Message;
  /** The leader's commit index when the request arrived. */
  index: bigint;
  /** Which voters acknowledged a heartbeat with this context. */
  acks: Map<bigint, boolean>;
}

/** Binary-safe map key of a request context. */
function key(ctx: Buffer): string {
  return ctx.toString("latin1");
}

export class ReadOnly {
  readonly option: ReadOnlyOption;
  readonly #pending = new Map<string, ReadIndexStatus>();
  #queue: string[] = [];

  constructor(option: ReadOnlyOption) {
    this.option = option;
  }

  /** Queues a request that arrived when the commit index was `index`. */
  addRequest(index: bigint, m: Message): void {
    const k = key(m.entries[0]!.Data);
    if (this.#pending.has(k)) return;
    this.#pending.set(k, { req: m, index, acks: new Map() });
    this.#queue.push(k);
  }

  /** Records a heartbeat ack from `id` for `context`; returns the acks so far. */
  recvAck(id: bigint, context: Buffer): ReadonlyMap<bigint, boolean> | undefined {
    const rs = this.#pending.get(key(context));
    if (rs === undefined) return undefined;
    rs.acks.set(id, true);
    return rs.acks;
  }

  /**
   * Dequeues the request with `m.context` and every request queued before
   * it: all of them are now confirmed.
   */
  advance(m: Message): ReadIndexStatus[] {
    const ctx = key(m.context);
    let i = 0;
    let found = false;
    const rss: ReadIndexStatus[] = [];
    for (const ok of this.#queue) {
      i++;
      const rs = this.#pending.get(ok);
      if (rs === undefined) invariant("cannot find corresponding read state from pending map");
      rss.push(rs);
      if (ok === ctx) {
        found = true;
        break;
      }
    }
    if (!found) return [];
    this.#queue = this.#queue.slice(i);
    for (const rs of rss) this.#pending.delete(key(rs.req.entries[0]!.Data));
    return rss;
  }

  /** The context of the newest pending request (sent along with heartbeats). */
  lastPendingRequestCtx(): Buffer | undefined {
    const last = this.#queue[this.#queue.length - 1];
    return last === undefined ? undefined : this.#pending.get(last)!.req.entries[0]!.Data;
  }

  pendingCount(): number {
    return this.#queue.length;
  }
}
