import { test } from "node:test";
import assert from "node:assert/strict";
import { isEtcdError, type ErrorKind } from "../../pkg/errors.js";
import { openStore, withEachBackend } from "../../storage/test-support.js";
import type { LeaseHooks } from "../../storage/mvcc/types.js";
import { deleteRange, put } from "./put.js";
import { range } from "./range.js";
import { FROM_KEY, b, delReq, leasesOf, putReq, rangeReq, seed } from "./test-support.js";

test("Put rule: create_revision kept while the key lives, version 1,2,3…, reset by delete", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    const seen: [bigint, bigint, bigint][] = [];
    const snap = (): void => {
      const x = range(kv, rangeReq("k")).kvs[0]!;
      seen.push([x.createRevision, x.modRevision, x.version]);
    };
    put(kv, putReq("k", "1"), leasesOf());
    snap();
    put(kv, putReq("k", "2"), leasesOf());
    snap();
    put(kv, putReq("k", "3"), leasesOf());
    snap();
    deleteRange(kv, delReq("k"));
    put(kv, putReq("k", "4"), leasesOf());
    snap();
    assert.deepEqual(seen, [[2n, 2n, 1n], [2n, 3n, 2n], [2n, 4n, 3n], [6n, 6n, 1n]]);
  }));

test("Put rule: header revision is the new revision; prev_kv only when asked and when there is one", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    let resp = put(kv, putReq("k", "1", { prevKv: true }), leasesOf());
    assert.equal(resp.header!.revision, 2n);
    assert.equal(resp.prevKv, undefined, "no previous key: prev_kv absent");
    resp = put(kv, putReq("k", "2", { prevKv: true }), leasesOf());
    assert.equal(resp.header!.revision, 3n);
    assert.deepEqual([resp.prevKv!.value.toString(), resp.prevKv!.modRevision, resp.prevKv!.version], ["1", 2n, 1n]);
    resp = put(kv, putReq("k", "3"), leasesOf());
    assert.equal(resp.prevKv, undefined, "not asked: prev_kv absent");
  }));

test("Put rule: ignore_value / ignore_lease keep the current value / lease; missing key is KeyNotFound", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    put(kv, putReq("k", "v1", { lease: 7n }), leasesOf(7n));
    const table: [string, Parameters<typeof putReq>[2], string, bigint][] = [
      ["ignore_value keeps the value, takes the new lease", { ignoreValue: true, lease: 8n }, "v1", 8n],
      ["ignore_lease keeps the lease, takes the new value", { ignoreLease: true }, "v2", 8n],
      ["both: only the revision moves", { ignoreValue: true, ignoreLease: true }, "v2", 8n],
      ["plain put without lease drops the lease", {}, "v3", 0n],
    ];
    const values = ["", "v2", "", "v3"];
    table.forEach(([rule, fields, value, lease], i) => {
      put(kv, putReq("k", values[i]!, fields), leasesOf(7n, 8n));
      const x = range(kv, rangeReq("k")).kvs[0]!;
      assert.deepEqual([x.value.toString(), x.lease], [value, lease], rule);
    });
    const rev = kv.rev;
    for (const fields of [{ ignoreValue: true }, { ignoreLease: true }]) {
      assert.throws(() => put(kv, putReq("missing", "", fields), leasesOf()), (e) => isEtcdError(e, "KeyNotFound"));
    }
    assert.equal(kv.rev, rev, "a refused put changes nothing");
  }));

test("Put rule: unknown lease is LeaseNotFound and writes nothing", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    assert.throws(() => put(kv, putReq("k", "v", { lease: 99n }), leasesOf(1n)), (e) => isEtcdError(e, "LeaseNotFound" as ErrorKind));
    assert.equal(kv.rev, 1n);
    assert.equal(range(kv, rangeReq("k")).count, 0n);
  }));

test("Put rule: a put without lease detaches the old lease unless ignore_lease", () =>
  withEachBackend((fx) => {
    const calls: string[] = [];
    const lessor: LeaseHooks = {
      attach: (l, k) => calls.push(`+${l}:${k}`),
      detach: (l, k) => calls.push(`-${l}:${k}`),
    };
    const kv = openStore(fx, { lessor });
    put(kv, putReq("k", "1", { lease: 3n }), leasesOf(3n));
    put(kv, putReq("k", "2", { ignoreLease: true }), leasesOf(3n));
    put(kv, putReq("k", "3"), leasesOf(3n));
    assert.deepEqual(calls, ["+3:k", "-3:k", "+3:k", "-3:k"]);
  }));

test("DeleteRange rule: deleted count, prev_kv, header revision (unchanged when nothing is deleted)", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    seed(kv, [["a", "1"], ["b", "2"], ["c", "3"]]); // rev 4
    let resp = deleteRange(kv, delReq("x"));
    assert.deepEqual([resp.deleted, resp.header!.revision, resp.prevKvs], [0n, 4n, []], "nothing to delete: no new revision");
    resp = deleteRange(kv, delReq("a", { rangeEnd: b("c"), prevKv: true }));
    assert.deepEqual([resp.deleted, resp.header!.revision], [2n, 5n]);
    assert.deepEqual(resp.prevKvs.map((x) => `${x.key}=${x.value}`), ["a=1", "b=2"]);
    resp = deleteRange(kv, delReq("a", { rangeEnd: FROM_KEY }));
    assert.deepEqual([resp.deleted, resp.header!.revision, resp.prevKvs], [1n, 6n, []], "prev_kv not asked: none returned");
    assert.equal(range(kv, rangeReq("\0", { rangeEnd: FROM_KEY })).count, 0n);
  }));
