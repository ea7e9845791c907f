/**
 * Txn as etcd applies it (etcd `applierV3backend.Txn`):
 *
 * 1. Evaluate the compares of this txn AND of every nested txn on the
 *    chosen branches, all against the store as it was before the txn (a
 *    nested txn's compares do not see the outer txn's writes).
 * 2. On the chosen path, check every put (ignore_value/ignore_lease need an
 *    existing key, a lease must exist) and every range (revision not in the
 *    future nor compacted) before anything is written.
 * 3. Run the ops of the chosen branches in order in ONE write txn (a
 *    read-only txn uses a read view); reads see earlier writes of the txn.
 *
 * The response lists the responses of the chosen branch; the header
 * revision is the txn's new revision when it changed something, else the
 * current one. Nested txn responses carry an empty header, as in etcd.
 * @module
 */

import type { RequestOp, ResponseOp, TxnRequest, TxnResponse } from "../../gen/etcdserverpb/rpc.js";
import { EtcdError } from "../../pkg/errors.js";
import type { ReadView, TxnWrite } from "../../storage/mvcc/types.js";
import { applyCompares } from "./compare.js";
import { header } from "./header.js";
import type { KV } from "./kv.js";
import type { LeaseLookup } from "./leases.js";
import { deleteRangeInTxn, putInTxn } from "./put.js";
import { range } from "./range.js";

/** The branch each txn on the executed path takes, nested txns in op order. */
interface TxnPath {
  succeeded: boolean;
  nested: TxnPath[];
}

/** True when no branch holds anything but ranges (etcd `isTxnReadonly`): such a txn writes nothing. */
export function isReadOnlyTxn(req: TxnRequest): boolean {
  return [...req.success, ...req.failure].every((op) => op.request?.$case === "requestRange");
}

/** True when the txn is read-only and every range is serializable (etcd `isSerializableTxn`). */
export function isSerializableTxn(req: TxnRequest): boolean {
  return [...req.success, ...req.failure].every((op) => op.request?.$case === "requestRange" && op.request.value.serializable);
}

export function txn(kv: KV, req: TxnRequest, leases: LeaseLookup): TxnResponse {
  const view = kv.read();
  const path = compareToPath(view, req);
  const readOnly = isReadOnlyTxn(req);
  if (!readOnly) forEachOnPath(req, path, (op) => checkPut(view, op, leases));
  forEachOnPath(req, path, (op) => checkRange(view, op));
  if (!readOnly) checkPutsSurviveEarlierDeletes(req, path);

  if (readOnly) {
    const responses = execute(view, undefined, req, path);
    return { header: header(view.rev), succeeded: path.succeeded, responses };
  }
  const w = kv.write();
  let responses: ResponseOp[];
  try {
    responses = execute(w, w, req, path);
  } finally {
    w.end();
  }
  const rev = w.changes().length > 0 ? w.rev + 1n : w.rev;
  return { header: header(rev), succeeded: path.succeeded, responses };
}

function branch(req: TxnRequest, succeeded: boolean): RequestOp[] {
  return succeeded ? req.success : req.failure;
}

function compareToPath(view: ReadView, req: TxnRequest): TxnPath {
  const succeeded = applyCompares(view, req.compare);
  const nested: TxnPath[] = [];
  for (const op of branch(req, succeeded)) {
    if (op.request?.$case === "requestTxn") nested.push(compareToPath(view, op.request.value));
  }
  return { succeeded, nested };
}

/** Visits the non-txn ops of the executed path, in execution order. */
function forEachOnPath(req: TxnRequest, path: TxnPath, visit: (op: RequestOp) => void): void {
  let n = 0;
  for (const op of branch(req, path.succeeded)) {
    if (op.request?.$case === "requestTxn") forEachOnPath(op.request.value, path.nested[n++]!, visit);
    else visit(op);
  }
}

function checkPut(view: ReadView, op: RequestOp, leases: LeaseLookup): void {
  if (op.request?.$case !== "requestPut") return;
  const p = op.request.value;
  if ((p.ignoreValue || p.ignoreLease) && view.range(p.key, undefined).kvs.length === 0) throw new EtcdError("KeyNotFound");
  if (p.lease !== 0n && !leases.exists(p.lease)) throw new EtcdError("LeaseNotFound");
}

function checkRange(view: ReadView, op: RequestOp): void {
  if (op.request?.$case !== "requestRange") return;
  const rev = op.request.value.revision;
  if (rev === 0n) return;
  if (rev > view.rev) throw new EtcdError("FutureRev");
  // As etcd: compared with the compact revision (-1 if none), so a negative revision below it is "compacted".
  if (rev < view.compactRev) throw new EtcdError("Compacted");
}

/**
 * An ignore_value/ignore_lease put whose key an earlier delete of the same
 * txn removed would fail halfway through the txn. etcd's duplicate-key
 * check misses this only for deletes with range_end "\0", and etcd then
 * panics; we refuse the txn with `KeyNotFound` before writing anything.
 */
function checkPutsSurviveEarlierDeletes(req: TxnRequest, path: TxnPath): void {
  const deletes: { key: Buffer; end: Buffer; at: number }[] = [];
  const lastPut = new Map<string, number>();
  let step = 0;
  forEachOnPath(req, path, (op) => {
    step++;
    const r = op.request;
    if (r?.$case === "requestDeleteRange") deletes.push({ key: r.value.key, end: r.value.rangeEnd, at: step });
    if (r?.$case !== "requestPut") return;
    const k = r.value.key;
    if (r.value.ignoreValue || r.value.ignoreLease) {
      const deletedAt = Math.max(0, ...deletes.filter((d) => covers(d.key, d.end, k)).map((d) => d.at));
      if (deletedAt > (lastPut.get(k.toString("latin1")) ?? 0)) throw new EtcdError("KeyNotFound");
    }
    lastPut.set(k.toString("latin1"), step);
  });
}

function covers(key: Buffer, end: Buffer, k: Buffer): boolean {
  if (end.length === 0) return key.equals(k);
  if (end.length === 1 && end[0] === 0) return Buffer.compare(k, key) >= 0;
  return Buffer.compare(k, key) >= 0 && Buffer.compare(k, end) < 0;
}

/** Runs the chosen branch; `w` is the write txn (absent for a read-only txn). */
function execute(view: ReadView, w: TxnWrite | undefined, req: TxnRequest, path: TxnPath): ResponseOp[] {
  const out: ResponseOp[] = [];
  let n = 0;
  for (const op of branch(req, path.succeeded)) {
    const r = op.request;
    switch (r?.$case) {
      case "requestRange":
        out.push({ response: { $case: "responseRange", value: range(view, r.value) } });
        break;
      case "requestPut":
        out.push({ response: { $case: "responsePut", value: putInTxn(writer(w), r.value) } });
        break;
      case "requestDeleteRange":
        out.push({ response: { $case: "responseDeleteRange", value: deleteRangeInTxn(writer(w), r.value) } });
        break;
      case "requestTxn": {
        const sub = path.nested[n++]!;
        const responses = execute(view, w, r.value, sub);
        out.push({ response: { $case: "responseTxn", value: { header: header(0n), succeeded: sub.succeeded, responses } } });
        break;
      }
      default:
        // An empty op (refused by validation); etcd leaves a nil response.
        out.push({ response: undefined });
    }
  }
  return out;
}

function writer(w: TxnWrite | undefined): TxnWrite {
  if (w === undefined) throw new Error("txn: write op in a read-only txn");
  return w;
}
