import { test } from "node:test";
import assert from "node:assert/strict";
import { Compare_CompareResult, Compare_CompareTarget, type ResponseOp, type TxnRequest, type TxnResponse } from "../../gen/etcdserverpb/rpc.js";
import { isEtcdError } from "../../pkg/errors.js";
import { openStore, withEachBackend } from "../../storage/test-support.js";
import { range } from "./range.js";
import { FROM_KEY, b, cmp, delReq, leasesOf, opDel, opPut, opRange, opTxn, putReq, rangeReq, seed, txnReq } from "./test-support.js";
import { isReadOnlyTxn, isSerializableTxn, txn } from "./txn.js";

/** A compact text form of a txn response, for table assertions. */
function show(resp: TxnResponse): string {
  const op = (r: ResponseOp): string => {
    const x = r.response;
    switch (x?.$case) {
      case "responseRange":
        return `range@${x.value.header!.revision}[${x.value.kvs.map((kv) => `${kv.key}=${kv.value}`).join(",")}]`;
      case "responsePut":
        return `put@${x.value.header!.revision}`;
      case "responseDeleteRange":
        return `del@${x.value.header!.revision}:${x.value.deleted}`;
      case "responseTxn":
        return `txn(${x.value.succeeded ? "then" : "else"}@${x.value.header!.revision} ${x.value.responses.map(op).join(" ")})`;
      default:
        return "none";
    }
  };
  return `${resp.succeeded ? "then" : "else"}@${resp.header!.revision} ${resp.responses.map(op).join(" ")}`;
}

test("Txn rule: compares on every target, each result, on existing keys", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    seed(kv, [["k", "v1", 7n], ["k", "v2", 7n]]); // k: create 2, mod 3, version 2, lease 7
    const table: [string, ReturnType<typeof cmp>, boolean][] = [
      ["version =", cmp("k", "version", "=", 2n), true],
      ["version !=", cmp("k", "version", "!=", 2n), false],
      ["version >", cmp("k", "version", ">", 1n), true],
      ["version <", cmp("k", "version", "<", 2n), false],
      ["create =", cmp("k", "createRevision", "=", 2n), true],
      ["create >", cmp("k", "createRevision", ">", 2n), false],
      ["mod =", cmp("k", "modRevision", "=", 3n), true],
      ["mod <", cmp("k", "modRevision", "<", 4n), true],
      ["value =", cmp("k", "value", "=", "v2"), true],
      ["value > (bytes)", cmp("k", "value", ">", "v10"), true],
      ["value <", cmp("k", "value", "<", "v2"), false],
      ["lease =", cmp("k", "lease", "=", 7n), true],
      ["lease !=", cmp("k", "lease", "!=", 0n), true],
    ];
    for (const [rule, c, want] of table) {
      assert.equal(txn(kv, txnReq([c], []), leasesOf()).succeeded, want, rule);
    }
    // A union holding another target's operand compares against 0, as in etcd (version 2 > 0, not > 3).
    const mismatched = { ...cmp("k", "version", ">", 0n), targetUnion: { $case: "modRevision" as const, value: 3n } };
    assert.equal(txn(kv, txnReq([mismatched], []), leasesOf()).succeeded, true);
    assert.equal(txn(kv, txnReq([], []), leasesOf()).succeeded, true, "no compares: success");
    assert.equal(txn(kv, txnReq([cmp("k", "version", "=", 2n), cmp("k", "value", "=", "nope")], []), leasesOf()).succeeded, false, "compares are ANDed");
  }));

test("Txn rule: on a missing key VERSION/CREATE/MOD/LEASE compare against 0 and VALUE always fails", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    const table: [string, ReturnType<typeof cmp>, boolean][] = [
      ["version = 0", cmp("nokey", "version", "=", 0n), true],
      ["create = 0", cmp("nokey", "createRevision", "=", 0n), true],
      ["mod < 1", cmp("nokey", "modRevision", "<", 1n), true],
      ["lease = 0", cmp("nokey", "lease", "=", 0n), true],
      ["version > 0", cmp("nokey", "version", ">", 0n), false],
      ["value = ''", cmp("nokey", "value", "=", ""), false],
      ["value != 'x'", cmp("nokey", "value", "!=", "x"), false],
    ];
    for (const [rule, c, want] of table) assert.equal(txn(kv, txnReq([c], []), leasesOf()).succeeded, want, rule);
  }));

