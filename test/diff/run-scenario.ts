/** Executes scenario steps against one server and returns comparable, normalized outcomes. */
import {
  CompactionRequest,
  DeleteRangeRequest,
  HashKVRequest,
  PutRequest,
  RangeRequest,
  StatusRequest,
  type StatusResponse,
  TxnRequest,
} from "../../src/gen/etcdserverpb/rpc.js";
import { call, type Clients } from "../harness/grpc-clients.js";
import type { Step } from "./kv-scenario.js";

/** Replaces what legitimately differs between two servers (ids, sizes, version) and makes values printable. */
export function normalize(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Buffer.isBuffer(value)) return value.toString("latin1");
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // hashRevision is etcd 3.6 (we fill it; 3.4 leaves it 0).
      if (k === "hashRevision" || k === "clusterId" || k === "memberId" || k === "leader" || k === "dbSize" || k === "dbSizeInUse" || k === "version" && typeof v === "string") continue;
      out[k] = normalize(v);
    }
    return out;
  }
  return value;
}

export async function runStep(clients: Clients, step: Step): Promise<unknown> {
  const { kv, maintenance } = clients;
  switch (step.op) {
    case "put":
      return normalize(await call(kv, kv.put, PutRequest.fromPartial(step.req)));
    case "range":
      return normalize(await call(kv, kv.range, RangeRequest.fromPartial(step.req)));
    case "delete":
      return normalize(await call(kv, kv.deleteRange, DeleteRangeRequest.fromPartial(step.req)));
    case "txn":
      return normalize(await call(kv, kv.txn, TxnRequest.fromPartial(step.req)));
    case "compact":
      return normalize(await call(kv, kv.compact, CompactionRequest.fromPartial(step.req)));
    case "hashkv":
      return normalize(await call(maintenance, maintenance.hashKv, HashKVRequest.fromPartial({ revision: step.revision })));
    case "status": {
      const outcome = await call<StatusRequest, StatusResponse>(maintenance, maintenance.status, StatusRequest.fromPartial({}));
      if (!outcome.ok) return normalize(outcome);
      const s = outcome.value;
      // Compare what must agree; sizes, ids and version strings differ by design.
      return normalize({ header: s.header, raftTerm: s.raftTerm, errors: s.errors, isLearner: s.isLearner });
    }
  }
}

export function describeStep(step: Step): string {
  const { op } = step;
  const body = op === "status" ? "" : op === "hashkv" ? `revision=${step.revision}` : JSON.stringify(normalize(step.req));
  return `${op} ${body.length > 300 ? body.slice(0, 300) + "…" : body}`;
}
