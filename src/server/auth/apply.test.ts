import { test } from "node:test";
import assert from "node:assert/strict";
import { createPasswordHasher } from "../../auth/index.js";
import type { ApplyResult } from "../apply/apply-result.js";
import type { RaftRequestBody } from "../proposals/codec.js";
import type { ErrorKind } from "../../pkg/errors.js";
import type { AuthInfo } from "../../auth/index.js";
import { AuthRig, proposedHash, TEST_BCRYPT_COST } from "./test-support.js";
import { rootCaller } from "./apply.js";

const b = (s: string): Buffer => Buffer.from(s);

function refused(r: ApplyResult, kind: ErrorKind, what: string): void {
  assert.equal(r.ok, false, `${what}: refused`);
  if (!r.ok) assert.equal(r.error.kind, kind, what);
}

function refusedAs(rig: AuthRig, body: RaftRequestBody, caller: AuthInfo | undefined, kind: ErrorKind): void {
  refused(rig.apply(body, caller), kind, Object.keys(body)[0]!);
}

const addUser = (name: string, password = "pw"): RaftRequestBody => ({ authUserAdd: { name, password: "", hashedPassword: proposedHash(password), options: undefined } });

test("enabling auth needs root with the root role; status reports the flag and the revision", () => {
  const rig = new AuthRig();
  refusedAs(rig, { authEnable: {} }, undefined, "RootUserNotExist");
  rig.must(addUser("root"));
  refusedAs(rig, { authEnable: {} }, undefined, "RootRoleNotExist");
  rig.must({ authUserGrantRole: { user: "root", role: "root" } });
  rig.must({ authEnable: {} });
  const status = rig.must({ authStatus: {} }) as { enabled: boolean; authRevision: bigint };
  assert.equal(status.enabled, true);
  assert.equal(status.authRevision, rig.store.revision);
});

test("every management request needs root once auth is on: nobody → user name is empty, a user without root → permission denied", () => {
  const rig = new AuthRig();
  rig.setUpUsers();
  const alice = rig.as("alice");
  const admin: RaftRequestBody[] = [
    { authDisable: {} },
    addUser("bob"),
    { authUserDelete: { name: "alice" } },
    { authUserChangePassword: { name: "alice", password: "", hashedPassword: proposedHash("x") } },
    { authUserGrantRole: { user: "alice", role: "root" } },
    { authUserRevokeRole: { name: "alice", role: "reader" } },
    { authUserList: {} },
    { authRoleAdd: { name: "r" } },
    { authRoleDelete: { role: "reader" } },
    { authRoleList: {} },
    { authRoleGrantPermission: { name: "reader", perm: { permType: 2, key: b("z"), rangeEnd: b("") } } },
    { authRoleRevokePermission: { role: "reader", key: b("a"), rangeEnd: b("b") } },
    { authUserGet: { name: "root" } },
    { authRoleGet: { role: "root" } },
  ];
  const before = rig.store.revision;
  for (const body of admin) {
    refusedAs(rig, body, undefined, "UserEmpty");
    refusedAs(rig, body, alice, "PermissionDenied");
    refusedAs(rig, body, { username: "ghost", revision: rig.store.revision }, "UserNotFound");
  }
  assert.equal(rig.store.revision, before, "nothing changed");
  // A user reads itself and the roles it has without root.
  assert.deepEqual((rig.must({ authUserGet: { name: "alice" } }, alice) as { roles: string[] }).roles, ["reader"]);
  assert.equal((rig.must({ authRoleGet: { role: "reader" } }, alice) as { perm: unknown[] }).perm.length, 1);
});

