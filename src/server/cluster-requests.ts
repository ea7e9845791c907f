/** Cluster membership requests (listing for now; changes come with the replicated cluster). @module */
import type { MemberListRequest, MemberListResponse } from "../gen/etcdserverpb/rpc.js";
import type { ClusterApi, HeaderSource } from "./api.js";
import type { MembershipStore } from "./membership/membership-store.js";

export interface ClusterDeps {
  membership: MembershipStore;
  header: HeaderSource;
}

export class ClusterRequests implements ClusterApi {
  readonly #deps: ClusterDeps;

  constructor(deps: ClusterDeps) {
    this.#deps = deps;
  }

  async memberList(_req: MemberListRequest): Promise<MemberListResponse> {
    // etcd leaves the revision out of MemberList headers.
    const header = { ...this.#deps.header.header(), revision: 0n };
    const members = this.#deps.membership.members().map((m) => ({
      ID: m.id,
      name: m.name,
      peerURLs: [...m.peerUrls],
      clientURLs: [...m.clientUrls],
      isLearner: m.isLearner,
    }));
    return { header, members };
  }
}