test("Txn rule: a compare with range_end must hold for every key in the range", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    seed(kv, [["a1", "x"], ["a2", "x"], ["a3", "y"]]);
    const table: [string, ReturnType<typeof cmp>, boolean][] = [
      ["all values = x in [a1, a3)", cmp("a1", "value", "=", "x", b("a3")), true],
      ["all values = x in [a1, a4)", cmp("a1", "value", "=", "x", b("a4")), false],
      ["all create > 1 from a1 on", cmp("a1", "createRevision", ">", 1n, FROM_KEY), true],
      ["empty range compares against 0", cmp("b", "version", "=", 0n, b("c")), true],
      ["empty range, value: fails", cmp("b", "value", "=", "", b("c")), false],
    ];
    for (const [rule, c, want] of table) assert.equal(txn(kv, txnReq([c], []), leasesOf()).succeeded, want, rule);
  }));

test("Txn rule: responses of the chosen branch, header revisions, reads see earlier writes", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    seed(kv, [["k", "old"]]); // rev 2
    const table: [string, TxnRequest, string, bigint][] = [
      [
        "then branch: put, then a read sees it at the new revision",
        txnReq([cmp("k", "value", "=", "old")], [opPut(putReq("k", "new")), opRange(rangeReq("k")), opDel(delReq("zz"))], [opRange(rangeReq("k"))]),
        "then@3 put@3 range@3[k=new] del@3:0",
        3n,
      ],
      [
        "else branch runs the failure ops",
        txnReq([cmp("k", "value", "=", "old")], [opPut(putReq("k", "x"))], [opRange(rangeReq("k")), opPut(putReq("j", "1"))]),
        "else@4 range@3[k=new] put@4",
        4n,
      ],
      [
        "read-only txn: header is the current revision",
        txnReq([], [opRange(rangeReq("j")), opRange(rangeReq("k"))]),
        "then@4 range@4[j=1] range@4[k=new]",
        4n,
      ],
      [
        "a write txn that changes nothing keeps the revision",
        txnReq([], [opDel(delReq("nothing")), opRange(rangeReq("k"))]),
        "then@4 del@4:0 range@4[k=new]",
        4n,
      ],
      [
        "delete then read in one txn",
        txnReq([], [opDel(delReq("j")), opRange(rangeReq("j")), opDel(delReq("k"))]),
        "then@5 del@5:1 range@5[] del@5:1",
        5n,
      ],
    ];
    for (const [rule, req, want, rev] of table) {
      assert.equal(show(txn(kv, req, leasesOf())), want, rule);
      assert.equal(kv.rev, rev, `${rule}: store revision`);
    }
  }));

test("Txn rule: nested txns run on the chosen path; their compares see the store before the outer txn", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    seed(kv, [["k", "v"]]); // rev 2
    const inner = txnReq([cmp("k", "value", "=", "v")], [opPut(putReq("inner", "then"))], [opPut(putReq("inner", "else"))]);
    // The outer txn changes k first; the nested compare still sees k = v.
    const req = txnReq([], [opPut(putReq("k", "changed")), opTxn(inner), opRange(rangeReq("inner"))]);
    assert.equal(show(txn(kv, req, leasesOf())), "then@3 put@3 txn(then@0 put@3) range@3[inner=then]");
    // Deeper nesting in the else branch.
    const deep = txnReq(
      [cmp("k", "value", "=", "nope")],
      [opPut(putReq("x", "1"))],
      [opTxn(txnReq([cmp("inner", "version", "=", 1n)], [opTxn(txnReq([], [opPut(putReq("deep", "1"))]))]))],
    );
    assert.equal(show(txn(kv, deep, leasesOf())), "else@4 txn(then@0 txn(then@0 put@4))");
    assert.equal(range(kv, rangeReq("deep")).count, 1n);
  }));