test("root manages users and roles with etcd's answers and errors", () => {
  const rig = new AuthRig();
  rig.setUpUsers();
  const root = (): AuthInfo => rig.as("root");
  rig.must(addUser("bob"), root());
  refusedAs(rig, addUser("bob"), root(), "UserAlreadyExist");
  assert.deepEqual((rig.must({ authUserList: {} }, root()) as { users: string[] }).users, ["alice", "bob", "root"]);
  refusedAs(rig, { authUserGet: { name: "nobody" } }, root(), "UserNotFound");
  refusedAs(rig, { authUserGrantRole: { user: "bob", role: "nope" } }, root(), "RoleNotFound");
  rig.must({ authUserGrantRole: { user: "bob", role: "reader" } }, root());
  refusedAs(rig, { authUserRevokeRole: { name: "bob", role: "other" } }, root(), "RoleNotGranted");
  rig.must({ authRoleAdd: { name: "other" } }, root());
  refusedAs(rig, { authRoleAdd: { name: "other" } }, root(), "RoleAlreadyExist");
  assert.deepEqual((rig.must({ authRoleList: {} }, root()) as { roles: string[] }).roles, ["other", "reader", "root"].filter((r) => rig.store.role(r) !== undefined));
  refusedAs(rig, { authRoleGet: { role: "missing" } }, root(), "RoleNotFound");
  rig.must({ authRoleGrantPermission: { name: "other", perm: { permType: 1, key: b("k"), rangeEnd: b("") } } }, root());
  refusedAs(rig, { authRoleRevokePermission: { role: "other", key: b("zz"), rangeEnd: b("") } }, root(), "PermissionNotGranted");
  rig.must({ authRoleRevokePermission: { role: "other", key: b("k"), rangeEnd: b("") } }, root());
  rig.must({ authRoleDelete: { role: "reader" } }, root());
  assert.deepEqual((rig.must({ authUserGet: { name: "bob" } }, root()) as { roles: string[] }).roles, [], "deleting a role takes it from its users");
  refusedAs(rig, { authUserRevokeRole: { name: "root", role: "root" } }, root(), "InvalidAuthMgmt");
  rig.must({ authUserDelete: { name: "bob" } }, root());
  refusedAs(rig, { authUserDelete: { name: "bob" } }, root(), "UserNotFound");
});

test("writes are checked against the entry's caller and refused whole", () => {
  const rig = new AuthRig();
  rig.setUpUsers();
  rig.must({ authRoleAdd: { name: "writer" } }, rig.as("root"));
  rig.must({ authRoleGrantPermission: { name: "writer", perm: { permType: 1, key: b("w"), rangeEnd: b("x") } } }, rig.as("root"));
  rig.must({ authUserGrantRole: { user: "alice", role: "writer" } }, rig.as("root"));
  const alice = rig.as("alice");
  const put = (key: string, extra: object = {}) => ({ key: b(key), value: b("v"), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false, ...extra });
  const op = (key: string) => ({ request: { $case: "requestPut" as const, value: put(key) } });

  assert.equal(rig.apply({ put: put("w1") }, alice).ok, true);
  refusedAs(rig, { put: put("a1") }, alice, "PermissionDenied");
  refusedAs(rig, { put: put("w1") }, undefined, "UserEmpty");
  refusedAs(rig, { put: put("w1", { prevKv: true }) }, alice, "PermissionDenied");
  refusedAs(rig, { deleteRange: { key: b("w"), rangeEnd: b("y"), prevKv: false } }, alice, "PermissionDenied");
  assert.equal(rig.apply({ deleteRange: { key: b("w"), rangeEnd: b("x"), prevKv: false } }, alice).ok, true);
  refusedAs(rig, { txn: { compare: [], success: [op("w1"), op("a1")], failure: [] } }, alice, "PermissionDenied");
  const nested = { request: { $case: "requestTxn" as const, value: { compare: [], success: [], failure: [op("zz")] } } };
  refusedAs(rig, { txn: { compare: [], success: [op("w1")], failure: [nested] } }, alice, "PermissionDenied");
  // A lease's attached keys: revoking it, or putting under it, needs write on them (root passes).
  rig.leaseKeys.set(9n, [b("a1")]);
  refusedAs(rig, { leaseRevoke: { ID: 9n } }, alice, "PermissionDenied");
  refusedAs(rig, { put: put("w2", { lease: 9n }) }, alice, "PermissionDenied");
  assert.equal(rig.apply({ leaseRevoke: { ID: 9n } }, rootCaller(rig.store)).ok, true);
  assert.equal(rig.apply({ leaseGrant: { ID: 3n, TTL: 10n } }, undefined).ok, true, "granting is not checked");
});

