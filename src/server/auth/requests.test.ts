import { test } from "node:test";
import assert from "node:assert/strict";
import { InternalRaftRequest } from "../../gen/etcdserverpb/raft_internal.js";
import { nullLogger } from "../../pkg/logger.js";
import { isEtcdError, type ErrorKind } from "../../pkg/errors.js";
import type { AuthApi } from "../api.js";
import { createAuthRequests, NO_PASSWORD_USER } from "./requests.js";
import { AuthRig, CountingHasher, TEST_HEADER } from "./test-support.js";

const noBarrier = { barrier: () => Promise.resolve() };

function paths(rig: AuthRig, hasher: CountingHasher): AuthApi {
  return createAuthRequests({ gate: rig.gate, store: rig.store, tokens: rig.tokens, hasher, proposer: rig.proposer, reads: noBarrier, header: TEST_HEADER, clock: rig.clock, logger: nullLogger });
}

const is = (kind: ErrorKind) => (err: unknown) => isEtcdError(err, kind);

async function withRig(fn: (rig: AuthRig, api: AuthApi, hasher: CountingHasher) => Promise<void>): Promise<void> {
  const rig = new AuthRig();
  const hasher = new CountingHasher();
  try {
    await fn(rig, paths(rig, hasher), hasher);
  } finally {
    await hasher.close();
  }
}

/** Enables auth through the request paths: root (password "rootpw") with the root role. */
async function enable(api: AuthApi): Promise<void> {
  await api.userAdd({ name: "root", password: "rootpw", hashedPassword: "", options: undefined });
  await api.userGrantRole({ user: "root", role: "root" });
  await api.authEnable({});
}

test("the log never holds a clear password: UserAdd and UserChangePassword propose a bcrypt hash", async () => {
  await withRig(async (rig, api, hasher) => {
    await api.userAdd({ name: "carol", password: "very-secret-1", hashedPassword: "", options: undefined });
    await api.userChangePassword({ name: "carol", password: "very-secret-2", hashedPassword: "" });
    await api.userAdd({ name: "nopw", password: "", hashedPassword: "", options: { noPassword: true } });
    assert.equal(hasher.hashes, 2, "no hash for a user without password");
    for (const bytes of rig.proposed) {
      assert.equal(bytes.includes("very-secret"), false, "no clear password in the proposed bytes");
    }
    const add = InternalRaftRequest.decode(rig.proposed[0]!).authUserAdd!;
    assert.equal(add.password, "");
    assert.match(Buffer.from(add.hashedPassword, "base64").toString("latin1"), /^\$2[aby]\$\d\d\$/);
    assert.equal(await hasher.verify("very-secret-2", rig.store.user("carol")!.password.toString("latin1")), true);
  });
});

test("UserAdd with an empty name is refused before anything is hashed or proposed", async () => {
  await withRig(async (rig, api, hasher) => {
    await assert.rejects(api.userAdd({ name: "", password: "x", hashedPassword: "", options: undefined }), is("UserEmpty"));
    assert.equal(rig.proposed.length, 0);
    assert.equal(hasher.hashes, 0);
  });
});

test("Authenticate: auth off → not enabled; a wrong password or an unknown user each cost one bcrypt compare and fail alike; a user without password gets etcd's own text", async () => {
  await withRig(async (rig, api, hasher) => {
    await assert.rejects(api.authenticate({ name: "root", password: "rootpw" }), is("AuthNotEnabled"));
    await enable(api);
    const proposals = rig.proposed.length;
    let compares = hasher.compares;
    await assert.rejects(api.authenticate({ name: "root", password: "wrong" }), is("AuthFailed"));
    assert.equal(hasher.compares - compares, 1);
    compares = hasher.compares;
    await assert.rejects(api.authenticate({ name: "nobody", password: "whatever" }), is("AuthFailed"));
    assert.equal(hasher.compares - compares, 1, "an unknown user costs a compare too");
    assert.equal(rig.proposed.length, proposals, "nothing proposed for a failed login");
    await api.userAdd({ name: "carol", password: "", hashedPassword: "", options: { noPassword: true } }, undefined, { token: undefined, commonName: "root" });
    compares = hasher.compares;
    await assert.rejects(api.authenticate({ name: "carol", password: "anything" }), { message: NO_PASSWORD_USER });
    assert.equal(hasher.compares, compares, "refused before any compare, as etcd does");
    const resp = await api.authenticate({ name: "root", password: "rootpw" });
    assert.match(resp.token, /^[A-Za-z]{16}\.\d+$/);
    assert.deepEqual(resp.header, TEST_HEADER.header());
    const sent = InternalRaftRequest.decode(rig.proposed.at(-1)!).authenticate!;
    assert.equal(sent.password, "", "the login entry carries no password");
    assert.equal(resp.token.startsWith(sent.simpleToken), true);
    // The token works for what root may do.
    const users = await api.userList({}, undefined, { token: resp.token, commonName: undefined });
    assert.deepEqual(users.users, ["carol", "root"]);
  });
});

test("Authenticate checks again when the auth store changed between the password check and the apply", async () => {
  await withRig(async (rig, api) => {
    await enable(api);
    const logins = (): number => rig.proposed.filter((p) => InternalRaftRequest.decode(p).authenticate !== undefined).length;
    rig.hold = true;
    const pending = api.authenticate({ name: "root", password: "rootpw" });
    // The login entry is proposed (after the compare on the worker); a change lands before it is applied.
    for (let i = 0; i < 2000 && logins() === 0; i++) await new Promise((r) => setTimeout(r, 5));
    rig.hold = false;
    rig.must({ authRoleAdd: { name: "meanwhile" } }, rig.as("root"));
    rig.release();
    const resp = await pending;
    assert.equal(logins(), 2, "the password was checked again and a second login entry proposed");
    assert.equal(rig.tokens.kind === "simple" && rig.tokens.simple.lookup(resp.token), "root");
  });
});

test("management requests resolve their caller first: a bad token is refused before proposing; headers are filled", async () => {
  await withRig(async (rig, api) => {
    await enable(api);
    const proposals = rig.proposed.length;
    await assert.rejects(api.roleAdd({ name: "r" }, undefined, { token: "ABCDEFGHIJKLMNOP.1", commonName: undefined }), is("InvalidAuthToken"));
    await assert.rejects(api.userAdd({ name: "eve", password: "pw", hashedPassword: "", options: undefined }, undefined, { token: undefined, commonName: "alice" }), is("UserNotFound"));
    assert.equal(rig.proposed.length, proposals);
    await assert.rejects(api.roleAdd({ name: "r" }), is("UserEmpty"), "no credentials: refused when applied");
    const root = { token: undefined, commonName: "root" };
    const added = await api.roleAdd({ name: "r" }, undefined, root);
    assert.deepEqual(added.header, TEST_HEADER.header());
    const status = await api.authStatus({}, undefined, root);
    assert.equal(status.enabled, true);
    assert.equal(status.authRevision, rig.store.revision);
    await api.checkAdmin(root);
    await assert.rejects(api.checkAdmin(undefined), is("UserEmpty"));
  });
});
