/**
 * Differential test: the same KV request sequence against the real etcd
 * 3.4.23 (over gRPC) and against our storage + txn layer (in process, on
 * the LMDB backend). Every response must be byte-identical on the wire once
 * cluster_id / member_id / raft_term are zeroed (ours are filled by the
 * server, not by this layer); every error must carry etcd's text; HashKV
 * must agree after every step. Skipped when /usr/bin/etcd is missing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CompactionRequest,
  CompactionResponse,
  Compare_CompareResult,
  Compare_CompareTarget,
  DeleteRangeRequest,
  DeleteRangeResponse,
  HashKVRequest,
  LeaseGrantRequest,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeRequest_SortOrder,
  RangeRequest_SortTarget,
  RangeResponse,
  TxnResponse,
  type Compare,
  type RequestOp,
  type ResponseHeader,
  type TxnRequest,
} from "../../src/gen/etcdserverpb/rpc.js";
import { isEtcdError, type ErrorKind } from "../../src/pkg/errors.js";
import { SeededRandom } from "../../src/pkg/random.js";
import { BackendFixture, openStore } from "../../src/storage/test-support.js";
import type { KVStore } from "../../src/storage/mvcc/kvstore.js";
import * as ops from "../../src/server/txn/index.js";
import { RealEtcd, call, realEtcdAvailable } from "./real-etcd.js";

/** etcd's wire text for the kinds this layer raises (etcd rpctypes). */
const MESSAGES: Partial<Record<ErrorKind, string>> = {
  EmptyKey: "etcdserver: key is not provided",
  KeyNotFound: "etcdserver: key not found",
  ValueProvided: "etcdserver: value is provided",
  LeaseProvided: "etcdserver: lease is provided",
  TooManyOps: "etcdserver: too many operations in txn request",
  DuplicateKey: "etcdserver: duplicate key given in txn request",
  Compacted: "etcdserver: mvcc: required revision has been compacted",
  FutureRev: "etcdserver: mvcc: required revision is a future revision",
  LeaseNotFound: "etcdserver: requested lease not found",
};

type Step =
  | { kind: "range"; req: RangeRequest }
  | { kind: "put"; req: PutRequest }
  | { kind: "del"; req: DeleteRangeRequest }
  | { kind: "txn"; req: TxnRequest }
  | { kind: "compact"; req: CompactionRequest }
  | { kind: "hashkv"; rev: bigint };

type Outcome = { ok: true; wire: string } | { ok: false; error: string };

const LEASE_ID = 0x7e57n;

function norm<T extends { header: ResponseHeader | undefined }>(resp: T): T {
  if (resp.header !== undefined) resp.header = { ...resp.header, clusterId: 0n, memberId: 0n, raftTerm: 0n };
  return resp;
}

function wire(step: Step, resp: unknown): string {
  switch (step.kind) {
    case "range":
      return Buffer.from(RangeResponse.encode(norm(resp as RangeResponse)).finish()).toString("hex");
    case "put":
      return Buffer.from(PutResponse.encode(norm(resp as PutResponse)).finish()).toString("hex");
    case "del":
      return Buffer.from(DeleteRangeResponse.encode(norm(resp as DeleteRangeResponse)).finish()).toString("hex");
    case "txn":
      return Buffer.from(TxnResponse.encode(norm(resp as TxnResponse)).finish()).toString("hex");
    case "compact":
      return Buffer.from(CompactionResponse.encode(norm(resp as CompactionResponse)).finish()).toString("hex");
    case "hashkv": {
      const h = resp as { hash: number; compactRevision: bigint; header: ResponseHeader | undefined };
      return `hash=${h.hash} compact=${h.compactRevision} rev=${h.header?.revision}`;
    }
  }
}

