/**
 * Response headers as the apply layer fills them: only `revision`. The
 * server fills cluster_id, member_id and raft_term at the API edge (and,
 * as in etcd, only on the top-level response: ops inside a Txn keep just
 * their revision).
 * @module
 */

import type { ResponseHeader } from "../../gen/etcdserverpb/rpc.js";

export function header(revision: bigint): ResponseHeader {
  return { clusterId: 0n, memberId: 0n, revision, raftTerm: 0n };
}
