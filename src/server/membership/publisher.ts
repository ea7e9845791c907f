/**
 * Publishing this member: once a leader is known the member proposes its
 * name and client URLs (etcd's publish), retried every heartbeat until it
 * commits — a busy or leaderless cluster only delays it — and, on the
 * leader, sets the cluster version if none is set yet. The member serves
 * clients after. Retries wait on the injected clock.
 * @module
 */
import type { Cancel, Clock } from "../../pkg/clock.js";
import { EtcdError } from "../../pkg/errors.js";
import type { Logger } from "../../pkg/logger.js";
import type { RaftRequestBody } from "../proposals/codec.js";
import { formatId } from "./ids.js";

/** A proposal's outcome as far as publishing cares (an apply result fits). */
export type PublishOutcome = { readonly ok: true } | { readonly ok: false; readonly error: Error };

export interface PublisherDeps {
  memberId: bigint;
  name: string;
  clientUrls: readonly string[];
  /** The version a new cluster starts at. */
  clusterVersion: string;
  propose(body: RaftRequestBody): Promise<PublishOutcome>;
  isLeader(): boolean;
  /** The version the cluster agreed on, undefined until set. */
  agreedClusterVersion(): string | undefined;
  /** Wait between attempts (one heartbeat). */
  retryMs: number;
  clock: Clock;
  logger: Logger;
}

export class MemberPublisher {
  readonly #deps: PublisherDeps;
  #stopped = false;
  /** The pending wait between attempts, to end it early on stop. */
  #retry: { cancel: Cancel; wakeUp(): void } | undefined;

  constructor(deps: PublisherDeps) {
    this.#deps = deps;
  }

  /** Resolves once the attributes (and, on the leader, the cluster version) are committed; rejects when stopped first. */
  async publish(): Promise<void> {
    const d = this.#deps;
    const attrs = { memberID: d.memberId, memberAttributes: { name: d.name, clientUrls: [...d.clientUrls] } };
    for (;;) {
      if (this.#stopped) throw new EtcdError("Stopped");
      try {
        const result = await d.propose({ clusterMemberAttrSet: attrs });
        if (!result.ok) throw result.error;
        break;
      } catch (err) {
        d.logger.warn({ error: err instanceof Error ? err.message : String(err) }, "failed to publish local member to cluster through raft; retrying");
        await this.#pause();
      }
    }
    d.logger.info({ "local-member-id": formatId(d.memberId), name: d.name, "client-urls": d.clientUrls }, "published local member to cluster through raft");
    if (d.isLeader() && d.agreedClusterVersion() === undefined) {
      const version = await d.propose({ clusterVersionSet: { ver: d.clusterVersion } });
      if (!version.ok) throw version.error;
      d.logger.info({ "cluster-version": d.clusterVersion }, "set initial cluster version");
    }
  }

  /** Ends a wait between attempts at once; publish() then rejects. */
  stop(): void {
    this.#stopped = true;
    this.#retry?.cancel();
    this.#retry?.wakeUp();
  }

  #pause(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wakeUp = (): void => {
        this.#retry = undefined;
        resolve();
      };
      this.#retry = { cancel: this.#deps.clock.after(this.#deps.retryMs, wakeUp), wakeUp };
    });
  }
}
