/**
 * What happens when this member learns it was removed from the cluster (it
 * applied its own removal, or a peer refused it as removed). Like etcd it
 * keeps running for a few heartbeats so the others can learn that the
 * removal committed — handing leadership over first if it leads — and then
 * settles {@link MemberRemoval.removed}, on which the process stops.
 * @module
 */
import type { Cancel, Clock } from "../../pkg/clock.js";
import type { Logger } from "../../pkg/logger.js";
import { formatId } from "./ids.js";

/** Heartbeats a removed member keeps running (etcd stops after its removal propagates). */
export const REMOVED_GRACE_HEARTBEATS = 10;

export interface MemberRemovalDeps {
  memberId: bigint;
  heartbeatIntervalMs: number;
  /** Hands leadership to another voter when this member leads. */
  handOver(): void;
  clock: Clock;
  logger: Logger;
}

export class MemberRemoval {
  /** Settles once the member, removed, has given the others time to learn it. */
  readonly removed: Promise<void>;
  readonly #deps: MemberRemovalDeps;
  #markRemoved!: () => void;
  #noticed = false;
  #cancel: Cancel | undefined;

  constructor(deps: MemberRemovalDeps) {
    this.#deps = deps;
    this.removed = new Promise((resolve) => (this.#markRemoved = resolve));
  }

  /** This member is out of the cluster; repeated notices change nothing. */
  notice(): void {
    if (this.#noticed) return;
    this.#noticed = true;
    const d = this.#deps;
    d.logger.warn({ "local-member-id": formatId(d.memberId) }, "the member has been permanently removed from the cluster");
    d.handOver();
    this.#cancel = d.clock.after(REMOVED_GRACE_HEARTBEATS * d.heartbeatIntervalMs, () => this.#markRemoved());
  }

  stop(): void {
    this.#cancel?.();
  }
}
