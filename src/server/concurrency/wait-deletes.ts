/**
 * Waiting for the keys ahead of us to go (clientv3/concurrency's
 * waitDeletes): find the newest key under the prefix created before ours —
 * our immediate predecessor — and wait for its deletion only; then look
 * again. Each waiter watches one key, so a release wakes one waiter, not
 * all of them.
 * @module
 */
import type { ResponseHeader } from "../../gen/etcdserverpb/rpc.js";
import type { Credentials } from "../api.js";
import { canceled, type KeyEvents } from "./key-events.js";
import { lastCreatedBefore, type ConcurrencyKv } from "./kv-ops.js";

export interface WaitContext {
  kv: ConcurrencyKv;
  events: KeyEvents;
}

/**
 * Resolves once no key under `prefix` has a create revision ≤ `maxCreateRev`,
 * with the header of the (linearizable) range that showed it. Reads and
 * watches as `creds`.
 */
export async function waitDeletes(ctx: WaitContext, prefix: Buffer, maxCreateRev: bigint, signal?: AbortSignal, creds?: Credentials): Promise<ResponseHeader> {
  for (;;) {
    if (signal?.aborted) throw canceled();
    const resp = await ctx.kv.range(lastCreatedBefore(prefix, maxCreateRev), signal, creds);
    const last = resp.kvs[0];
    if (last === undefined) return resp.header!;
    // From the revision the range saw it at: a deletion since then is not missed.
    await ctx.events.waitDelete(last.key, resp.header!.revision, signal, creds);
  }
}
