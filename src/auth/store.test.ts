import { test } from "node:test";
import assert from "node:assert/strict";
import { Permission_Type, Role, User, type Permission } from "../gen/authpb/auth.js";
import { isEtcdError, type ErrorKind } from "../pkg/errors.js";
import { nullLogger } from "../pkg/logger.js";
import { MemoryBackend } from "../storage/backend/index.js";
import { AuthStore } from "./store.js";
import type { AuthInfo } from "./auth-info.js";

const HASH = "$2a$04$NbQbPCv6GbMjpxX17MdrNext4zyRMSQGcolc1IJx76ZnQl2D7qXZO";
const b = (s: string): Buffer => Buffer.from(s);
const perm = (key: string, rangeEnd: string, permType: Permission_Type): Permission => ({ key: b(key), rangeEnd: b(rangeEnd), permType });

function newStore(backend = new MemoryBackend()): { store: AuthStore; backend: MemoryBackend } {
  return { store: new AuthStore({ backend, logger: nullLogger }), backend };
}

function throwsKind(fn: () => void, kind: ErrorKind): void {
  assert.throws(fn, (err: unknown) => isEtcdError(err, kind), `expected EtcdError ${kind}`);
}

/** root with the root role, auth on. */
function enabledStore(): { store: AuthStore; backend: MemoryBackend } {
  const s = newStore();
  s.store.userAdd({ name: "root", hashedPassword: HASH, noPassword: false });
  s.store.userGrantRole("root", "root");
  s.store.enable();
  return s;
}

test("a new store starts at revision 1 and writes etcd's layout; a reopened one keeps its revision", () => {
  const { store, backend } = newStore();
  assert.equal(store.revision, 1n);
  assert.equal(store.enabled, false);
  assert.deepEqual(backend.get("auth", b("authRevision")), Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]));
  store.roleAdd("r");
  assert.equal(new AuthStore({ backend, logger: nullLogger }).revision, 2n);
});

test("users and roles are stored as etcd stores them (encoded authpb records, enabled flag one byte)", () => {
  const { store, backend } = enabledStore();
  assert.deepEqual(backend.get("auth", b("authEnabled")), Buffer.from([1]));
  const root = User.decode(backend.get("authUsers", b("root"))!);
  assert.deepEqual(root, { name: b("root"), password: b(HASH), roles: ["root"], options: { noPassword: false } });
  store.roleAdd("r");
  store.roleGrantPermission("r", perm("a", "b", Permission_Type.READWRITE));
  assert.deepEqual(Role.decode(backend.get("authRoles", b("r"))!), { name: b("r"), keyPermission: [perm("a", "b", Permission_Type.READWRITE)] });
  store.disable();
  assert.deepEqual(backend.get("auth", b("authEnabled")), Buffer.from([0]));
});

test("which mutations bump the revision: enable does not, disable and role add do, a repeated grant does not", () => {
  const { store } = newStore();
  store.userAdd({ name: "root", hashedPassword: HASH, noPassword: false });
  assert.equal(store.revision, 2n);
  store.userGrantRole("root", "root");
  assert.equal(store.revision, 3n);
  store.userGrantRole("root", "root");
  assert.equal(store.revision, 3n, "granting a role twice is a no-op");
  store.enable();
  assert.equal(store.revision, 3n);
  store.enable();
  store.roleAdd("r");
  assert.equal(store.revision, 4n);
  store.disable();
  assert.equal(store.revision, 5n);
  store.disable();
  assert.equal(store.revision, 5n, "disabling twice is a no-op");
});

test("enable needs root, and root needs the root role", () => {
  const { store } = newStore();
  throwsKind(() => store.enable(), "RootUserNotExist");
  store.userAdd({ name: "root", hashedPassword: HASH, noPassword: false });
  throwsKind(() => store.enable(), "RootRoleNotExist");
  store.userGrantRole("root", "root");
  store.enable();
  assert.equal(store.enabled, true);
});

