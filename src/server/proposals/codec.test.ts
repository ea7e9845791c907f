import { test } from "node:test";
import assert from "node:assert/strict";
import { InternalRaftRequest } from "../../gen/etcdserverpb/raft_internal.js";
import { PutRequest, TxnRequest } from "../../gen/etcdserverpb/rpc.js";
import { encodeProposal } from "./codec.js";
import { leadingRequestId } from "../apply/applier.js";

test("the short path encodes exactly what the generated encoder does", () => {
  const put = PutRequest.fromPartial({ key: Buffer.from("k"), value: Buffer.alloc(300, 7), lease: 5n, prevKv: true });
  const txn = TxnRequest.fromPartial({ success: [{ request: { $case: "requestPut", value: put } }] });
  for (const body of [{ put }, { txn }, { clusterVersionSet: { ver: "3.6.0" } }]) {
    const id = 0x9eee_0000_1234_5678n;
    const { data, local } = encodeProposal(id, body);
    const expected = InternalRaftRequest.encode(InternalRaftRequest.fromPartial({ ...body, header: { ID: id } })).finish();
    assert.deepEqual(InternalRaftRequest.decode(data), InternalRaftRequest.decode(expected));
    assert.equal(leadingRequestId(data), id);
    assert.equal(local.header?.ID, id);
  }
});
