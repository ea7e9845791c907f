// Errors as Go's gRPC status prints them: what etcd puts in a refused watch's cancel reason.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EtcdError } from "../pkg/errors.js";
import { RpcError } from "./rpc/contract.js";
import { goStatusText } from "./status.js";

describe("goStatusText", () => {
  it("prints etcd's errors with grpc-go's code names", () => {
    assert.equal(goStatusText(new EtcdError("PermissionDenied")), "rpc error: code = PermissionDenied desc = etcdserver: permission denied");
    assert.equal(goStatusText(new EtcdError("InvalidAuthToken")), "rpc error: code = Unauthenticated desc = etcdserver: invalid auth token");
    assert.equal(goStatusText(new EtcdError("UserEmpty")), "rpc error: code = InvalidArgument desc = etcdserver: user name is empty");
    assert.equal(goStatusText(new EtcdError("AuthOldRevision")), "rpc error: code = InvalidArgument desc = etcdserver: revision of auth store is old");
    assert.equal(goStatusText(new EtcdError("Compacted")), "rpc error: code = OutOfRange desc = etcdserver: mvcc: required revision has been compacted");
  });

  it("prints transport errors and unknown errors too", () => {
    assert.equal(goStatusText(new RpcError(1, "context canceled")), "rpc error: code = Canceled desc = context canceled");
    assert.equal(goStatusText(new Error("boom")), "rpc error: code = Unknown desc = boom");
    assert.equal(goStatusText(new RpcError(99, "x")), "rpc error: code = Code(99) desc = x");
  });
});