test("root rules while auth is on: root, the root role and root's root role are protected", () => {
  const { store } = enabledStore();
  store.roleAdd("root");
  throwsKind(() => store.userDelete("root"), "InvalidAuthMgmt");
  throwsKind(() => store.roleDelete("root"), "InvalidAuthMgmt");
  throwsKind(() => store.userRevokeRole("root", "root"), "InvalidAuthMgmt");
  store.disable();
  store.userRevokeRole("root", "root");
  store.roleDelete("root");
  store.userDelete("root");
  assert.deepEqual(store.userNames(), []);
});

test("user errors: empty name, duplicates, unknown users and roles, revoking a role not granted", () => {
  const { store } = newStore();
  throwsKind(() => store.userAdd({ name: "", hashedPassword: HASH, noPassword: false }), "UserEmpty");
  throwsKind(() => store.roleAdd(""), "RoleEmpty");
  store.userAdd({ name: "u", hashedPassword: HASH, noPassword: false });
  throwsKind(() => store.userAdd({ name: "u", hashedPassword: HASH, noPassword: false }), "UserAlreadyExist");
  throwsKind(() => store.userDelete("x"), "UserNotFound");
  throwsKind(() => store.userChangePassword("x", HASH), "UserNotFound");
  throwsKind(() => store.userGrantRole("x", "root"), "UserNotFound");
  throwsKind(() => store.userGrantRole("u", "nope"), "RoleNotFound");
  throwsKind(() => store.userRevokeRole("x", "r"), "UserNotFound");
  throwsKind(() => store.userRevokeRole("u", "r"), "RoleNotGranted");
  store.roleAdd("r");
  throwsKind(() => store.roleAdd("r"), "RoleAlreadyExist");
  throwsKind(() => store.roleDelete("x"), "RoleNotFound");
  throwsKind(() => store.roleGrantPermission("x", perm("a", "", Permission_Type.READ)), "RoleNotFound");
  throwsKind(() => store.roleRevokePermission("x", b("a"), b("")), "RoleNotFound");
  throwsKind(() => store.roleRevokePermission("r", b("a"), b("")), "PermissionNotGranted");
});

test("a refused mutation changes nothing and tells nobody", () => {
  const { store } = newStore();
  let changes = 0;
  store.onChange(() => changes++);
  const rev = store.revision;
  throwsKind(() => store.userGrantRole("nobody", "root"), "UserNotFound");
  assert.equal(store.revision, rev);
  assert.equal(changes, 0);
});

test("a user without password keeps no hash; changing a password keeps roles and options", () => {
  const { store } = newStore();
  store.userAdd({ name: "np", hashedPassword: "", noPassword: true });
  assert.deepEqual(store.user("np"), { name: b("np"), password: Buffer.alloc(0), roles: [], options: { noPassword: true } });
  store.userGrantRole("np", "root");
  store.userChangePassword("np", HASH);
  assert.deepEqual(store.user("np"), { name: b("np"), password: b(HASH), roles: ["root"], options: { noPassword: true } });
});

test("roles are kept sorted by bytes; names are listed sorted; hasRole", () => {
  const { store } = newStore();
  for (const r of ["b", "a", "é", "Z"]) store.roleAdd(r);
  store.userAdd({ name: "u", hashedPassword: HASH, noPassword: false });
  store.userAdd({ name: "A", hashedPassword: HASH, noPassword: false });
  for (const r of ["b", "root", "é", "a", "Z"]) store.userGrantRole("u", r);
  assert.deepEqual(store.user("u")?.roles, ["Z", "a", "b", "root", "é"]);
  assert.deepEqual(store.roleNames(), ["Z", "a", "b", "é"]);
  assert.deepEqual(store.userNames(), ["A", "u"]);
  assert.equal(store.hasRole("u", "b"), true);
  assert.equal(store.hasRole("u", "c"), false);
  assert.equal(store.hasRole("x", "b"), false);
});

test("the role root need not exist to be granted", () => {
  const { store } = newStore();
  store.userAdd({ name: "u", hashedPassword: HASH, noPassword: false });
  store.userGrantRole("u", "root");
  assert.equal(store.role("root"), undefined);
  assert.deepEqual(store.user("u")?.roles, ["root"]);
});

