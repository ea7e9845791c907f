// Watch sessions over the server's real auth gate (src/server/auth over a real auth store): a refused create, and watchers canceled when their user's permission is revoked or the user deleted — as the auth store's entries are applied.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { EtcdError } from "../../pkg/errors.js";
import { AuthRig } from "../auth/test-support.js";
import { b, create, settle, setup, show } from "./test-support.js";

/** As the gRPC edge words it. */
const describeError = (err: EtcdError): string => err.kind;

/** A watch hub over the real gate; alice (read on [a, b)) logged in. */
function withRealGate() {
  const auth = new AuthRig();
  auth.setUpUsers();
  const login = auth.must({ authenticate: { name: "alice", password: "", simpleToken: "ABCDEFGHIJKLMNOP" } }) as { token: string };
  const alice = { token: login.token, commonName: undefined };
  const watch = setup({ auth: auth.gate });
  watch.put("a1", "0"); // 2
  return { auth, alice, ...watch };
}

test("real gate: a create outside the user's range is refused, one inside it is registered", async () => {
  const { alice, open, put } = withRealGate();
  const { session, got } = open({ credentials: alice, describeError });
  session.create(create({ key: b("b1") }));
  session.create(create({ key: b("a"), rangeEnd: b("b") }));
  session.create(create({ key: b("a"), rangeEnd: Buffer.from([0]) }));
  put("a2", "x"); // 3
  await settle();
  assert.deepEqual(got.map(show), ["x-1 PermissionDenied", "c0@2", "x-1 PermissionDenied", "e0@3 PUT a2=x"]);
});

test("real gate: revoking the role's permission cancels the watcher; it sees no later event", async () => {
  const { auth, alice, open, put } = withRealGate();
  const { session, got } = open({ credentials: alice, describeError });
  session.create(create({ key: b("a"), rangeEnd: b("b") }));
  auth.must({ authRoleGrantPermission: { name: "reader", perm: { permType: 0, key: b("z"), rangeEnd: b("") } } }, auth.as("root"));
  put("a2", "1"); // 3: the unrelated grant canceled nothing
  auth.must({ authRoleRevokePermission: { role: "reader", key: b("a"), rangeEnd: b("b") } }, auth.as("root"));
  put("a2", "2"); // 4
  await settle();
  assert.deepEqual(got.map(show), ["c0@2", "e0@3 PUT a2=1", "k0@3 PermissionDenied"]);
});

test("real gate: deleting the user cancels its watchers", async () => {
  const { auth, alice, open, put } = withRealGate();
  const { session, got } = open({ credentials: alice, describeError });
  session.create(create({ key: b("a1") }));
  auth.must({ authUserDelete: { name: "alice" } }, auth.as("root"));
  put("a1", "1");
  await settle();
  assert.deepEqual(got.map(show), ["c0@2", "k0@2 PermissionDenied"]);
});
