/**
 * The history recorder: concurrent clients doing reads, writes and
 * compare-and-swap txns on a small set of keys, each client pinned to one
 * member's endpoint, every operation recorded with its invocation and
 * completion times and its result — or as indeterminate when the client
 * never learned the outcome (deadline, lost connection). The result feeds
 * the linearizability checker directly.
 *
 * Written values are unique (`<client>.<seq>`), which the checker relies
 * on. A CAS expects the value its client last saw for the key (null: the
 * key absent, compared as create_revision == 0).
 * @module
 */
import { setMaxListeners } from "node:events";
import * as grpc from "@grpc/grpc-js";
import {
  Compare_CompareResult,
  Compare_CompareTarget,
  KVClient,
  PutRequest,
  RangeRequest,
  TxnRequest,
  type RangeResponse,
} from "../../src/gen/etcdserverpb/rpc.js";
import { SeededRandom } from "../../src/pkg/random.js";
import type { Operation, OpInput, OpOutput, Value } from "./linearizability/history.js";
import { callWithDeadline } from "./rpc.js";

export interface WorkloadOptions {
  /** gRPC endpoints (host:port); client i uses endpoints[i % n]. */
  endpoints: readonly string[];
  clients: number;
  keys: readonly string[];
  /** Relative weights of reads, writes and CAS. */
  mix?: { read: number; write: number; cas: number };
  /** Deadline of each operation. */
  timeoutMs?: number;
  /** Serializable (local) reads instead of linearizable ones: not linearizable under partitions — for showing the checker catches it. */
  serializableReads?: boolean;
  /** Clients that only write (the first n) and only read (the rest), instead of the mix. */
  roles?: { writers: number };
  /** The endpoint of client i (default: round robin over `endpoints`). */
  endpointFor?: (client: number) => string;
  seed?: number;
  /** Stop after this many operations in total (default: until aborted). */
  maxOperations?: number;
  /** Pause after a failed operation so a dead endpoint is not hammered. */
  backoffMs?: number;
}

export interface WorkloadStats {
  total: number;
  ok: number;
  indeterminate: number;
  /** Failed without effect (never sent). Not in the history. */
  refused: number;
  errors: Map<string, number>;
}

export interface WorkloadResult {
  history: Operation[];
  stats: WorkloadStats;
}

/** Runs the workload until `signal` aborts (or maxOperations); resolves with the history. */
export async function recordHistory(options: WorkloadOptions, signal: AbortSignal): Promise<WorkloadResult> {
  setMaxListeners(0, signal); // one abort listener per sleeping client
  const origin = performance.now();
  const now = (): number => performance.now() - origin;
  const history: Operation[] = [];
  const stats: WorkloadStats = { total: 0, ok: 0, indeterminate: 0, refused: 0, errors: new Map() };
  const mix = options.mix ?? { read: 4, write: 3, cas: 3 };
  const weight = mix.read + mix.write + mix.cas;
  const timeoutMs = options.timeoutMs ?? 1_000;
  const random = new SeededRandom(options.seed ?? 1);
  const channelOptions = { "grpc.use_local_subchannel_pool": 1, "grpc.max_receive_message_length": -1 };
  let budget = options.maxOperations ?? Infinity;

  const runClient = async (client: number): Promise<void> => {
    const endpoint = options.endpointFor?.(client) ?? options.endpoints[client % options.endpoints.length]!;
    const kv = new KVClient(endpoint, grpc.credentials.createInsecure(), channelOptions);
    const lastSeen = new Map<string, Value>();
    let seq = 0;
    try {
      while (!signal.aborted && budget > 0) {
        budget--;
        const key = options.keys[random.intn(options.keys.length)]!;
        let kind: OpInput["kind"];
        if (options.roles !== undefined) kind = client < options.roles.writers ? "write" : "read";
        else {
          const r = random.intn(weight);
          kind = r < mix.read ? "read" : r < mix.read + mix.write ? "write" : "cas";
        }
        const value = `${client}.${seq++}`;
        const input: OpInput =
          kind === "read" ? { kind } : kind === "write" ? { kind, value } : { kind, expect: lastSeen.get(key) ?? null, value };
        const call = now();
        const outcome = await perform(kv, key, input, timeoutMs, options.serializableReads ?? false);
        const ret = now();
        stats.total++;
        if (outcome.kind === "refused") {
          stats.refused++;
          count(stats.errors, outcome.error);
          await sleep(options.backoffMs ?? 100, signal);
          continue;
        }
        const id = history.length;
        if (outcome.kind === "indeterminate") {
          stats.indeterminate++;
          count(stats.errors, outcome.error);
          history.push({ id, client, key, input, output: undefined, call, ret: undefined, target: endpoint });
          await sleep(options.backoffMs ?? 100, signal);
          continue;
        }
        stats.ok++;
        const output = outcome.output;
        history.push({ id, client, key, input, output, call, ret, target: endpoint });
        if (output.kind === "read") lastSeen.set(key, output.value);
        else if (input.kind === "write") lastSeen.set(key, input.value);
        else if (input.kind === "cas" && output.kind === "cas" && output.ok) lastSeen.set(key, input.value);
      }
    } finally {
      kv.close();
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, i) => runClient(i)));
  return { history, stats };
}