async function runOurs(kv: KVStore, step: Step): Promise<Outcome> {
  const leases = { exists: (id: bigint) => id === LEASE_ID };
  try {
    let resp: unknown;
    switch (step.kind) {
      case "range":
        ops.checkRangeRequest(step.req);
        resp = ops.range(kv, step.req);
        break;
      case "put":
        ops.checkPutRequest(step.req);
        resp = ops.put(kv, step.req, leases);
        break;
      case "del":
        ops.checkDeleteRequest(step.req);
        resp = ops.deleteRange(kv, step.req);
        break;
      case "txn":
        ops.checkTxnRequest(step.req, 128);
        resp = ops.txn(kv, step.req, leases);
        break;
      case "compact": {
        const { response, physical } = ops.compaction(kv, step.req);
        if (step.req.physical) await physical;
        resp = response;
        break;
      }
      case "hashkv": {
        const h = kv.hashByRev(step.rev);
        resp = { hash: h.hash, compactRevision: h.compactRevision, header: ops.header(h.currentRevision) };
        break;
      }
    }
    return { ok: true, wire: wire(step, resp) };
  } catch (err) {
    if (!isEtcdError(err)) throw err;
    return { ok: false, error: MESSAGES[err.kind] ?? `unmapped ${err.kind}` };
  }
}

async function runEtcd(etcd: RealEtcd, step: Step): Promise<Outcome> {
  let r: { ok: true; resp: unknown } | { ok: false; error: string };
  switch (step.kind) {
    case "range":
      r = await call(etcd.kv.range.bind(etcd.kv), step.req);
      break;
    case "put":
      r = await call(etcd.kv.put.bind(etcd.kv), step.req);
      break;
    case "del":
      r = await call(etcd.kv.deleteRange.bind(etcd.kv), step.req);
      break;
    case "txn":
      r = await call(etcd.kv.txn.bind(etcd.kv), step.req);
      break;
    case "compact":
      r = await call(etcd.kv.compact.bind(etcd.kv), step.req);
      break;
    case "hashkv":
      r = await call(etcd.maintenance.hashKv.bind(etcd.maintenance), HashKVRequest.fromPartial({ revision: step.rev }));
      break;
  }
  return r.ok ? { ok: true, wire: wire(step, r.resp) } : { ok: false, error: r.error };
}

// ---- scripted steps: one or more per rule of ETCD-SURFACE.md §5 ----

const b = (s: string): Buffer => Buffer.from(s, "latin1");
const Z = Buffer.from([0]);
const rng = (key: string, f: Partial<RangeRequest> = {}): Step => ({ kind: "range", req: RangeRequest.fromPartial({ key: b(key), ...f }) });
const put = (key: string, value: string, f: Partial<PutRequest> = {}): Step => ({ kind: "put", req: PutRequest.fromPartial({ key: b(key), value: b(value), ...f }) });
const del = (key: string, f: Partial<DeleteRangeRequest> = {}): Step => ({ kind: "del", req: DeleteRangeRequest.fromPartial({ key: b(key), ...f }) });
const txn = (compare: Compare[], success: RequestOp[], failure: RequestOp[] = []): Step => ({ kind: "txn", req: { compare, success, failure } });
const op = (s: Step): RequestOp => {
  switch (s.kind) {
    case "range":
      return { request: { $case: "requestRange", value: s.req } };
    case "put":
      return { request: { $case: "requestPut", value: s.req } };
    case "del":
      return { request: { $case: "requestDeleteRange", value: s.req } };
    case "txn":
      return { request: { $case: "requestTxn", value: s.req } };
    default:
      throw new Error("not an op");
  }
};
const cmpOf = (key: string, target: Compare_CompareTarget, result: Compare_CompareResult, operand: bigint | string, rangeEnd: Buffer = Buffer.alloc(0)): Compare => {
  const u: Compare["targetUnion"] =
    target === Compare_CompareTarget.VALUE
      ? { $case: "value", value: b(String(operand)) }
      : target === Compare_CompareTarget.VERSION
        ? { $case: "version", value: BigInt(operand) }
        : target === Compare_CompareTarget.CREATE
          ? { $case: "createRevision", value: BigInt(operand) }
          : target === Compare_CompareTarget.MOD
            ? { $case: "modRevision", value: BigInt(operand) }
            : { $case: "lease", value: BigInt(operand) };
  return { key: b(key), target, result, targetUnion: u, rangeEnd };
};
const T = Compare_CompareTarget;
const R = Compare_CompareResult;

