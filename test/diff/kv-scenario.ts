/**
 * One long sequence of KV requests covering the rules of ETCD-SURFACE.md §5.
 * The differential test runs it against real etcd and against ours, from a
 * fresh data dir each, and compares every answer (or error) field by field.
 */
import {
  Compare,
  Compare_CompareResult as Result,
  Compare_CompareTarget as Target,
  RangeRequest_SortOrder as Order,
  RangeRequest_SortTarget as SortBy,
  type CompactionRequest,
  type DeleteRangeRequest,
  type PutRequest,
  type RangeRequest,
  type RequestOp,
  type TxnRequest,
} from "../../src/gen/etcdserverpb/rpc.js";

export type Step =
  | { op: "put"; req: Partial<PutRequest> }
  | { op: "range"; req: Partial<RangeRequest> }
  | { op: "delete"; req: Partial<DeleteRangeRequest> }
  | { op: "txn"; req: Partial<TxnRequest> }
  | { op: "compact"; req: Partial<CompactionRequest> }
  | { op: "hashkv"; revision: bigint }
  | { op: "status" };

const b = (s: string): Buffer => Buffer.from(s, "latin1");
const ALL = b("\0");

function cmp(key: string, target: Target, result: Result, value: bigint | string, rangeEnd?: string): Compare {
  const union: Compare["targetUnion"] =
    target === Target.VALUE
      ? { $case: "value", value: b(String(value)) }
      : target === Target.VERSION
        ? { $case: "version", value: BigInt(value) }
        : target === Target.CREATE
          ? { $case: "createRevision", value: BigInt(value) }
          : target === Target.MOD
            ? { $case: "modRevision", value: BigInt(value) }
            : { $case: "lease", value: BigInt(value) };
  return Compare.fromPartial({ key: b(key), target, result, targetUnion: union, rangeEnd: rangeEnd === undefined ? Buffer.alloc(0) : b(rangeEnd) });
}

const opPut = (key: string, value: string, extra: Partial<PutRequest> = {}): RequestOp => ({ request: { $case: "requestPut", value: { key: b(key), value: b(value), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false, ...extra } } });
const opGet = (key: string, extra: Partial<RangeRequest> = {}): RequestOp => ({ request: { $case: "requestRange", value: rangeReq({ key: b(key), ...extra }) } });
const opDel = (key: string, rangeEnd?: string, prevKv = false): RequestOp => ({ request: { $case: "requestDeleteRange", value: { key: b(key), rangeEnd: rangeEnd === undefined ? Buffer.alloc(0) : b(rangeEnd), prevKv } } });
const opTxn = (t: Partial<TxnRequest>): RequestOp => ({ request: { $case: "requestTxn", value: { compare: [], success: [], failure: [], ...t } } });

function rangeReq(r: Partial<RangeRequest>): RangeRequest {
  return {
    key: Buffer.alloc(0), rangeEnd: Buffer.alloc(0), limit: 0n, revision: 0n, sortOrder: Order.NONE, sortTarget: SortBy.KEY,
    serializable: false, keysOnly: false, countOnly: false, minModRevision: 0n, maxModRevision: 0n, minCreateRevision: 0n, maxCreateRevision: 0n,
    ...r,
  };
}

