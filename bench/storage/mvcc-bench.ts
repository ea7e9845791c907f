/**
 * Micro-benchmark of the storage engine as the server drives it: requests
 * through the txn layer on a KVStore over the LMDB backend, batches
 * committed as the server would (every 10k ops, like --backend-batch-limit).
 * Reports main-thread µs per op, restore/compaction/HashKV throughput and
 * heap per key.
 *
 *   npx tsc -p tsconfig.json && node --expose-gc dist/bench/storage/mvcc-bench.js [--n 100000]
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RangeRequest, Compare_CompareResult, Compare_CompareTarget, type PutRequest, type TxnRequest } from "../../src/gen/etcdserverpb/rpc.js";
import { LmdbBackend, backendPath } from "../../src/storage/backend/lmdb-backend.js";
import { ConsistentIndex } from "../../src/storage/cindex/consistent-index.js";
import { KVStore } from "../../src/storage/mvcc/kvstore.js";
import { NO_LEASES, put, range, txn } from "../../src/server/txn/index.js";

const argN = process.argv.indexOf("--n");
const N = argN > 0 ? Number(process.argv[argN + 1]) : 100_000;
const gc = (globalThis as { gc?: () => void }).gc;

function key(i: number): Buffer {
  return Buffer.from(`/registry/pods/default/pod-${String(i).padStart(8, "0")}`);
}

/**
 * Runs `fn(i)` for i in [0, ops) in chunks and reports the best and the
 * median chunk: the best chunk approximates the uncontended cost on a
 * shared machine, the median what a loaded one gives.
 */
function timeIt(label: string, ops: number, fn: (i: number) => void, chunks = 20): void {
  const chunk = Math.max(1, Math.floor(ops / chunks));
  const perOp: number[] = [];
  for (let start = 0; start < ops; start += chunk) {
    const end = Math.min(ops, start + chunk);
    const t0 = process.hrtime.bigint();
    for (let i = start; i < end; i++) fn(i);
    perOp.push(Number(process.hrtime.bigint() - t0) / 1000 / (end - start));
  }
  perOp.sort((a, b) => a - b);
  const best = perOp[0]!;
  const median = perOp[perOp.length >> 1]!;
  console.log(
    `${label.padEnd(56)} best ${best.toFixed(2).padStart(7)} µs/op  median ${median.toFixed(2).padStart(7)} µs/op  (${Math.round(1e6 / median).toLocaleString("en-US")} ops/s at median)`,
  );
}

/** Requests as the gRPC layer hands them over (decoded messages, all fields set). */
function putRequest(key: Buffer, value: Buffer): PutRequest {
  return { key, value, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false };
}

function rangeRequest(key: Buffer, fields: Partial<RangeRequest> = {}): RangeRequest {
  return { ...RangeRequest.fromPartial({ key }), ...fields };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "etcd-ts-bench-"));
  const path = backendPath(dir);
  try {
    const backend = new LmdbBackend({ path });
    const cindex = new ConsistentIndex(backend);
    const kv = new KVStore({ backend });
    const value = Buffer.alloc(256, 0x61);
    const keys = Array.from({ length: N }, (_, i) => key(i));
    let index = 0n;
    const apply = (fn: () => void): void => {
      fn();
      cindex.set(++index, 1n); // as the server's apply loop: commits a full batch at the boundary
    };
    gc?.();
    const heap0 = process.memoryUsage().heapUsed;

    console.log(`storage bench: ${N.toLocaleString("en-US")} keys, 256-byte values, LMDB at ${path}`);
    timeIt("Put, new key (txn layer + cindex, batch 10k)", N, (i) => apply(() => put(kv, putRequest(keys[i]!, value), NO_LEASES)));
    await backend.commit();
    gc?.();
    const heapPerKey = (process.memoryUsage().heapUsed - heap0) / N;

    timeIt("Put, overwrite existing key (random order)", N, (i) => apply(() => put(kv, putRequest(keys[(i * 7919) % N]!, value), NO_LEASES)));
    const hot = key(0);
    timeIt("Put, one key over and over (etcdload put default)", N, () => apply(() => put(kv, putRequest(hot, value), NO_LEASES)));
    await backend.commit();

    timeIt("Range, single key (txn layer, random order)", N, (i) => range(kv, rangeRequest(keys[(i * 7919) % N]!)));
    timeIt("Range, single key with writes in the pending batch", 20_000, (i) => {
      if (i % 100 === 0) apply(() => put(kv, putRequest(keys[i]!, value), NO_LEASES));
      range(kv, rangeRequest(keys[(i * 7919) % N]!));
    });
    const prefix = Buffer.from("/registry/pods/default/pod-000001");
    const prefixEnd = Buffer.from("/registry/pods/default/pod-000002");
    if (range(kv, rangeRequest(prefix, { rangeEnd: prefixEnd })).kvs.length !== 100) throw new Error("prefix should hold 100 keys");
    timeIt("Range, 100 keys (prefix), per request", 2_000, () => range(kv, rangeRequest(prefix, { rangeEnd: prefixEnd })));
    const all = rangeRequest(Buffer.from([0]), { rangeEnd: Buffer.from([0]), countOnly: true });
    timeIt("Range, count_only over all keys, per request", 20, () => range(kv, all), 20);
    timeIt("Txn: compare mod_revision + put (CAS)", 50_000, (i) => {
        const k = keys[i % N]!;
        const mod = kv.range(k, undefined).kvs[0]!.modRevision;
        const req: TxnRequest = {
          compare: [{ key: k, target: Compare_CompareTarget.MOD, result: Compare_CompareResult.EQUAL, targetUnion: { $case: "modRevision", value: mod }, rangeEnd: Buffer.alloc(0) }],
          success: [{ request: { $case: "requestPut", value: putRequest(k, value) } }],
          failure: [{ request: { $case: "requestRange", value: rangeRequest(k) } }],
        };
        apply(() => txn(kv, req, NO_LEASES));
    });
    await backend.commit();

    const revs = kv.rev;
    let t0 = process.hrtime.bigint();
    kv.hashByRev(0n);
    console.log(`${"HashKV over the whole history".padEnd(56)} ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms for ${revs} revisions`);
    await kv.close();
    await backend.close();

    const reopened = new LmdbBackend({ path });
    t0 = process.hrtime.bigint();
    const restored = new KVStore({ backend: reopened });
    console.log(`${"Restore on open (index rebuilt from the backend)".padEnd(56)} ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms for ${revs} revisions`);
    if (restored.rev !== revs) throw new Error(`restore lost revisions: ${restored.rev} != ${revs}`);
    t0 = process.hrtime.bigint();
    await restored.compact(restored.rev - 1000n).physical;
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`${"Compaction of all but the last 1000 revisions".padEnd(56)} ${ms.toFixed(0)} ms (${Math.round(Number(revs) / (ms / 1000)).toLocaleString("en-US")} revisions/s)`);
    console.log(`${"Heap per key after the new-key phase".padEnd(56)} ${heapPerKey.toFixed(0)} bytes`);
    console.log(`${"Backend file / in use".padEnd(56)} ${(reopened.size() / 1e6).toFixed(1)} MB / ${(reopened.sizeInUse() / 1e6).toFixed(1)} MB`);
    await restored.close();
    await reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