function scripted(): Step[] {
  const s: Step[] = [
    { kind: "hashkv", rev: 0n },
    rng("a"),
    put("a", "1"), put("b", "2", { prevKv: true }), put("a", "3", { prevKv: true }), put("c", "4", { lease: LEASE_ID }),
    put("d", "", { ignoreValue: true }), put("a", "x", { ignoreValue: true }), put("a", "", { ignoreValue: true }),
    put("a", "", { ignoreLease: true, lease: 5n }), put("c", "5", { ignoreLease: true }), put("a", "6", { lease: 999n }),
    put("", "empty"), rng(""), del(""),
    rng("a", { rangeEnd: Z }), rng("\0", { rangeEnd: Z }), rng("b", { rangeEnd: b("a") }), rng("a", { rangeEnd: b("b") }),
    rng("a", { rangeEnd: Z, limit: 1n }), rng("a", { rangeEnd: Z, limit: 3n }), rng("a", { rangeEnd: Z, countOnly: true }),
    rng("a", { rangeEnd: Z, keysOnly: true }), rng("a", { revision: 2n }), rng("a", { revision: 100n }), rng("a", { revision: -1n }),
    rng("a", { rangeEnd: Z, sortTarget: RangeRequest_SortTarget.MOD, sortOrder: RangeRequest_SortOrder.NONE }),
    rng("a", { rangeEnd: Z, sortTarget: RangeRequest_SortTarget.VALUE, sortOrder: RangeRequest_SortOrder.DESCEND, limit: 2n }),
    rng("a", { rangeEnd: Z, sortTarget: RangeRequest_SortTarget.CREATE, sortOrder: RangeRequest_SortOrder.DESCEND }),
    rng("a", { rangeEnd: Z, sortTarget: RangeRequest_SortTarget.KEY, sortOrder: RangeRequest_SortOrder.DESCEND }),
    rng("a", { rangeEnd: Z, sortTarget: RangeRequest_SortTarget.VERSION }),
    rng("a", { rangeEnd: Z, minModRevision: 4n, maxModRevision: 8n }), rng("a", { rangeEnd: Z, minCreateRevision: 3n, limit: 1n }),
    rng("a", { rangeEnd: Z, maxCreateRevision: 2n, countOnly: true }),
    txn([cmpOf("a", T.VALUE, R.EQUAL, "3")], [op(put("a", "t1")), op(rng("a")), op(del("zz"))], [op(rng("b"))]),
    txn([cmpOf("a", T.VALUE, R.EQUAL, "3")], [op(put("a", "t2"))], [op(rng("a", { rangeEnd: Z })), op(put("e", "1"))]),
    txn([cmpOf("nokey", T.VERSION, R.EQUAL, 0n), cmpOf("nokey", T.CREATE, R.LESS, 1n), cmpOf("nokey", T.LEASE, R.EQUAL, 0n)], [op(rng("a"))]),
    txn([cmpOf("nokey", T.VALUE, R.NOT_EQUAL, "x")], [op(rng("a"))], [op(rng("b"))]),
    txn([cmpOf("a", T.MOD, R.GREATER, 0n, Z)], [op(rng("a", { rangeEnd: Z, limit: 2n }))]),
    txn([cmpOf("c", T.LEASE, R.EQUAL, LEASE_ID)], [op(put("c", "6", { ignoreLease: true, prevKv: true }))]),
    txn([], [op(put("f", "1")), op(txn([cmpOf("f", T.VERSION, R.EQUAL, 0n)], [op(put("g", "then"))], [op(put("g", "else"))])), op(rng("f", { rangeEnd: b("h") }))]),
    txn([], [op(del("f")), op(rng("f")), op(del("g", { prevKv: true }))]),
    txn([], [op(put("h", "1")), op(put("h", "2"))]),
    txn([], [op(del("a", { rangeEnd: b("c") })), op(put("b", "1"))]),
    txn([], [op(del("a", { rangeEnd: Z })), op(put("b", "1"))], []),
    txn([], [op(txn([], [op(put("x", "1"))])), op(txn([], [op(del("x"))]))]),
    txn([], [op(txn([], [op(del("x"))])), op(txn([], [op(put("x", "1"))]))]),
    txn([], [op(txn([], [op(put("y", "1"))], [op(put("y", "2"))]))]),
    txn([], [op(put("z", "", { ignoreValue: true }))]),
    txn([], [op(put("z", "1", { lease: 12345n }))]),
    txn([], [op(rng("a", { revision: 1000n }))]),
    txn([], [op(rng("a", { revision: -5n }))]),
    txn([cmpOf("", T.VERSION, R.EQUAL, 0n)], []),
    txn([], [{ request: undefined }]),
    txn([], Array.from({ length: 129 }, (_, i) => op(put(`m${i}`, "v")))),
    txn([], Array.from({ length: 100 }, (_, i) => op(put(`n${i}`, "v")))),
    txn([], [...Array.from({ length: 100 }, (_, i) => op(rng(`o${i}`))), op(txn([], Array.from({ length: 29 }, (_, i) => op(rng(`p${i}`)))))]),
    txn([], [op(rng("a")), op(put("a", "1", { ignoreValue: true }))]),
    del("n1", { rangeEnd: b("n5"), prevKv: true }), del("nothing"), del("n", { rangeEnd: Z }),
    { kind: "hashkv", rev: 0n }, { kind: "hashkv", rev: 5n }, { kind: "hashkv", rev: 10_000n },
    { kind: "compact", req: CompactionRequest.fromPartial({ revision: 10_000n }) },
    { kind: "compact", req: CompactionRequest.fromPartial({ revision: 12n, physical: true }) },
    { kind: "compact", req: CompactionRequest.fromPartial({ revision: 12n }) },
    { kind: "compact", req: CompactionRequest.fromPartial({ revision: 11n }) },
    rng("a", { revision: 11n }), rng("a", { revision: 12n }), rng("a", { rangeEnd: Z, revision: 13n }),
    txn([], [op(rng("a", { revision: 12n }))]), txn([], [op(rng("a", { revision: 11n }))]), txn([], [op(rng("a", { revision: -1n }))]),
    { kind: "hashkv", rev: 0n }, { kind: "hashkv", rev: 12n }, { kind: "hashkv", rev: 13n }, { kind: "hashkv", rev: -1n },
  ];
  return s;
}