export function kvScenario(): Step[] {
  const s: Step[] = [];
  const put = (key: string, value: string, extra: Partial<PutRequest> = {}): void => void s.push({ op: "put", req: { key: b(key), value: b(value), ...extra } });
  const get = (key: string, extra: Partial<RangeRequest> = {}): void => void s.push({ op: "range", req: { key: b(key), ...extra } });
  const del = (key: string, extra: Partial<DeleteRangeRequest> = {}): void => void s.push({ op: "delete", req: { key: b(key), ...extra } });
  const txn = (t: Partial<TxnRequest>): void => void s.push({ op: "txn", req: t });

  // Empty store: revision 1, nothing found, no-ops do not bump the revision.
  s.push({ op: "status" });
  get("a");
  get("", { rangeEnd: ALL });
  del("a");
  del("a", { rangeEnd: b("z") });
  txn({ compare: [], success: [opGet("a")], failure: [] });
  s.push({ op: "hashkv", revision: 0n });

  // Put: create revision kept, version counts, prev_kv.
  put("a", "1");
  put("a", "2", { prevKv: true });
  put("b", "1", { prevKv: true });
  put("ab", "x");
  put("a\xff", "ff");
  put("b\xff\xff", "ffff");
  put("\xff", "top");
  put("c", "");
  get("a");
  get("a", { revision: 2n });
  get("a", { revision: 100n });
  get("a", { keysOnly: true });
  get("a", { countOnly: true });

  // Range-end conventions: single key, [key, end), "\0" = from key, prefix ends.
  get("a", { rangeEnd: b("b") });
  get("a", { rangeEnd: b("c") });
  get("a", { rangeEnd: ALL });
  get("\0", { rangeEnd: ALL });
  get("b", { rangeEnd: b("c") });
  get("a\xff", { rangeEnd: b("b") });
  get("\xff", { rangeEnd: ALL });
  get("c", { rangeEnd: b("a") });

  // Limit, more, count (count ignores limit and filters).
  for (const limit of [1n, 2n, 3n, 100n]) get("", { rangeEnd: ALL, limit });
  get("a", { rangeEnd: b("c"), limit: 2n, countOnly: true });

  // Sorting: every target and order, including the NONE rules.
  for (const sortTarget of [SortBy.KEY, SortBy.VERSION, SortBy.CREATE, SortBy.MOD, SortBy.VALUE]) {
    for (const sortOrder of [Order.NONE, Order.ASCEND, Order.DESCEND]) {
      get("", { rangeEnd: ALL, sortTarget, sortOrder });
      get("", { rangeEnd: ALL, sortTarget, sortOrder, limit: 2n });
    }
  }

  // Min/max mod and create revision filters, inclusive; count unaffected.
  get("", { rangeEnd: ALL, minModRevision: 3n });
  get("", { rangeEnd: ALL, maxModRevision: 3n });
  get("", { rangeEnd: ALL, minCreateRevision: 4n, maxCreateRevision: 6n });
  get("", { rangeEnd: ALL, minModRevision: 4n, limit: 1n });

  // Put options and their errors.
  put("a", "", { ignoreValue: true });
  put("zz", "", { ignoreValue: true });
  put("a", "v", { ignoreValue: true });
  put("a", "3", { ignoreLease: true });
  put("zz", "3", { ignoreLease: true });
  put("a", "3", { ignoreLease: true, lease: 5n });
  put("a", "3", { lease: 12345n });
  put("", "empty key");
  get("");
  get("", { rangeEnd: b("a") });

  // Delete: prev_kv, ranges, counts; deleting nothing keeps the revision.
  del("b", { prevKv: true });
  del("b");
  del("a", { rangeEnd: b("ac"), prevKv: true });
  get("", { rangeEnd: ALL });
  put("a", "reborn");
  get("a");

  // Txn: compares on every target, missing keys, range_end, branches.
  txn({ compare: [cmp("a", Target.VALUE, Result.EQUAL, "reborn")], success: [opPut("t1", "s")], failure: [opPut("t1", "f")] });
  txn({ compare: [cmp("a", Target.VALUE, Result.NOT_EQUAL, "reborn")], success: [opPut("t1", "s")], failure: [opPut("t1", "f")] });
  txn({ compare: [cmp("missing", Target.VERSION, Result.EQUAL, 0n)], success: [opGet("missing")], failure: [] });
  txn({ compare: [cmp("missing", Target.CREATE, Result.EQUAL, 0n)], success: [opGet("a")], failure: [opGet("b")] });
  txn({ compare: [cmp("missing", Target.MOD, Result.LESS, 1n)], success: [opGet("a")], failure: [opGet("b")] });
  txn({ compare: [cmp("missing", Target.LEASE, Result.EQUAL, 0n)], success: [opGet("a")], failure: [opGet("b")] });
  txn({ compare: [cmp("missing", Target.VALUE, Result.EQUAL, "")], success: [opGet("a")], failure: [opGet("b")] });
  txn({ compare: [cmp("missing", Target.VALUE, Result.NOT_EQUAL, "x")], success: [opGet("a")], failure: [opGet("b")] });
  txn({ compare: [cmp("a", Target.VERSION, Result.GREATER, 0n), cmp("t1", Target.MOD, Result.GREATER, 0n)], success: [opGet("t1")], failure: [] });
  txn({ compare: [cmp("a", Target.CREATE, Result.LESS, 1000n)], success: [opDel("t1", undefined, true), opGet("t1")], failure: [] });
  txn({ compare: [cmp("a", Target.MOD, Result.EQUAL, 0n, "\0")], success: [], failure: [opGet("", { rangeEnd: ALL, countOnly: true })] });
  txn({ compare: [cmp("a", Target.VERSION, Result.GREATER, 0n, "b")], success: [opPut("in-range", "1")], failure: [] });
  txn({ compare: [cmp("x", Target.VERSION, Result.EQUAL, 0n, "y")], success: [opPut("x1", "1"), opGet("x", { rangeEnd: b("y") })], failure: [] });
  // Reads inside a txn see its earlier writes; nested txns.
  txn({ compare: [], success: [opPut("w", "1"), opGet("w"), opPut("w2", "2"), opGet("w", { rangeEnd: b("x") })], failure: [] });
  txn({ compare: [], success: [opTxn({ compare: [cmp("w", Target.VALUE, Result.EQUAL, "1")], success: [opPut("n1", "ok"), opTxn({ success: [opGet("n1")] })], failure: [opPut("n1", "no")] }), opGet("n1")], failure: [] });
  // Duplicate keys and op limits.
  txn({ compare: [], success: [opPut("d", "1"), opPut("d", "2")], failure: [] });
  txn({ compare: [], success: [opPut("d", "1"), opDel("d")], failure: [] });
  txn({ compare: [], success: [opPut("d1", "1"), opDel("d", "e")], failure: [] });
  txn({ compare: [], success: [opDel("d", "e"), opPut("dz", "1")], failure: [] });
  txn({ compare: [], success: [opPut("d", "1")], failure: [opPut("d", "2")] });
  txn({ compare: [], success: [opPut("d", "1"), opTxn({ success: [opPut("d", "2")] })], failure: [] });
  txn({ compare: [], success: [opTxn({ success: [opPut("d", "1")] }), opTxn({ success: [opPut("d", "2")] })], failure: [] });
  txn({ compare: [], success: [opTxn({ success: [opPut("d", "1")] }), opTxn({ failure: [opPut("d", "2")] })], failure: [] });
  txn({ compare: [], success: [opDel("d"), opDel("d")], failure: [] });
  txn({ compare: [], success: Array.from({ length: 128 }, (_, i) => opPut(`m${i}`, "v")), failure: [] });
  txn({ compare: [], success: Array.from({ length: 129 }, (_, i) => opPut(`n${i}`, "v")), failure: [] });
  txn({ compare: Array.from({ length: 129 }, () => cmp("a", Target.VERSION, Result.GREATER, 0n)), success: [], failure: [] });
  txn({ compare: [], success: [opPut("", "x")], failure: [] });
  txn({ compare: [], success: [opPut("e", "x", { lease: 99n })], failure: [] });
  txn({ compare: [], success: [opGet("a", { revision: 1000n })], failure: [] });
  get("", { rangeEnd: ALL, countOnly: true });

  // Compaction: future, current, compacted, and reads at and below the compact revision.
  s.push({ op: "hashkv", revision: 0n });
  s.push({ op: "hashkv", revision: 5n });
  s.push({ op: "compact", req: { revision: 1000n } });
  s.push({ op: "compact", req: { revision: 5n } });
  s.push({ op: "compact", req: { revision: 5n } });
  s.push({ op: "compact", req: { revision: 4n } });
  get("a", { revision: 4n });
  get("a", { revision: 5n });
  get("", { rangeEnd: ALL, revision: 6n });
  s.push({ op: "hashkv", revision: 0n });
  s.push({ op: "hashkv", revision: 4n });
  s.push({ op: "hashkv", revision: 7n });
  txn({ compare: [], success: [opGet("a", { revision: 3n })], failure: [] });
  s.push({ op: "compact", req: { revision: 10n, physical: true } });
  get("", { rangeEnd: ALL, revision: 10n });
  put("after", "compact");
  s.push({ op: "hashkv", revision: 0n });
  s.push({ op: "status" });
  return s;
}