test("deleting a role removes it from every user", () => {
  const { store, backend } = newStore();
  store.roleAdd("r");
  store.roleAdd("s");
  for (const u of ["u1", "u2", "u3"]) store.userAdd({ name: u, hashedPassword: HASH, noPassword: false });
  store.userGrantRole("u1", "r");
  store.userGrantRole("u2", "r");
  store.userGrantRole("u2", "s");
  const rev = store.revision;
  store.roleDelete("r");
  assert.equal(store.revision, rev + 1n, "one change, one revision");
  assert.deepEqual(store.user("u1")?.roles, []);
  assert.deepEqual(store.user("u2")?.roles, ["s"]);
  assert.deepEqual(store.user("u3")?.roles, []);
  const reopened = new AuthStore({ backend, logger: nullLogger });
  assert.deepEqual(reopened.user("u2")?.roles, ["s"], "the users' new roles are in the backend too");
  assert.equal(reopened.role("r"), undefined);
});

test("permissions: sorted by key, an existing (key, range end) updated in place, revoke by key and range end", () => {
  const { store } = newStore();
  store.roleAdd("r");
  store.roleGrantPermission("r", perm("m", "n", Permission_Type.READ));
  store.roleGrantPermission("r", perm("a", "", Permission_Type.WRITE));
  store.roleGrantPermission("r", perm("z", "\0", Permission_Type.READ));
  store.roleGrantPermission("r", perm("m", "n", Permission_Type.READWRITE));
  assert.deepEqual(store.role("r")?.keyPermission, [perm("a", "", Permission_Type.WRITE), perm("m", "n", Permission_Type.READWRITE), perm("z", "\0", Permission_Type.READ)]);
  store.roleGrantPermission("r", perm("m", "", Permission_Type.READ));
  assert.equal(store.role("r")?.keyPermission.length, 4, "same key, another range end: a second permission");
  throwsKind(() => store.roleRevokePermission("r", b("m"), b("o")), "PermissionNotGranted");
  store.roleRevokePermission("r", b("m"), b("n"));
  assert.deepEqual(
    store.role("r")?.keyPermission.map((p) => `${p.key}-${p.rangeEnd}`),
    ["a-", "m-", "z-\0"],
  );
});

test("recover re-reads the backend and tells the listeners", () => {
  const backend = new MemoryBackend();
  const { store } = newStore(backend);
  const other = new AuthStore({ backend, logger: nullLogger });
  store.userAdd({ name: "root", hashedPassword: HASH, noPassword: false });
  store.userGrantRole("root", "root");
  store.enable();
  let told = 0;
  other.onChange(() => told++);
  assert.equal(other.enabled, false);
  other.recover();
  assert.equal(told, 1);
  assert.equal(other.enabled, true);
  assert.equal(other.revision, store.revision);
  assert.deepEqual(other.userNames(), ["root"]);
});

test("listeners hear every change; unsubscribed ones do not; a throwing one does not stop the rest", () => {
  const { store } = newStore();
  const heard: string[] = [];
  store.onChange(() => {
    throw new Error("boom");
  });
  const off = store.onChange(() => heard.push("a"));
  store.onChange(() => heard.push("b"));
  store.roleAdd("r");
  off();
  store.roleAdd("s");
  assert.deepEqual(heard, ["a", "b", "b"]);
});

test("a name longer than the backend takes is refused before anything is written", () => {
  const { store } = newStore();
  throwsKind(() => store.userAdd({ name: "u".repeat(5000), hashedPassword: HASH, noPassword: false }), "RequestTooLarge");
  throwsKind(() => store.roleAdd("r".repeat(5000)), "RequestTooLarge");
  assert.deepEqual(store.userNames(), []);
  assert.equal(store.revision, 1n);
});

// Checks.

function withUser(): { store: AuthStore; alice: () => AuthInfo } {
  const { store } = enabledStore();
  store.roleAdd("reader");
  store.roleAdd("writer");
  store.roleGrantPermission("reader", perm("foo", "fop", Permission_Type.READ));
  store.roleGrantPermission("writer", perm("foo/a", "", Permission_Type.WRITE));
  store.userAdd({ name: "alice", hashedPassword: HASH, noPassword: false });
  store.userGrantRole("alice", "reader");
  store.userGrantRole("alice", "writer");
  return { store, alice: () => ({ username: "alice", revision: store.revision }) };
}

