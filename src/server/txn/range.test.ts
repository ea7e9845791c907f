import { test } from "node:test";
import assert from "node:assert/strict";
import { RangeRequest_SortOrder as Order, RangeRequest_SortTarget as Target, type RangeRequest } from "../../gen/etcdserverpb/rpc.js";
import { isEtcdError } from "../../pkg/errors.js";
import { openStore, withEachBackend } from "../../storage/test-support.js";
import { put } from "./put.js";
import { range } from "./range.js";
import { FROM_KEY, b, leasesOf, putReq, rangeReq, seed } from "./test-support.js";

const keysOf = (r: { kvs: { key: Buffer }[] }): string[] => r.kvs.map((kv) => kv.key.toString("latin1"));

test("Range rule: range_end conventions ('' one key, '\\0' all keys >= key, prefix = last byte + 1)", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    seed(kv, [["a", "1"], ["ab", "1"], ["abc", "1"], ["b", "1"], ["\xff", "1"], ["\xff\xff", "1"]]);
    const table: [string, RangeRequest, string[]][] = [
      ["empty range_end: just the key", rangeReq("ab"), ["ab"]],
      ["'\\0' range_end: every key >= key", rangeReq("ab", { rangeEnd: FROM_KEY }), ["ab", "abc", "b", "\xff", "\xff\xff"]],
      ["key '\\0' + range_end '\\0': all keys", rangeReq("\0", { rangeEnd: FROM_KEY }), ["a", "ab", "abc", "b", "\xff", "\xff\xff"]],
      ["prefix 'ab' = [ab, ac)", rangeReq("ab", { rangeEnd: b("ac") }), ["ab", "abc"]],
      ["prefix '\\xff' drops the trailing 0xff: [\\xff, \\0)", rangeReq("\xff", { rangeEnd: FROM_KEY }), ["\xff", "\xff\xff"]],
      ["range_end <= key: nothing", rangeReq("b", { rangeEnd: b("a") }), []],
    ];
    for (const [rule, req, want] of table) assert.deepEqual(keysOf(range(kv, req)), want, rule);
  }));

test("Range rule: revision (future error, compacted error, = compact readable, header is the current revision)", () =>
  withEachBackend(async (fx) => {
    const kv = openStore(fx);
    for (let i = 2; i <= 6; i++) seed(kv, [["k", `v${i}`]]); // revs 2..6
    await kv.compact(4n).physical;
    // The expectation: the value read, or the error kind ("FutureRev", "Compacted").
    const table: [string, bigint, string][] = [
      ["revision 0 reads the current revision", 0n, "v6"],
      ["revision above current: future", 7n, "FutureRev"],
      ["revision below compact: compacted", 3n, "Compacted"],
      ["revision = compact revision: readable", 4n, "v4"],
      ["historical revision", 5n, "v5"],
    ];
    for (const [rule, revision, want] of table) {
      if (want === "FutureRev" || want === "Compacted") {
        assert.throws(() => range(kv, rangeReq("k", { revision })), (e) => isEtcdError(e, want), rule);
        continue;
      }
      const resp = range(kv, rangeReq("k", { revision }));
      assert.equal(resp.kvs[0]!.value.toString(), want, rule);
      assert.equal(resp.header!.revision, 6n, `${rule}: header.revision is the current revision`);
    }
  }));

test("Range rule: limit, more and count (count ignores limit and filters)", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    seed(kv, [["a", "1"], ["b", "2"], ["c", "3"], ["d", "4"]]); // mod revs 2..5
    const table: [string, Partial<RangeRequest>, string[], boolean, bigint][] = [
      ["no limit", {}, ["a", "b", "c", "d"], false, 4n],
      ["limit below count: more", { limit: 2n }, ["a", "b"], true, 4n],
      ["limit = count: no more", { limit: 4n }, ["a", "b", "c", "d"], false, 4n],
      ["limit above count", { limit: 9n }, ["a", "b", "c", "d"], false, 4n],
      ["negative limit is no limit", { limit: -1n }, ["a", "b", "c", "d"], false, 4n],
      ["count ignores the min/max filters", { minModRevision: 4n }, ["c", "d"], false, 4n],
      ["more after filtering: 3 pass, limit 2", { minModRevision: 3n, limit: 2n }, ["b", "c"], true, 4n],
      ["no more when the filter leaves only limit", { minModRevision: 4n, limit: 2n }, ["c", "d"], false, 4n],
      ["more after sorting", { limit: 1n, sortOrder: Order.DESCEND }, ["d"], true, 4n],
      ["count_only: count, no kvs, no more", { countOnly: true, limit: 1n }, [], false, 4n],
    ];
    for (const [rule, fields, want, more, count] of table) {
      const resp = range(kv, rangeReq("a", { rangeEnd: FROM_KEY, ...fields }));
      assert.deepEqual(keysOf(resp), want, rule);
      assert.equal(resp.more, more, `${rule}: more`);
      assert.equal(resp.count, count, `${rule}: count`);
    }
  }));

