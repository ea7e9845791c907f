import { test } from "node:test";
import assert from "node:assert/strict";
import { InternalRaftRequest } from "../../gen/etcdserverpb/raft_internal.js";
import { PutRequest } from "../../gen/etcdserverpb/rpc.js";
import { leadingRequestId } from "./applier.js";

test("leadingRequestId reads the id the proposer encoded, without decoding", () => {
  for (const id of [1n, 127n, 128n, 0x9eee_0001_2345_6789n, (1n << 64n) - 1n]) {
    const request = InternalRaftRequest.fromPartial({ header: { ID: id }, put: PutRequest.fromPartial({ key: Buffer.from("k"), value: Buffer.alloc(300) }) });
    const data = Buffer.from(InternalRaftRequest.encode(request).finish());
    assert.equal(leadingRequestId(data), id);
  }
  assert.equal(leadingRequestId(Buffer.from(InternalRaftRequest.encode(InternalRaftRequest.fromPartial({ ID: 5n })).finish())), undefined);
  assert.equal(leadingRequestId(Buffer.alloc(0)), undefined);
});