type Outcome = { kind: "ok"; output: OpOutput } | { kind: "indeterminate"; error: string } | { kind: "refused"; error: string };

async function perform(kv: InstanceType<typeof KVClient>, key: string, input: OpInput, timeoutMs: number, serializable: boolean): Promise<Outcome> {
  const k = Buffer.from(key);
  switch (input.kind) {
    case "read": {
      const r = await callWithDeadline(kv, kv.range, RangeRequest.fromPartial({ key: k, serializable }), timeoutMs);
      if (!r.ok) return failure(r.error);
      return { kind: "ok", output: { kind: "read", value: valueOf(r.value) } };
    }
    case "write": {
      const r = await callWithDeadline(kv, kv.put, PutRequest.fromPartial({ key: k, value: Buffer.from(input.value) }), timeoutMs);
      if (!r.ok) return failure(r.error);
      return { kind: "ok", output: { kind: "write" } };
    }
    case "cas": {
      const compare =
        input.expect === null
          ? { key: k, target: Compare_CompareTarget.CREATE, result: Compare_CompareResult.EQUAL, targetUnion: { $case: "createRevision" as const, value: 0n } }
          : { key: k, target: Compare_CompareTarget.VALUE, result: Compare_CompareResult.EQUAL, targetUnion: { $case: "value" as const, value: Buffer.from(input.expect) } };
      const req = TxnRequest.fromPartial({
        compare: [compare],
        success: [{ request: { $case: "requestPut", value: { key: k, value: Buffer.from(input.value) } } }],
      });
      const r = await callWithDeadline(kv, kv.txn, req, timeoutMs);
      if (!r.ok) return failure(r.error);
      return { kind: "ok", output: { kind: "cas", ok: r.value.succeeded } };
    }
  }
}

function valueOf(res: RangeResponse): Value {
  const kv = res.kvs[0];
  return kv === undefined ? null : kv.value.toString("utf8");
}

/**
 * An error after which the request certainly had no effect: grpc-js never
 * had a connection to send it on, or etcd refused it before proposing.
 * Anything else (deadline, dropped connection, "request timed out", "leader
 * changed") may or may not have been applied.
 */
function failure(error: { code: number; message: string }): Outcome {
  const text = `${grpc.status[error.code] ?? error.code}: ${error.message}`;
  const neverSent = error.code === grpc.status.UNAVAILABLE && /No connection established|ECONNREFUSED/i.test(error.message);
  const refusedByServer = /too many requests|no leader|not capable|request is too large/i.test(error.message) && !/timed out/i.test(error.message);
  return neverSent || refusedByServer ? { kind: "refused", error: text } : { kind: "indeterminate", error: text };
}

function count(map: Map<string, number>, key: string): void {
  // Group errors that differ only in ports and timings.
  const generic = key.replace(/\d+(\.\d+)?/g, "N");
  const short = generic.length > 120 ? `${generic.slice(0, 120)}…` : generic;
  map.set(short, (map.get(short) ?? 0) + 1);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}
