/**
 * Turns a client write into a replicated command and waits for its result:
 * assign a request id, encode, refuse what is too large or when apply lags
 * too far behind commit, register a waiter, propose to raft, and wait for the
 * apply loop to trigger the waiter — or time out. Deadlines are read on the
 * injected clock and checked in one sweep per raft tick ({@link
 * Proposer.expire}, called by the server's ticker), never a timer per
 * proposal.
 * @module
 */
import type { ConfChange } from "../../gen/raftpb/raft.js";
import type { Clock } from "../../pkg/clock.js";
import { EtcdError } from "../../pkg/errors.js";
import type { IdGenerator } from "../../pkg/id-generator.js";
import type { WaitRegistry } from "../../pkg/wait.js";
import type { Cancellation } from "../api.js";
import type { ApplyResult } from "../apply/apply-result.js";
import type { AuthInfo } from "../../auth/index.js";
import { encodeProposal, type LocalRequest, type RaftRequestBody } from "./codec.js";

/** etcd refuses new proposals when this many committed entries wait to be applied. */
export const MAX_GAP_BETWEEN_APPLY_AND_COMMIT = 5000n;

export interface ProposalTarget {
  propose(data: Buffer): void;
  proposeConfChange(cc: ConfChange): void;
  wake(): void;
  committedIndex(): bigint;
  appliedIndex(): bigint;
}

export interface ProposerOptions {
  maxRequestBytes: number;
  requestTimeoutMs: number;
}

export type { RaftRequestBody } from "./codec.js";

export class Proposer {
  readonly #target: ProposalTarget;
  readonly #ids: IdGenerator;
  readonly #waits: WaitRegistry<ApplyResult>;
  readonly #options: ProposerOptions;
  readonly #clock: Pick<Clock, "nowMs">;
  /**
   * Requests proposed here and not yet applied, by id: when this member
   * applies its own entry it uses the object it encoded instead of decoding
   * the bytes again (they are the same request).
   */
  readonly #local = new Map<bigint, LocalRequest>();
  /** Pending proposals' deadlines (clock milliseconds). */
  readonly #deadlines = new Map<bigint, number>();
  /** Proposals that failed since start: refused by raft, timed out or cancelled (etcd_server_proposals_failed_total). */
  failed = 0;

  /**
   * `clock` is what deadlines are read on; without one a proposal waits for
   * its result or its caller's signal only (tests that drive no ticks).
   */
  constructor(target: ProposalTarget, ids: IdGenerator, waits: WaitRegistry<ApplyResult>, options: ProposerOptions, clock: Pick<Clock, "nowMs">) {
    this.#target = target;
    this.#ids = ids;
    this.#waits = waits;
    this.#options = options;
    this.#clock = clock;
  }

  /**
   * Proposes `body` and resolves with its apply result; rejects with an
   * EtcdError. A request whose caller already gave up is refused before it
   * is encoded or proposed. `auth` (the resolved caller) goes into the
   * request header, where applying checks the request against it.
   */
  async propose(body: RaftRequestBody, signal?: Cancellation, auth?: AuthInfo): Promise<ApplyResult> {
    if (signal?.aborted === true) throw this.#canceledBeforeProposing();
    if (this.#target.committedIndex() > this.#target.appliedIndex() + MAX_GAP_BETWEEN_APPLY_AND_COMMIT) {
      throw new EtcdError("TooManyRequests");
    }
    const id = this.#ids.next();
    const { data, local } = encodeProposal(id, body, auth);
    if (data.length > this.#options.maxRequestBytes) throw new EtcdError("RequestTooLarge");
    this.#local.set(id, local);
    try {
      return await this.#waitFor(id, () => this.#target.propose(data), signal);
    } finally {
      this.#local.delete(id);
    }
  }

  /** The request this member proposed under `id`, if it is still waiting (see #local). */
  takeLocal(id: bigint): LocalRequest | undefined {
    const request = this.#local.get(id);
    if (request !== undefined) this.#local.delete(id);
    return request;
  }

  /**
   * Proposes a membership change (its id is assigned here) and resolves with
   * the outcome of applying it: applied, or refused by validation.
   */
  async proposeConfChange(cc: Omit<ConfChange, "id">, signal?: Cancellation): Promise<ApplyResult> {
    if (signal?.aborted === true) throw this.#canceledBeforeProposing();
    const id = this.#ids.next();
    const change: ConfChange = { ...cc, id };
    return this.#waitFor(id, () => this.#target.proposeConfChange(change), signal);
  }

  async #waitFor(id: bigint, propose: () => void, signal?: Cancellation): Promise<ApplyResult> {
    const result = this.#waits.register(id);
    try {
      propose();
    } catch (err) {
      this.failed++;
      // Nobody will await the waiter: settle it quietly and throw to the caller.
      result.catch(() => undefined);
      this.#waits.cancel(id, err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    this.#target.wake();

    this.#deadlines.set(id, this.#clock.nowMs() + this.#options.requestTimeoutMs);
    const onAbort = (): void => {
      this.#waits.cancel(id, canceledByClient());
    };
    // An AbortSignal does not replay an abort that already happened (it may have, while raft took the proposal).
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await result;
    } finally {
      this.#deadlines.delete(id);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** A caller that gave up before its request was proposed; counted as a failed proposal, as etcd counts one raft refused for a done context. */
  #canceledBeforeProposing(): EtcdError {
    this.failed++;
    return canceledByClient();
  }

  /**
   * Fails every pending proposal whose deadline is at or before `nowMs` with
   * "request timed out". Called once per raft tick: a request may time out
   * up to one tick late.
   */
  expire(nowMs: number): void {
    if (this.#deadlines.size === 0) return;
    for (const [id, deadline] of this.#deadlines) {
      if (deadline <= nowMs) this.#waits.cancel(id, new EtcdError("Timeout"));
    }
  }
}

/** The error of a request whose client gave up: etcd's "request timed out" with its cancel detail. */
export function canceledByClient(): EtcdError {
  return new EtcdError("Timeout", { detail: "request canceled by client" });
}