test("checks pass everything while auth is off", () => {
  const { store } = newStore();
  store.checkRange(undefined, b("a"), b(""));
  store.checkPut(undefined, b("a"));
  store.checkDeleteRange(undefined, b("a"), b("\0"));
  store.checkAdmin(undefined);
  assert.equal(store.isAdmin(undefined), true);
});

test("checks in etcd's order: no user, old revision, unknown user, root, then the intervals", () => {
  const { store, alice } = withUser();
  throwsKind(() => store.checkRange(undefined, b("foo"), b("")), "UserEmpty");
  throwsKind(() => store.checkRange({ username: "alice", revision: 0n }, b("foo"), b("")), "UserEmpty");
  throwsKind(() => store.checkRange({ username: "alice", revision: store.revision - 1n }, b("foo"), b("")), "AuthOldRevision");
  throwsKind(() => store.checkRange({ username: "ghost", revision: store.revision - 1n }, b("foo"), b("")), "AuthOldRevision");
  throwsKind(() => store.checkRange({ username: "ghost", revision: store.revision }, b("foo"), b("")), "PermissionDenied");
  store.checkRange({ username: "root", revision: store.revision }, b("anything"), b("\0"));
  store.checkRange(alice(), b("foo"), b(""));
  store.checkRange(alice(), b("foo/x"), b("foo/y"));
  throwsKind(() => store.checkRange(alice(), b("foo"), b("foq")), "PermissionDenied");
  store.checkPut(alice(), b("foo/a"));
  throwsKind(() => store.checkPut(alice(), b("foo/b")), "PermissionDenied");
  store.checkDeleteRange(alice(), b("foo/a"), b(""));
  throwsKind(() => store.checkDeleteRange(alice(), b("foo/a"), b("foo/b")), "PermissionDenied");
});

test("a permission change is seen by the next check (the cache is dropped)", () => {
  const { store, alice } = withUser();
  throwsKind(() => store.checkPut(alice(), b("foo/b")), "PermissionDenied");
  store.roleGrantPermission("writer", perm("foo/", "foo0", Permission_Type.WRITE));
  store.checkPut(alice(), b("foo/b"));
  store.userRevokeRole("alice", "writer");
  throwsKind(() => store.checkPut(alice(), b("foo/b")), "PermissionDenied");
  store.userGrantRole("alice", "writer");
  store.roleDelete("writer");
  throwsKind(() => store.checkPut(alice(), b("foo/b")), "PermissionDenied");
});

test("checkAdmin is etcd's IsAdminPermitted: no revision check, unknown user is 'user name not found'", () => {
  const { store, alice } = withUser();
  throwsKind(() => store.checkAdmin(undefined), "UserEmpty");
  throwsKind(() => store.checkAdmin({ username: "", revision: 5n }), "UserEmpty");
  throwsKind(() => store.checkAdmin({ username: "ghost", revision: store.revision }), "UserNotFound");
  throwsKind(() => store.checkAdmin(alice()), "PermissionDenied");
  store.checkAdmin({ username: "root", revision: 1n });
  assert.equal(store.isAdmin({ username: "root", revision: 1n }), true);
  assert.equal(store.isAdmin(alice()), false);
  assert.equal(store.isAdmin(undefined), false);
});

test("etcd's grant quirk: only the first permission with a key is compared, so a (key, end) pair behind it is added again", () => {
  // The same commands against etcd 3.4 list "m", "[m, n)", "[m, n)": reads as etcd's do.
  const { store } = newStore();
  store.roleAdd("r");
  store.roleGrantPermission("r", perm("m", "", Permission_Type.READ));
  store.roleGrantPermission("r", perm("m", "n", Permission_Type.READ));
  store.roleGrantPermission("r", perm("m", "n", Permission_Type.WRITE));
  assert.deepEqual(store.role("r")?.keyPermission, [perm("m", "", Permission_Type.READ), perm("m", "n", Permission_Type.READ), perm("m", "n", Permission_Type.WRITE)]);
});