// ---- random steps ----

const KEYS = ["a", "ab", "b", "c", "c\0", "\x7f", "\x80", "\xff"];

function randomStep(r: SeededRandom, rev: bigint, compactRev: bigint, depth = 0): Step {
  const key = KEYS[r.intn(KEYS.length)]!;
  const end = (): Buffer => [Buffer.alloc(0), Z, b(KEYS[r.intn(KEYS.length)]!)][r.intn(3)] as Buffer;
  // Top level: put 30%, delete 15%, range 25%, txn 20%, compact 4%, hashkv 6%; inside a txn only the first three.
  const roll = r.intn(100);
  const pick = depth > 0 ? r.intn(3) : roll < 30 ? 0 : roll < 45 ? 1 : roll < 70 ? 2 : roll < 90 ? 3 : roll < 94 ? 4 : 5;
  switch (pick) {
    case 0: {
      const f: Partial<PutRequest> = { prevKv: r.intn(2) === 0 };
      if (r.intn(5) === 0) f.ignoreValue = true;
      if (r.intn(5) === 0) f.ignoreLease = true;
      else if (r.intn(4) === 0) f.lease = r.intn(5) === 0 ? 4242n : LEASE_ID;
      return put(key, f.ignoreValue ? "" : `v${r.intn(100)}`, f);
    }
    case 1:
      return del(key, { rangeEnd: end(), prevKv: r.intn(2) === 0 });
    case 2: {
      const f: Partial<RangeRequest> = { rangeEnd: end() };
      if (r.intn(2) === 0) f.limit = BigInt(r.intn(4));
      if (r.intn(3) === 0) f.revision = BigInt(r.intn(Number(rev) + 3)) - 1n;
      if (r.intn(3) === 0) f.sortTarget = r.intn(5) as RangeRequest_SortTarget;
      if (r.intn(3) === 0) f.sortOrder = r.intn(3) as RangeRequest_SortOrder;
      if (r.intn(5) === 0) f.keysOnly = true;
      if (r.intn(6) === 0) f.countOnly = true;
      if (r.intn(5) === 0) f.minModRevision = BigInt(r.intn(Number(rev) + 1));
      if (r.intn(5) === 0) f.maxCreateRevision = BigInt(r.intn(Number(rev) + 1));
      return rng(key, f);
    }
    case 3: {
      const compares = Array.from({ length: r.intn(3) }, () => {
        const target = r.intn(5) as Compare_CompareTarget;
        const operand = target === T.VALUE ? `v${r.intn(100)}` : BigInt(r.intn(Number(rev) + 2));
        const rangeEnd: Buffer = r.intn(3) === 0 ? end() : Buffer.alloc(0);
        return cmpOf(KEYS[r.intn(KEYS.length)]!, target, r.intn(4) as Compare_CompareResult, operand, rangeEnd);
      });
      const branch = (): RequestOp[] => Array.from({ length: r.intn(4) }, () => op(randomStep(r, rev, compactRev, depth + 1)));
      return txn(compares, branch(), branch());
    }
    case 4: {
      // Mostly a revision that can be compacted, sometimes one that cannot.
      const floor = compactRev < 0n ? 0n : compactRev;
      const at = r.intn(4) === 0 ? BigInt(r.intn(Number(rev) + 2)) : floor + 1n + BigInt(r.intn(Math.max(1, Number(rev - floor))));
      return { kind: "compact", req: CompactionRequest.fromPartial({ revision: at, physical: true }) };
    }
    default: {
      const floor = compactRev < 0n ? 0n : compactRev;
      const at = r.intn(4) === 0 ? BigInt(r.intn(Number(rev) + 2)) : floor + 1n + BigInt(r.intn(Math.max(1, Number(rev - floor))));
      return { kind: "hashkv", rev: at };
    }
  }
}

