// A watch stream acts as its credentials: a create needs read permission on its range, refusals keep request order, and a watcher whose user loses the permission (or is deleted) is canceled.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { EtcdError } from "../../pkg/errors.js";
import type { Credentials } from "../auth/credentials.js";
import { creds, FakeGate } from "../txn/auth-test-support.js";
import { b, create, settle, setup, show } from "./test-support.js";

/** As the gRPC edge words it (Go's status text). */
const describeError = (err: EtcdError): string => `rpc error: ${err.kind}`;

function authSetup() {
  const gate = new FakeGate();
  const alice = gate.user("alice", "a/");
  const rig = setup({ auth: gate });
  rig.put("a/0", "0"); // 2
  const open = (credentials?: Credentials) => rig.open({ ...(credentials !== undefined ? { credentials } : {}), describeError });
  return { ...rig, gate, alice, open };
}

test("a create outside the user's keys is answered created + canceled with id -1 and registers nothing", async () => {
  const { put, open, hub, alice } = authSetup();
  const { session, got } = open(alice);
  session.create(create({ key: b("b/1") }));
  session.create(create({ key: b("a/"), rangeEnd: Buffer.from([0]) })); // from key: beyond a/
  session.create(create({ key: b(""), rangeEnd: b("") })); // the key "\0"
  session.create(create({ key: b("a/"), rangeEnd: b("a0") }));
  put("b/1", "x"); // 3
  put("a/1", "x"); // 4
  await settle();
  assert.deepEqual(got.map(show), [
    "x-1 rpc error: PermissionDenied",
    "x-1 rpc error: PermissionDenied",
    "x-1 rpc error: PermissionDenied",
    "c0@2",
    "e0@4 PUT a/1=x",
  ]);
  assert.equal(hub.stats().watchers, 1);
});

test("refusals keep the text of an invalid token, an empty user and an old revision; any other is permission denied", async () => {
  const { open, gate } = authSetup();
  gate.tokens.set("ghost-token", "ghost"); // a token of a user that no longer exists
  const cases: [Credentials | undefined, string][] = [
    [creds("forged"), "x-1 rpc error: InvalidAuthToken"],
    [undefined, "x-1 rpc error: UserEmpty"],
    [creds("ghost-token"), "x-1 rpc error: PermissionDenied"],
  ];
  for (const [who, expected] of cases) {
    const { session, got } = open(who);
    session.create(create({ key: b("a/1") }));
    await settle();
    assert.deepEqual(got.map(show), [expected]);
    session.close();
  }
});

test("while a token's index is waited for, the stream's later requests wait behind it: answers stay in request order", async () => {
  const { put, open, gate } = authSetup();
  const release = gate.hold("fresh-token", "alice");
  const { session, got } = open(creds("fresh-token"));
  session.create(create({ key: b("b/1") })); // refused once known
  session.create(create({ key: b("a/1") }));
  session.handle({ requestUnion: { $case: "cancelRequest", value: { watchId: 0n } } });
  session.create(create({ key: b("a/2") }));
  await settle();
  assert.deepEqual(got, [], "nothing answered while the token is unknown");
  release();
  await settle();
  put("a/2", "x"); // 3
  await settle();
  assert.deepEqual(got.map(show), ["x-1 rpc error: PermissionDenied", "c0@2", "k0@2", "c1@2", "e1@3 PUT a/2=x"]);
});

test("a stream that closes while its token is resolved gives the wait up", async () => {
  const { open, gate } = authSetup();
  gate.hold("fresh-token", "alice");
  const { session, got } = open(creds("fresh-token"));
  session.create(create({ key: b("a/1") }));
  const signal = gate.signals[0];
  assert.equal(signal?.aborted, false);
  session.close();
  assert.equal(signal?.aborted, true, "the gate is told to stop waiting");
  await settle();
  assert.deepEqual(got, []);
});

test("a watcher whose user loses the permission is canceled and gets no further event", async () => {
  const { put, open, gate, alice } = authSetup();
  const { session, got } = open(alice);
  session.create(create({ key: b("a/"), rangeEnd: b("a0") }));
  put("a/1", "1"); // 3
  gate.change(() => gate.grants.set("alice", ["other/"]));
  put("a/1", "2"); // 4
  await settle();
  assert.deepEqual(got.map(show), ["c0@2", "e0@3 PUT a/1=1", "k0@3 rpc error: PermissionDenied"]);
  assert.equal(session.closed, false, "the stream itself stays open");
});

test("a watcher whose user is deleted is canceled", async () => {
  const { put, open, gate, alice } = authSetup();
  const { session, got } = open(alice);
  session.create(create({ key: b("a/1") }));
  gate.change(() => gate.grants.delete("alice"));
  put("a/1", "1");
  await settle();
  assert.deepEqual(got.map(show), ["c0@2", "k0@2 rpc error: PermissionDenied"]);
});

test("an unrelated change, or the stream's token expiring, cancels nothing", async () => {
  const { put, open, gate, alice } = authSetup();
  const { session, got } = open(alice);
  session.create(create({ key: b("a/1") }));
  gate.change(() => gate.user("bob", "b/"));
  gate.change(() => gate.tokens.delete("alice-token"));
  put("a/1", "1"); // 3
  await settle();
  assert.deepEqual(got.map(show), ["c0@2", "e0@3 PUT a/1=1"]);
});

test("turning auth on cancels the watchers created without a user: user name is empty", async () => {
  const { put, open, gate } = authSetup();
  gate.enabled = false;
  const { session, got } = open();
  session.create(create({ key: b("a/1") }));
  gate.change(() => (gate.enabled = true));
  put("a/1", "1");
  await settle();
  assert.deepEqual(got.map(show), ["c0@2", "k0@2 rpc error: UserEmpty"]);
  assert.deepEqual(gate.asked, ["checkRange a/1"], "created with auth off: the gate was not asked then");
});

test("a closed stream stops listening to the auth store", () => {
  const { open, gate, alice } = authSetup();
  const { session } = open(alice);
  assert.equal(gate.listeners, 1);
  session.close();
  assert.equal(gate.listeners, 0);
});
