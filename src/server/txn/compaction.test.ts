import { test } from "node:test";
import assert from "node:assert/strict";
import { CompactionRequest } from "../../gen/etcdserverpb/rpc.js";
import { isEtcdError } from "../../pkg/errors.js";
import { openStore, withEachBackend } from "../../storage/test-support.js";
import { compaction } from "./compaction.js";
import { range } from "./range.js";
import { rangeReq, seed } from "./test-support.js";

test("Compact rule: at or below the compact revision is compacted, above current is future; header is current", () =>
  withEachBackend(async (fx) => {
    const kv = openStore(fx);
    for (let i = 0; i < 5; i++) seed(kv, [["k", String(i)]]); // rev 6
    const table: [string, bigint, "ok" | "Compacted" | "FutureRev"][] = [
      ["above current", 7n, "FutureRev"],
      ["compact at 3", 3n, "ok"],
      ["same again", 3n, "Compacted"],
      ["below", 2n, "Compacted"],
      ["at current", 6n, "ok"],
    ];
    for (const [rule, revision, want] of table) {
      if (want !== "ok") {
        assert.throws(() => compaction(kv, CompactionRequest.fromPartial({ revision })), (e) => isEtcdError(e, want), rule);
        continue;
      }
      const { response, physical } = compaction(kv, CompactionRequest.fromPartial({ revision, physical: true }));
      assert.equal(response.header!.revision, 6n, rule);
      await physical;
    }
    assert.throws(() => range(kv, rangeReq("k", { revision: 5n })), (e) => isEtcdError(e, "Compacted"));
    assert.equal(range(kv, rangeReq("k", { revision: 6n })).kvs[0]!.value.toString(), "4");
  }));

test("Compact rule: physical resolves once the compacted revisions are gone from the backend", () =>
  withEachBackend(async (fx) => {
    const kv = openStore(fx);
    for (let i = 0; i < 50; i++) seed(kv, [["k", String(i)]]); // revs 2..51
    const { physical } = compaction(kv, CompactionRequest.fromPartial({ revision: 40n, physical: true }));
    await physical;
    assert.equal(fx.backend.range("key").length, 12, "revisions 40..51 remain");
  }));