test("Txn rule: puts and ranges on the chosen path are checked before anything is written", () =>
  withEachBackend(async (fx) => {
    const kv = openStore(fx);
    seed(kv, [["k", "v"], ["k", "w"], ["k", "x"]]); // rev 4
    await kv.compact(3n).physical;
    const table: [string, TxnRequest, string][] = [
      ["ignore_value on a missing key", txnReq([], [opPut(putReq("a", "1")), opPut(putReq("missing", "", { ignoreValue: true }))]), "KeyNotFound"],
      ["ignore_lease on a missing key", txnReq([], [opPut(putReq("a", "1")), opPut(putReq("missing", "", { ignoreLease: true }))]), "KeyNotFound"],
      ["unknown lease", txnReq([], [opPut(putReq("a", "1")), opPut(putReq("b", "1", { lease: 42n }))]), "LeaseNotFound"],
      ["range at a future revision", txnReq([], [opPut(putReq("a", "1")), opRange(rangeReq("k", { revision: 5n }))]), "FutureRev"],
      ["range below the compact revision", txnReq([], [opPut(putReq("a", "1")), opRange(rangeReq("k", { revision: 2n }))]), "Compacted"],
      ["negative revision below the compact revision (etcd quirk)", txnReq([], [opRange(rangeReq("k", { revision: -1n }))]), "Compacted"],
      ["check inside a nested txn", txnReq([], [opPut(putReq("a", "1")), opTxn(txnReq([], [opPut(putReq("b", "1", { lease: 9n }))]))]), "LeaseNotFound"],
    ];
    for (const [rule, req, kind] of table) {
      assert.throws(() => txn(kv, req, leasesOf()), (e) => isEtcdError(e, kind as "KeyNotFound"), rule);
      assert.equal(kv.rev, 4n, `${rule}: nothing written`);
    }
    // A failing op on the branch not taken is not checked.
    const notTaken = txnReq([cmp("k", "value", "=", "x")], [opPut(putReq("a", "1"))], [opPut(putReq("b", "1", { lease: 9n }))]);
    assert.equal(txn(kv, notTaken, leasesOf()).succeeded, true);
    // The compact revision itself is readable inside a txn.
    assert.equal(show(txn(kv, txnReq([], [opRange(rangeReq("k", { revision: 3n }))]), leasesOf())), "then@5 range@5[k=w]");
  }));

test("Txn: an ignore_value put under an earlier from-key delete is refused before writing (etcd would panic)", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    seed(kv, [["a", "1"], ["b", "2"]]);
    const req = txnReq([], [opDel(delReq("a", { rangeEnd: FROM_KEY })), opPut(putReq("b", "", { ignoreValue: true }))]);
    assert.throws(() => txn(kv, req, leasesOf()), (e) => isEtcdError(e, "KeyNotFound"));
    assert.equal(range(kv, rangeReq("a", { rangeEnd: FROM_KEY })).count, 2n, "nothing was deleted");
    // Re-put before the ignore_value put: fine.
    const ok = txnReq([], [opDel(delReq("a", { rangeEnd: FROM_KEY })), opPut(putReq("b", "3")), opPut(putReq("a", "", { ignoreValue: true }))]);
    assert.throws(() => txn(kv, ok, leasesOf()), (e) => isEtcdError(e, "KeyNotFound"), "a was deleted and not re-put");
  }));

test("isReadOnlyTxn / isSerializableTxn follow etcd (a nested txn counts as a write)", () => {
  const r = opRange(rangeReq("a"));
  const rs = opRange(rangeReq("a", { serializable: true }));
  assert.equal(isReadOnlyTxn(txnReq([], [r], [r])), true);
  assert.equal(isReadOnlyTxn(txnReq([], [r], [opPut(putReq("a", "b"))])), false);
  assert.equal(isReadOnlyTxn(txnReq([], [opTxn(txnReq([], [r]))])), false);
  assert.equal(isSerializableTxn(txnReq([], [rs], [rs])), true);
  assert.equal(isSerializableTxn(txnReq([], [rs, r])), false);
});

test("Txn: unknown compare result passes and unknown target compares nothing, as in etcd", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    seed(kv, [["k", "v"]]);
    const unknownResult = { ...cmp("k", "version", "=", 5n), result: 9 as Compare_CompareResult };
    assert.equal(txn(kv, txnReq([unknownResult], []), leasesOf()).succeeded, true);
    const unknownTarget = { ...cmp("k", "version", "=", 5n), target: 9 as Compare_CompareTarget };
    assert.equal(txn(kv, txnReq([unknownTarget], []), leasesOf()).succeeded, true);
  }));
