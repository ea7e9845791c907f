import { test } from "node:test";
import assert from "node:assert/strict";
import type { RequestOp, TxnRequest } from "../../gen/etcdserverpb/rpc.js";
import { isEtcdError, type ErrorKind } from "../../pkg/errors.js";
import { FROM_KEY, b, cmp, delReq, opDel, opPut, opRange, opTxn, putReq, rangeReq, txnReq } from "./test-support.js";
import { checkDeleteRequest, checkPutRequest, checkRangeRequest, checkTxnRequest } from "./validate.js";

function expectKind(fn: () => void, kind: ErrorKind | "ok", rule: string): void {
  if (kind === "ok") {
    assert.doesNotThrow(fn, rule);
    return;
  }
  assert.throws(fn, (e) => isEtcdError(e, kind), rule);
}

const puts = (n: number, prefix = "k"): RequestOp[] => Array.from({ length: n }, (_, i) => opPut(putReq(`${prefix}${i}`, "v")));

test("Validation rule: empty key is refused for range, put, delete and txn compares/ops", () => {
  const table: [string, () => void, ErrorKind | "ok"][] = [
    ["range with empty key", () => checkRangeRequest(rangeReq("")), "EmptyKey"],
    ["range with key", () => checkRangeRequest(rangeReq("a")), "ok"],
    ["put with empty key", () => checkPutRequest(putReq("", "v")), "EmptyKey"],
    ["delete with empty key", () => checkDeleteRequest(delReq("")), "EmptyKey"],
    ["delete with empty key even with a range end", () => checkDeleteRequest(delReq("", { rangeEnd: FROM_KEY })), "EmptyKey"],
    ["txn compare with empty key", () => checkTxnRequest(txnReq([cmp("", "version", "=", 0n)], []), 128), "EmptyKey"],
    ["txn op with empty key", () => checkTxnRequest(txnReq([], [opRange(rangeReq(""))]), 128), "EmptyKey"],
    ["nested txn op with empty key", () => checkTxnRequest(txnReq([], [opTxn(txnReq([], [], [opDel(delReq(""))]))]), 128), "EmptyKey"],
  ];
  for (const [rule, fn, kind] of table) expectKind(fn, kind, rule);
});

test("Validation rule: ignore_value with a value / ignore_lease with a lease are refused", () => {
  const table: [string, () => void, ErrorKind | "ok"][] = [
    ["ignore_value with a value", () => checkPutRequest(putReq("k", "v", { ignoreValue: true })), "ValueProvided"],
    ["ignore_value without a value", () => checkPutRequest(putReq("k", "", { ignoreValue: true })), "ok"],
    ["ignore_lease with a lease", () => checkPutRequest(putReq("k", "v", { ignoreLease: true, lease: 1n })), "LeaseProvided"],
    ["ignore_lease without a lease", () => checkPutRequest(putReq("k", "v", { ignoreLease: true })), "ok"],
    ["inside a txn", () => checkTxnRequest(txnReq([], [opPut(putReq("k", "v", { ignoreValue: true }))]), 128), "ValueProvided"],
  ];
  for (const [rule, fn, kind] of table) expectKind(fn, kind, rule);
});

test("Validation rule: the 128-op limit counts max(compares, success, failure) per level, nested txns get the rest", () => {
  const cmps = (n: number) => Array.from({ length: n }, (_, i) => cmp(`c${i}`, "version", "=", 0n));
  const table: [string, TxnRequest, number, ErrorKind | "ok"][] = [
    ["128 puts", txnReq([], puts(128)), 128, "ok"],
    ["129 puts", txnReq([], puts(129)), 128, "TooManyOps"],
    ["129 compares", txnReq(cmps(129), []), 128, "TooManyOps"],
    ["129 failure ops", txnReq([], [], puts(129)), 128, "TooManyOps"],
    ["128 in each list is fine (max, not sum)", txnReq(cmps(128), puts(128), puts(128, "f")), 128, "ok"],
    ["custom --max-txn-ops", txnReq([], puts(3)), 2, "TooManyOps"],
    ["nested: 100 + 28 fits", txnReq([], [...puts(99), opTxn(txnReq([], puts(28, "n")))]), 128, "ok"],
    ["nested: 100 + 29 does not", txnReq([], [...puts(99), opTxn(txnReq([], puts(29, "n")))]), 128, "TooManyOps"],
    ["nested budget uses the parent's max list", txnReq(cmps(120), [opTxn(txnReq([], puts(9, "n")))]), 128, "TooManyOps"],
  ];
  for (const [rule, req, max, kind] of table) expectKind(() => checkTxnRequest(req, max), kind, rule);
});