test("KV semantics and HashKV match the real etcd 3.4.23, scripted and random", { skip: !realEtcdAvailable() && "no /usr/bin/etcd" }, async () => {
  const etcd = await RealEtcd.start();
  const fx = new BackendFixture("lmdb");
  let kv = openStore(fx);
  try {
    const grant = await call(etcd.lease.leaseGrant.bind(etcd.lease), LeaseGrantRequest.fromPartial({ ID: LEASE_ID, TTL: 3600n }));
    assert.ok(grant.ok, "lease grant on etcd");
    const script = scripted();
    const r = new SeededRandom(2024);
    const total = script.length + 600;
    let mismatches = 0;
    const tally = new Map<string, number>();
    for (let i = 0; i < total; i++) {
      if (i === script.length + 300) {
        // Restart our side: restore from the LMDB file must keep us in step with etcd.
        await kv.close();
        await fx.reopen();
        kv = openStore(fx);
      }
      // Random steps are drawn against the live revisions, so they hit readable history.
      const step = i < script.length ? script[i]! : randomStep(r, kv.rev, kv.compactRev);
      const want = await runEtcd(etcd, step);
      const got = await runOurs(kv, step);
      const label = want.ok ? `${step.kind} ok` : `${step.kind} ${want.error}`;
      tally.set(label, (tally.get(label) ?? 0) + 1);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        mismatches++;
        console.error(`step ${i} ${step.kind}: etcd ${JSON.stringify(want)}\n  ours ${JSON.stringify(got)}`);
      }
      const hashes = [await runEtcd(etcd, { kind: "hashkv", rev: 0n }), await runOurs(kv, { kind: "hashkv", rev: 0n })];
      assert.deepEqual(hashes[1], hashes[0], `HashKV after step ${i} (${step.kind})`);
    }
    console.error(`final revision ${kv.rev}; outcomes:`, Object.fromEntries([...tally].sort(([a], [b]) => a.localeCompare(b))));
    assert.equal(mismatches, 0, `${mismatches} of ${total} steps differ`);
  } finally {
    await kv.close();
    await fx.cleanup();
    await etcd.stop();
  }
});
