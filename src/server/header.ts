/**
 * The member's {@link HeaderSource}: what every response header is built
 * from (cluster and member id, the store's revision, raft's term) and the
 * leader checks streams and requests make (has a leader, is a learner,
 * leader lost). Built once the store exists; the API layer and the request
 * paths share it.
 * @module
 */
import type { ResponseHeader } from "../gen/etcdserverpb/rpc.js";
import type { HeaderSource } from "./api.js";
import type { LeaderMonitor } from "./raftnode/leader-monitor.js";

export interface ServerHeaderDeps {
  memberId: bigint;
  clusterId: bigint;
  store: { readonly rev: bigint };
  raft: { readonly term: bigint };
  leadership: { readonly hasLeader: boolean };
  conf: { isLearner(id: bigint): boolean };
  monitor: LeaderMonitor;
}

export class ServerHeader implements HeaderSource {
  readonly #deps: ServerHeaderDeps;

  constructor(deps: ServerHeaderDeps) {
    this.#deps = deps;
  }

  header(revision?: bigint): ResponseHeader {
    const d = this.#deps;
    return { clusterId: d.clusterId, memberId: d.memberId, revision: revision ?? d.store.rev, raftTerm: d.raft.term };
  }

  hasLeader(): boolean {
    return this.#deps.leadership.hasLeader;
  }

  isLearner(): boolean {
    return this.#deps.conf.isLearner(this.#deps.memberId);
  }

  onLeaderLost(listener: () => void): () => void {
    return this.#deps.monitor.onLeaderLost(listener);
  }
}
