import { test } from "node:test";
import assert from "node:assert/strict";
import type { AuthInfo } from "../../auth/index.js";
import type { TxnRequest } from "../../gen/etcdserverpb/rpc.js";
import { isEtcdError, type ErrorKind } from "../../pkg/errors.js";
import { AuthRig, TOKEN_TTL_MS } from "./test-support.js";

const b = (s: string): Buffer => Buffer.from(s);
const none = { token: undefined, commonName: undefined };
const withToken = (token: string) => ({ token, commonName: undefined });

function fails(fn: () => unknown, kind: ErrorKind): void {
  assert.throws(fn, (err) => isEtcdError(err, kind));
}

/** Logs `user` in through the applied Authenticate entry; returns the token. */
function login(rig: AuthRig, user: string): string {
  const r = rig.must({ authenticate: { name: user, password: "", simpleToken: "ABCDEFGHIJKLMNOP" } }) as { token: string };
  return r.token;
}

test("auth off: nobody is identified, tokens and names are not looked at, every check passes", () => {
  const rig = new AuthRig();
  assert.equal(rig.gate.enabled, false);
  assert.equal(rig.gate.identify(withToken("junk"), undefined), undefined);
  assert.equal(rig.gate.identify({ token: undefined, commonName: "alice" }, undefined), undefined);
  rig.gate.checkRange(undefined, b("a"), b(""));
  rig.gate.checkAdmin(undefined);
  rig.gate.checkLeaseKeys(undefined, 1n, "write");
  rig.gate.checkAllLeases(undefined);
});

test("a simple token names its user at the store's current revision; unknown or malformed tokens are invalid", () => {
  const rig = new AuthRig();
  rig.setUpUsers();
  const token = login(rig, "alice");
  assert.match(token, /^ABCDEFGHIJKLMNOP\.\d+$/);
  assert.deepEqual(rig.gate.identify(withToken(token), undefined), { username: "alice", revision: rig.store.revision });
  fails(() => rig.gate.identify(withToken("ABCDEFGHIJKLMNOP.3"), undefined), "InvalidAuthToken");
  fails(() => rig.gate.identify(withToken("no-index"), undefined), "InvalidAuthToken");
  fails(() => rig.gate.identify(withToken(""), undefined), "InvalidAuthToken");
  assert.equal(rig.gate.identify(none, undefined), undefined, "no credentials: nobody");
  assert.equal(rig.gate.identify(undefined, undefined), undefined);
});

test("a certificate's common name is the user when no token came; a token wins over it", () => {
  const rig = new AuthRig();
  rig.setUpUsers();
  assert.deepEqual(rig.gate.identify({ token: undefined, commonName: "alice" }, undefined), rig.as("alice"));
  const token = login(rig, "root");
  assert.deepEqual(rig.gate.identify({ token, commonName: "alice" }, undefined), rig.as("root"));
  assert.equal(rig.gate.identify({ token: undefined, commonName: "" }, undefined), undefined);
});

test("a token issued by an entry this member has not applied yet is waited for, then resolved", async () => {
  const rig = new AuthRig();
  rig.setUpUsers();
  const next = rig.applied.value + 1n;
  const waiting = rig.gate.identify(withToken(`ABCDEFGHIJKLMNOP.${next}`), undefined);
  assert.ok(waiting instanceof Promise, "waits for the entry");
  // The entry arrives: it registers the token as the applied index moves to it.
  assert.equal(login(rig, "alice"), `ABCDEFGHIJKLMNOP.${next}`);
  assert.deepEqual(await waiting, rig.as("alice"));

  // Another prefix at an index still to come: once the entry is applied, it is unknown.
  const forged = rig.gate.identify(withToken(`QRSTUVWXYZABCDEF.${rig.applied.value + 1n}`), undefined);
  assert.ok(forged instanceof Promise);
  login(rig, "alice");
  await assert.rejects(Promise.resolve(forged), (err) => isEtcdError(err, "InvalidAuthToken"));
});

test("a caller that gives up while its token's entry is awaited is answered with its cancellation", async () => {
  const rig = new AuthRig();
  rig.setUpUsers();
  const abort = new AbortController();
  const far = rig.applied.value + 1000n;
  const pending = rig.gate.identify(withToken(`ABCDEFGHIJKLMNOP.${far}`), abort.signal);
  assert.ok(pending instanceof Promise);
  abort.abort();
  await assert.rejects(Promise.resolve(pending), (err) => isEtcdError(err, "Timeout") && /canceled/.test(String(err)));
  const gone = new AbortController();
  gone.abort();
  await assert.rejects(Promise.resolve(rig.gate.identify(withToken(`ABCDEFGHIJKLMNOP.${far}`), gone.signal)), (err) => isEtcdError(err, "Timeout"));
});