test("Validation rule: an empty op in a txn is refused as 'key not found'", () => {
  expectKind(() => checkTxnRequest(txnReq([], [{ request: undefined }]), 128), "KeyNotFound", "empty success op");
  expectKind(() => checkTxnRequest(txnReq([], [], [{ request: undefined }]), 128), "KeyNotFound", "empty failure op");
});

test("Validation rule: duplicate keys — same key put twice, or put under a delete, in one txn", () => {
  const table: [string, TxnRequest, ErrorKind | "ok"][] = [
    ["same key put twice", txnReq([], [opPut(putReq("a", "1")), opPut(putReq("a", "2"))]), "DuplicateKey"],
    ["different keys", txnReq([], [opPut(putReq("a", "1")), opPut(putReq("b", "2"))]), "ok"],
    ["same key in success and failure", txnReq([], [opPut(putReq("a", "1"))], [opPut(putReq("a", "2"))]), "ok"],
    ["put then delete of the key", txnReq([], [opPut(putReq("a", "1")), opDel(delReq("a"))]), "DuplicateKey"],
    ["delete then put of the key", txnReq([], [opDel(delReq("a")), opPut(putReq("a", "1"))]), "DuplicateKey"],
    ["put inside a deleted range", txnReq([], [opDel(delReq("a", { rangeEnd: b("c") })), opPut(putReq("b", "1"))]), "DuplicateKey"],
    ["put at the range end is outside", txnReq([], [opDel(delReq("a", { rangeEnd: b("c") })), opPut(putReq("c", "1"))]), "ok"],
    ["put under a from-key delete: etcd takes '\\0' literally, no conflict", txnReq([], [opDel(delReq("a", { rangeEnd: FROM_KEY })), opPut(putReq("b", "1"))]), "ok"],
    ["range and put of the same key", txnReq([], [opRange(rangeReq("a")), opPut(putReq("a", "1"))]), "ok"],
    ["two deletes of the same key", txnReq([], [opDel(delReq("a")), opDel(delReq("a"))]), "ok"],
    ["nested put of a key put outside", txnReq([], [opPut(putReq("a", "1")), opTxn(txnReq([], [opPut(putReq("a", "2"))]))]), "DuplicateKey"],
    ["nested put under an outer delete", txnReq([], [opDel(delReq("a")), opTxn(txnReq([], [opPut(putReq("a", "2"))]))]), "DuplicateKey"],
    ["outer put under a nested delete", txnReq([], [opTxn(txnReq([], [opDel(delReq("a"))])), opPut(putReq("a", "2"))]), "DuplicateKey"],
    ["nested then/else both put the key", txnReq([], [opTxn(txnReq([], [opPut(putReq("a", "1"))], [opPut(putReq("a", "2"))]))]), "ok"],
    ["two nested txns put the same key", txnReq([], [opTxn(txnReq([], [opPut(putReq("a", "1"))])), opTxn(txnReq([], [opPut(putReq("a", "2"))]))]), "DuplicateKey"],
    ["later nested put under an earlier nested delete", txnReq([], [opTxn(txnReq([], [opDel(delReq("a"))])), opTxn(txnReq([], [opPut(putReq("a", "2"))]))]), "DuplicateKey"],
    ["earlier nested put, later nested delete: etcd does not check this order", txnReq([], [opTxn(txnReq([], [opPut(putReq("a", "2"))])), opTxn(txnReq([], [opDel(delReq("a"))]))]), "ok"],
    ["duplicate deep inside a nested txn", txnReq([], [opTxn(txnReq([], [], [opTxn(txnReq([], [opPut(putReq("x", "1")), opPut(putReq("x", "2"))]))]))]), "DuplicateKey"],
    ["failure branch checked on its own", txnReq([], [], [opPut(putReq("a", "1")), opPut(putReq("a", "2"))]), "DuplicateKey"],
  ];
  for (const [rule, req, kind] of table) expectKind(() => checkTxnRequest(req, 128), kind, rule);
});