test("a caller checked at an older auth revision is refused with 'auth revision is old'", () => {
  const rig = new AuthRig();
  rig.setUpUsers();
  const stale = rig.as("alice");
  rig.must({ authRoleAdd: { name: "later" } }, rig.as("root"));
  refusedAs(rig, { txn: { compare: [], success: [{ request: { $case: "requestRange", value: { key: b("a1"), rangeEnd: Buffer.alloc(0), limit: 0n, revision: 0n, sortOrder: 0, sortTarget: 0, serializable: false, keysOnly: false, countOnly: false, minModRevision: 0n, maxModRevision: 0n, minCreateRevision: 0n, maxCreateRevision: 0n } } }], failure: [] } }, stale, "AuthOldRevision");
});

test("Authenticate: auth off, unknown user, a user without password → etcd's errors; otherwise '<prefix>.<index>' registered", () => {
  const rig = new AuthRig();
  refusedAs(rig, { authenticate: { name: "root", password: "", simpleToken: "ABCDEFGHIJKLMNOP" } }, undefined, "AuthNotEnabled");
  rig.setUpUsers();
  rig.must({ authUserAdd: { name: "nopw", password: "", hashedPassword: "", options: { noPassword: true } } }, rig.as("root"));
  refusedAs(rig, { authenticate: { name: "ghost", password: "", simpleToken: "ABCDEFGHIJKLMNOP" } }, undefined, "AuthFailed");
  refusedAs(rig, { authenticate: { name: "nopw", password: "", simpleToken: "ABCDEFGHIJKLMNOP" } }, undefined, "AuthFailed");
  const index = rig.applied.value + 1n;
  const { token } = rig.must({ authenticate: { name: "alice", password: "", simpleToken: "ABCDEFGHIJKLMNOP" } }) as { token: string };
  assert.equal(token, `ABCDEFGHIJKLMNOP.${index}`);
  assert.equal(rig.tokens.kind === "simple" && rig.tokens.simple.lookup(token), "alice");
});

test("deleting a user or changing its password drops its tokens; disabling auth drops them all", () => {
  const rig = new AuthRig();
  rig.setUpUsers();
  const login = (name: string): string => (rig.must({ authenticate: { name, password: "", simpleToken: "ABCDEFGHIJKLMNOP" } }) as { token: string }).token;
  const known = (token: string): boolean => rig.tokens.kind === "simple" && rig.tokens.simple.lookup(token) !== undefined;
  const a1 = login("alice");
  const r1 = login("root");
  rig.must({ authUserChangePassword: { name: "alice", password: "", hashedPassword: proposedHash("new") } }, rig.as("root"));
  assert.equal(known(a1), false);
  assert.equal(known(r1), true);
  const a2 = login("alice");
  rig.must({ authUserDelete: { name: "alice" } }, rig.as("root"));
  assert.equal(known(a2), false);
  rig.must({ authDisable: {} }, rig.as("root"));
  assert.equal(known(r1), false);
});

test("an entry written by etcd 3.4 (the password itself, no hash) is hashed when applied", async () => {
  const rig = new AuthRig();
  rig.must({ authUserAdd: { name: "old", password: "secret", hashedPassword: "", options: undefined } });
  const stored = rig.store.user("old")!.password.toString("latin1");
  assert.match(stored, new RegExp(`^\\$2[aby]\\$0${TEST_BCRYPT_COST}\\$`));
  rig.must({ authUserAdd: { name: "new", password: "", hashedPassword: proposedHash("other"), options: undefined } });
  const hasher = createPasswordHasher({ cost: TEST_BCRYPT_COST, threads: 1 });
  try {
    assert.equal(await hasher.verify("secret", stored), true);
    assert.equal(await hasher.verify("other", rig.store.user("new")!.password.toString("latin1")), true, "a proposed hash is stored as it came");
  } finally {
    await hasher.close();
  }
});

test("a user without password keeps none when its password is changed", () => {
  const rig = new AuthRig();
  rig.must({ authUserAdd: { name: "nopw", password: "", hashedPassword: "", options: { noPassword: true } } });
  rig.must({ authUserChangePassword: { name: "nopw", password: "", hashedPassword: proposedHash("x") } });
  assert.equal(rig.store.user("nopw")!.password.length, 0);
  refusedAs(rig, { authUserChangePassword: { name: "ghost", password: "", hashedPassword: proposedHash("x") } }, undefined, "UserNotFound");
});