test("a simple token expires after the TTL without use; each use renews it", () => {
  const rig = new AuthRig();
  rig.setUpUsers();
  const token = login(rig, "alice");
  rig.clock.advance(TOKEN_TTL_MS - 1000);
  assert.ok(rig.gate.identify(withToken(token), undefined), "used just before it would expire");
  rig.clock.advance(TOKEN_TTL_MS - 1000);
  if (rig.tokens.kind === "simple") rig.tokens.simple.expire(rig.clock.nowMs());
  assert.ok(rig.gate.identify(withToken(token), undefined), "the use renewed it");
  rig.clock.advance(TOKEN_TTL_MS + 1000);
  if (rig.tokens.kind === "simple") rig.tokens.simple.expire(rig.clock.nowMs());
  fails(() => rig.gate.identify(withToken(token), undefined), "InvalidAuthToken");
});

function txn(partial: Partial<TxnRequest>): TxnRequest {
  return { compare: [], success: [], failure: [], ...partial };
}
const put = (key: string, extra: object = {}) => ({ request: { $case: "requestPut" as const, value: { key: b(key), value: b("v"), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false, ...extra } } });
const get = (key: string) => ({ request: { $case: "requestRange" as const, value: { key: b(key), rangeEnd: Buffer.alloc(0), limit: 0n, revision: 0n, sortOrder: 0, sortTarget: 0, serializable: false, keysOnly: false, countOnly: false, minModRevision: 0n, maxModRevision: 0n, minCreateRevision: 0n, maxCreateRevision: 0n } } });

test("a txn is checked whole: every compare, both branches, nested txns, puts' prev_kv and their lease's keys", () => {
  const rig = new AuthRig();
  rig.setUpUsers();
  rig.must({ authRoleAdd: { name: "writer" } }, rig.as("root"));
  rig.must({ authRoleGrantPermission: { name: "writer", perm: { permType: 1, key: b("w"), rangeEnd: b("x") } } }, rig.as("root"));
  rig.must({ authUserGrantRole: { user: "alice", role: "writer" } }, rig.as("root"));
  const alice: AuthInfo = rig.as("alice");

  rig.gate.checkTxn(alice, txn({ success: [get("a1"), put("w1")], failure: [get("a2")] }));
  fails(() => rig.gate.checkTxn(alice, txn({ success: [put("w1")], failure: [put("a1")] })), "PermissionDenied");
  fails(() => rig.gate.checkTxn(alice, txn({ compare: [{ key: b("z"), rangeEnd: Buffer.alloc(0), result: 0, target: 0, targetUnion: undefined }] })), "PermissionDenied");
  const nested = { request: { $case: "requestTxn" as const, value: txn({ failure: [put("z")] }) } };
  fails(() => rig.gate.checkTxn(alice, txn({ success: [nested] })), "PermissionDenied");
  fails(() => rig.gate.checkTxn(alice, txn({ success: [put("w1", { prevKv: true })] })), "PermissionDenied");
  rig.leaseKeys.set(5n, [b("a1")]);
  fails(() => rig.gate.checkTxn(alice, txn({ success: [put("w1", { lease: 5n })] })), "PermissionDenied");
  rig.gate.checkTxn(rig.as("root"), txn({ success: [put("w1", { lease: 5n }), nested] }));
  fails(() => rig.gate.checkTxn(undefined, txn({ success: [get("a1")] })), "UserEmpty");
});

test("lease checks: nobody named → user name is empty; root passes; others need the access on every attached key", () => {
  const rig = new AuthRig();
  rig.setUpUsers();
  rig.leaseKeys.set(1n, [b("a1"), b("a2")]);
  rig.leaseKeys.set(2n, [b("z")]);
  const alice = rig.as("alice");
  fails(() => rig.gate.checkLeaseKeys(undefined, 1n, "read"), "UserEmpty");
  rig.gate.checkLeaseKeys(alice, 1n, "read");
  fails(() => rig.gate.checkLeaseKeys(alice, 1n, "write"), "PermissionDenied");
  fails(() => rig.gate.checkLeaseKeys(alice, 2n, "read"), "PermissionDenied");
  rig.gate.checkLeaseKeys(alice, 99n, "write");
  rig.gate.checkLeaseKeys(rig.as("root"), 2n, "write");
  fails(() => rig.gate.checkAllLeases(alice), "PermissionDenied");
  rig.gate.checkAllLeases(rig.as("root"));
  fails(() => rig.gate.checkAllLeases(undefined), "UserEmpty");
  rig.leaseKeys.delete(2n);
  rig.gate.checkAllLeases(alice);
});

test("onChange tells the listener after each change of the auth store", () => {
  const rig = new AuthRig();
  let changes = 0;
  const off = rig.gate.onChange(() => changes++);
  rig.must({ authRoleAdd: { name: "r1" } });
  assert.ok(changes >= 1);
  off();
  const seen = changes;
  rig.must({ authRoleAdd: { name: "r2" } });
  assert.equal(changes, seen);
});
