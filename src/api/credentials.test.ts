// Who a call says it is: the token metadata, the authorization metadata, the client certificate's CN.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { NO_CREDENTIALS } from "../server/auth/credentials.js";
import { credentialsOf, credentialsReader, GATEWAY_METADATA } from "./credentials.js";
import type { CallContext, Peer } from "./rpc/contract.js";

const PLAIN: Peer = { address: "127.0.0.1:1", certificate: undefined, commonName: undefined, verifiedChain: [] };

/** A verified peer; only the common name is read. */
function verified(commonName: string): Peer {
  return { address: "127.0.0.1:1", commonName } as unknown as Peer;
}

function call(metadata: Record<string, string>, peer: Peer = PLAIN): CallContext {
  return { method: "/etcdserverpb.KV/Range", deadline: undefined, peer, metadata: (key: string) => metadata[key] } as unknown as CallContext;
}

const ON = { clientCertAuth: true };
const OFF = { clientCertAuth: false };

describe("credentialsOf", () => {
  it("a call with nothing carries the shared NO_CREDENTIALS (no allocation on the hot path)", () => {
    assert.equal(credentialsOf(call({}), OFF), NO_CREDENTIALS);
    assert.equal(credentialsOf(call({}), ON), NO_CREDENTIALS);
  });

  it("reads the token metadata, else authorization, as etcd's AuthInfoFromCtx", () => {
    assert.deepEqual(credentialsOf(call({ token: "t1" }), OFF), { token: "t1", commonName: undefined });
    assert.deepEqual(credentialsOf(call({ authorization: "t2" }), OFF), { token: "t2", commonName: undefined });
    assert.deepEqual(credentialsOf(call({ token: "t1", authorization: "t2" }), OFF), { token: "t1", commonName: undefined });
  });

  it("an empty token is passed on as sent (the server calls it invalid, as etcd does)", () => {
    assert.deepEqual(credentialsOf(call({ token: "" }), OFF), { token: "", commonName: undefined });
  });

  it("the verified certificate's CN only with --client-cert-auth", () => {
    assert.deepEqual(credentialsOf(call({}, verified("alice")), ON), { token: undefined, commonName: "alice" });
    assert.equal(credentialsOf(call({}, verified("alice")), OFF), NO_CREDENTIALS);
  });

  it("both token and CN are passed: the server prefers the token", () => {
    assert.deepEqual(credentialsOf(call({ token: "t" }, verified("alice")), ON), { token: "t", commonName: "alice" });
  });

  it("a certificate without a CN names nobody", () => {
    assert.equal(credentialsOf(call({}, verified("")), ON), NO_CREDENTIALS);
  });

  it("never the CN on a call from the gateway, which dials with the member's own certificate", () => {
    assert.equal(credentialsOf(call({ [GATEWAY_METADATA]: "*/*" }, verified("member")), ON), NO_CREDENTIALS);
    assert.deepEqual(credentialsOf(call({ [GATEWAY_METADATA]: "*/*", token: "t" }, verified("member")), ON), { token: "t", commonName: undefined });
  });
});

describe("credentialsReader", () => {
  it("reads with the server's --client-cert-auth setting", () => {
    assert.equal(credentialsReader(ON)(call({}, verified("bob"))).commonName, "bob");
    assert.equal(credentialsReader(OFF)(call({}, verified("bob"))).commonName, undefined);
  });
});