test("Range rule: sort target and order (KEY+NONE ascending, other target+NONE ascending)", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    // create revs: c=2, a=3, b=4; then b and c again: versions a=1, b=2, c=3 (c twice more).
    seed(kv, [["c", "z"], ["a", "y"], ["b", "x"], ["b", "w"], ["c", "v"], ["c", "u"]]);
    // mods: a=3, b=5, c=7; creates: c=2, a=3, b=4; versions: a=1, b=2, c=3; values: a=y, b=w, c=u
    const table: [string, Target, Order, string[]][] = [
      ["KEY + NONE: key order", Target.KEY, Order.NONE, ["a", "b", "c"]],
      ["KEY + ASCEND", Target.KEY, Order.ASCEND, ["a", "b", "c"]],
      ["KEY + DESCEND", Target.KEY, Order.DESCEND, ["c", "b", "a"]],
      ["VERSION + NONE: ascending", Target.VERSION, Order.NONE, ["a", "b", "c"]],
      ["VERSION + DESCEND", Target.VERSION, Order.DESCEND, ["c", "b", "a"]],
      ["CREATE + NONE: ascending", Target.CREATE, Order.NONE, ["c", "a", "b"]],
      ["CREATE + DESCEND", Target.CREATE, Order.DESCEND, ["b", "a", "c"]],
      ["MOD + ASCEND", Target.MOD, Order.ASCEND, ["a", "b", "c"]],
      ["MOD + DESCEND", Target.MOD, Order.DESCEND, ["c", "b", "a"]],
      ["VALUE + NONE: ascending", Target.VALUE, Order.NONE, ["c", "b", "a"]],
      ["VALUE + DESCEND", Target.VALUE, Order.DESCEND, ["a", "b", "c"]],
    ];
    for (const [rule, sortTarget, sortOrder, want] of table) {
      assert.deepEqual(keysOf(range(kv, rangeReq("a", { rangeEnd: FROM_KEY, sortTarget, sortOrder }))), want, rule);
    }
    // Ties keep key order in both directions (Go's sort of small slices is stable).
    seed(kv, [["d", "same"], ["e", "same"]]);
    assert.deepEqual(keysOf(range(kv, rangeReq("d", { rangeEnd: FROM_KEY, sortTarget: Target.VALUE, sortOrder: Order.DESCEND }))), ["d", "e"]);
  }));

test("Range rule: keys_only drops values, count_only drops kvs, serializable changes nothing", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    seed(kv, [["a", "1"], ["b", "2"]]);
    const keysOnly = range(kv, rangeReq("a", { rangeEnd: FROM_KEY, keysOnly: true }));
    assert.deepEqual(keysOnly.kvs.map((x) => [x.key.toString(), x.value.length, x.version]), [["a", 0, 1n], ["b", 0, 1n]]);
    assert.deepEqual(range(kv, rangeReq("a", { rangeEnd: FROM_KEY, countOnly: true })).kvs, []);
    assert.deepEqual(range(kv, rangeReq("a", { serializable: true })), range(kv, rangeReq("a")));
    // The stored value is untouched by keys_only.
    assert.equal(range(kv, rangeReq("a")).kvs[0]!.value.toString(), "1");
  }));

test("Range rule: min/max mod/create revision filters are inclusive", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    seed(kv, [["a", "1"], ["b", "1"], ["c", "1"], ["a", "2"]]); // a: create 2 mod 5; b: 3/3; c: 4/4
    const table: [string, Partial<RangeRequest>, string[]][] = [
      ["min_mod_revision inclusive", { minModRevision: 4n }, ["a", "c"]],
      ["max_mod_revision inclusive", { maxModRevision: 4n }, ["b", "c"]],
      ["min_create_revision inclusive", { minCreateRevision: 3n }, ["b", "c"]],
      ["max_create_revision inclusive", { maxCreateRevision: 3n }, ["a", "b"]],
      ["min and max together", { minModRevision: 3n, maxModRevision: 4n }, ["b", "c"]],
      ["filters combine", { minCreateRevision: 3n, maxModRevision: 3n }, ["b"]],
    ];
    for (const [rule, fields, want] of table) assert.deepEqual(keysOf(range(kv, rangeReq("a", { rangeEnd: FROM_KEY, ...fields }))), want, rule);
  }));

test("Range rule: a leased key reports its lease", () =>
  withEachBackend((fx) => {
    const kv = openStore(fx);
    put(kv, putReq("k", "v", { lease: 5n }), leasesOf(5n));
    assert.equal(range(kv, rangeReq("k")).kvs[0]!.lease, 5n);
  }));
