/**
 * Compact as etcd applies it: the store checks the revision (`Compacted`
 * at or below the last compaction, `FutureRev` above the current revision);
 * the header carries the current revision. `physical` resolves once the
 * compacted revisions are gone from the backend and that is durable — a
 * request with `physical: true` is answered only then.
 * @module
 */

import type { CompactionRequest, CompactionResponse } from "../../gen/etcdserverpb/rpc.js";
import { header } from "./header.js";
import type { KV } from "./kv.js";

export function compaction(kv: KV, req: CompactionRequest): { response: CompactionResponse; physical: Promise<void> } {
  const { physical } = kv.compact(req.revision);
  return { response: { header: header(kv.rev) }, physical };
}
