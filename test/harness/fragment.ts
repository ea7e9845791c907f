/**
 * A member's database made mostly free pages, so that a defrag has work:
 * `keys` values of 100 kB, then overwritten small, then a physical
 * compaction. For the defrag tests.
 */
import {
  CompactionRequest,
  PutRequest,
  StatusRequest,
  type CompactionResponse,
  type PutResponse,
  type StatusResponse,
} from "../../src/gen/etcdserverpb/rpc.js";
import { mustCall, type Clients } from "./grpc-clients.js";

export interface FragmentOptions {
  keys: number;
  /** Key prefix; `fill/` by default (keys are `<prefix><i>`). */
  prefix?: string;
  /** Every n-th key keeps its 100 kB value; 0 (the default): all are overwritten. */
  keepBigEvery?: number;
  /** Puts in flight at once (1 by default). */
  concurrency?: number;
}

const BIG_VALUE_BYTES = 100 * 1024;

export async function fragmentDatabase(clients: Clients, options: FragmentOptions): Promise<void> {
  const { keys, prefix = "fill/", keepBigEvery = 0, concurrency = 1 } = options;
  const big = Buffer.alloc(BIG_VALUE_BYTES, 7);
  let revision = 0n;
  const put = async (i: number, value: Buffer): Promise<void> => {
    const r = await mustCall<PutRequest, PutResponse>(clients.kv, clients.kv.put, PutRequest.fromPartial({ key: Buffer.from(`${prefix}${i}`), value }));
    if (r.header!.revision > revision) revision = r.header!.revision;
  };
  const forEachKey = async (each: (i: number) => Promise<void>): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < keys) await each(next++);
      }),
    );
  };
  await forEachKey((i) => put(i, big));
  await forEachKey(async (i) => {
    if (keepBigEvery > 0 && i % keepBigEvery === 0) return;
    await put(i, Buffer.from("small"));
  });
  await mustCall<CompactionRequest, CompactionResponse>(clients.kv, clients.kv.compact, CompactionRequest.fromPartial({ revision, physical: true }));
}

/** The member's Status (its dbSize and dbSizeInUse among it). */
export function memberStatus(clients: Clients): Promise<StatusResponse> {
  return mustCall<StatusRequest, StatusResponse>(clients.maintenance, clients.maintenance.status, StatusRequest.fromPartial({}));
}
