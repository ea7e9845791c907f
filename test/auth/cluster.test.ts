/**
 * Auth on a 3-member cluster, the same script against real etcd 3.4 (which
 * proves the script) and ours:
 *  - users, a role with a prefix permission and `auth enable`, all made
 *    through member 1, are enforced on members 2 and 3 (etcdctl as the user);
 *  - every member stopped (one killed) and started again keeps users, roles,
 *    permissions and the enabled flag;
 *  - a member down while the auth state changed (a permission revoked, a
 *    user added) and thousands of writes happened catches up from a snapshot
 *    and enforces the current state, read from its own store (serializable);
 *  - with JWT tokens (RS256, the same key pair on every member), a token one
 *    member issued is accepted by the others, and one issued before a
 *    permission change is refused as old until the user authenticates again.
 * Members are counted from 1 in names and comments: member 1 is the harness's
 * m0 (index 0), member 3 is m2.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AuthClient, AuthenticateRequest, PutRequest, RangeRequest } from "../../src/gen/etcdserverpb/rpc.js";
import { Cluster } from "../cluster/cluster.js";
import { callWithDeadline } from "../cluster/rpc.js";
import type { CtlResult } from "../harness/etcdctl.js";
import type { Outcome } from "../harness/grpc-clients.js";
import { tempDir } from "../harness/paths.js";
import type { Flavor } from "../harness/server-process.js";

interface Account {
  readonly name: string;
  readonly password: string;
}

const ROOT: Account = { name: "root", password: "root-pw" };
const ALICE: Account = { name: "alice", password: "alice-pw" };
const BOB: Account = { name: "bob", password: "bob-pw" };

/** What each server logs when a member installs a snapshot sent by the leader (as test/cluster and test/tls check). */
const SNAPSHOT_EVIDENCE: Record<Flavor, RegExp> = {
  real: /starts to restore snapshot/,
  ours: /applied a snapshot from the leader/,
};

/**
 * Writes made while a member is down: more entries than a leader keeps in its
 * log after a snapshot (etcd keeps 5,000 past --snapshot-count), so the member
 * can only catch up from a snapshot.
 */
const WRITES_WHILE_DOWN = 6_000;

const PERMISSION_DENIED = "etcdserver: permission denied";
/** etcd 3.4's words for a token older than the auth store (ErrGRPCAuthOldRevision). */
const OLD_REVISION = "etcdserver: revision of auth store is old";
const GRPC_PERMISSION_DENIED = 7;
const GRPC_INVALID_ARGUMENT = 3;

function ctl(cluster: Cluster, i: number, args: string[], as?: Account): Promise<CtlResult> {
  return cluster.etcdctl(i, [...(as !== undefined ? ["--user", `${as.name}:${as.password}`] : []), ...args]);
}

/** etcdctl that must succeed; what it printed. */
async function ctlOk(cluster: Cluster, i: number, args: string[], as?: Account): Promise<string> {
  const r = await ctl(cluster, i, args, as);
  assert.equal(r.code, 0, `etcdctl ${args.join(" ")} as ${as?.name ?? "nobody"} on ${cluster.member(i).name}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** etcdctl that must be refused with `message`. */
async function ctlRefused(cluster: Cluster, i: number, args: string[], as: Account | undefined, message: string): Promise<void> {
  const r = await ctl(cluster, i, args, as);
  assert.notEqual(r.code, 0, `etcdctl ${args.join(" ")} as ${as?.name ?? "nobody"} on ${cluster.member(i).name} was allowed: ${r.stdout}`);
  assert.ok(r.stderr.includes(message), `etcdctl ${args.join(" ")} as ${as?.name ?? "nobody"} on ${cluster.member(i).name}: expected "${message}", got: ${r.stderr}`);
}

/** Through member 1: root, alice with readwrite on the prefix app/, auth enabled, two keys written by root. */
async function enableAuthThroughFirstMember(cluster: Cluster): Promise<void> {
  await ctlOk(cluster, 0, ["user", "add", ROOT.name, "--new-user-password", ROOT.password]);
  await ctlOk(cluster, 0, ["user", "add", ALICE.name, "--new-user-password", ALICE.password]);
  await ctlOk(cluster, 0, ["role", "add", "app"]);
  await ctlOk(cluster, 0, ["role", "grant-permission", "app", "readwrite", "app/", "--prefix=true"]);
  await ctlOk(cluster, 0, ["user", "grant-role", ALICE.name, "app"]);
  assert.equal(await ctlOk(cluster, 0, ["auth", "enable"]), "Authentication Enabled\n");
  await ctlOk(cluster, 0, ["put", "app/greeting", "hello"], ROOT);
  await ctlOk(cluster, 0, ["put", "other/secret", "s"], ROOT);
}

/** On member i, alice reads and writes under app/ and nothing under other/; nobody and a wrong password get nothing. */
async function assertAliceConfinedToApp(cluster: Cluster, i: number): Promise<void> {
  const name = cluster.member(i).name;
  assert.equal(await ctlOk(cluster, i, ["put", `app/from-${name}`, "v"], ALICE), "OK\n");
  assert.equal(await ctlOk(cluster, i, ["get", "app/greeting"], ALICE), "app/greeting\nhello\n");
  await ctlRefused(cluster, i, ["put", "other/x", "v"], ALICE, PERMISSION_DENIED);
  await ctlRefused(cluster, i, ["get", "other/secret"], ALICE, PERMISSION_DENIED);
  // A range reaching past app/ is refused whole, not cut down to what alice may read.
  await ctlRefused(cluster, i, ["get", "app", "--prefix"], ALICE, PERMISSION_DENIED);
  await ctlRefused(cluster, i, ["get", "app/greeting"], undefined, "etcdserver: user name is empty");
  await ctlRefused(cluster, i, ["get", "app/greeting"], { name: ALICE.name, password: "wrong" }, "etcdserver: authentication failed, invalid user ID or password");
}

/** Users, the role's permission and alice's role as member i's etcdctl prints them (root asking). */
async function assertAuthStateListed(cluster: Cluster, i: number): Promise<void> {
  assert.equal(await ctlOk(cluster, i, ["user", "list"], ROOT), "alice\nroot\n");
  assert.equal(await ctlOk(cluster, i, ["role", "list"], ROOT), "app\nroot\n");
  assert.equal(await ctlOk(cluster, i, ["user", "get", ALICE.name], ROOT), "User: alice\nRoles: app\n");
  assert.equal(await ctlOk(cluster, i, ["role", "get", "app"], ROOT), "Role app\nKV Read:\n\t[app/, app0) (prefix app/)\nKV Write:\n\t[app/, app0) (prefix app/)\n");
}

/** Authenticate on member i over gRPC; the token. */
async function authenticate(cluster: Cluster, i: number, account: Account): Promise<string> {
  const client = new AuthClient(cluster.member(i).endpoint, grpc.credentials.createInsecure());
  try {
    const r = await callWithDeadline(client, client.authenticate, AuthenticateRequest.fromPartial({ name: account.name, password: account.password }), 10_000);
    if (!r.ok) throw new Error(`authenticate ${account.name} on ${cluster.member(i).name}: ${r.error.message}`);
    return r.value.token;
  } finally {
    client.close();
  }
}

const DONE = { ok: true, value: undefined } as const;

/** A put with a token: done (no value), or the refusal. */
async function putWithToken(cluster: Cluster, i: number, token: string, key: string, value: string): Promise<Outcome<undefined>> {
  const c = cluster.clients(i);
  const r = await callWithDeadline(c.kv, c.kv.put, PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value) }), 10_000, { token });
  return r.ok ? DONE : r;
}

/** A linearizable single-key read with a token: the value (undefined: absent), or the refusal. */
async function getWithToken(cluster: Cluster, i: number, token: string, key: string): Promise<Outcome<string | undefined>> {
  const c = cluster.clients(i);
  const r = await callWithDeadline(c.kv, c.kv.range, RangeRequest.fromPartial({ key: Buffer.from(key) }), 10_000, { token });
  return r.ok ? { ok: true, value: r.value.kvs[0]?.value.toString() } : r;
}

/** `count` puts over 100 keys through member i, 16 at a time, as the token's user; every one must succeed. */
async function writeMany(cluster: Cluster, i: number, token: string, count: number): Promise<void> {
  let next = 0;
  const writer = async (): Promise<void> => {
    while (next < count) {
      const n = next++;
      const r = await putWithToken(cluster, i, token, `load/${n % 100}`, String(n));
      if (!r.ok) throw new Error(`put ${n} through ${cluster.member(i).name}: ${r.error.code} ${r.error.message}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, writer));
}

/** Waits until member i has applied everything member `of` has (same store revision, no new writes meanwhile). */
async function waitForRevisionOf(cluster: Cluster, i: number, of: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [mine, theirs] = await Promise.all([cluster.status(i), cluster.status(of)]);
    const [a, b] = [mine?.header?.revision, theirs?.header?.revision];
    if (a !== undefined && a === b) return;
    if (Date.now() > deadline) throw new Error(`${cluster.member(i).name} at revision ${a}, ${cluster.member(of).name} at ${b}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function decodedJwtHeader(token: string): unknown {
  const parts = token.split(".");
  assert.equal(parts.length, 3, `a JWT has three parts: ${token}`);
  return JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8"));
}

for (const flavor of ["real", "ours"] as const satisfies readonly Flavor[]) {
  describe(`auth on a 3-member cluster, simple tokens (${flavor})`, () => {
    // The three cases run in order on one cluster: each starts from the state the previous one left.
    let cluster: Cluster;
    before(async () => {
      cluster = await Cluster.start({ flavor, size: 3, proxied: false, extraArgs: ["--snapshot-count", "100"] });
      await cluster.waitForLeader();
    });
    after(() => cluster?.stopAll());

    test(`${flavor}: users, a role and auth enable made through member 1 hold on members 2 and 3`, { timeout: 120_000 }, async () => {
      await enableAuthThroughFirstMember(cluster);
      for (const i of [1, 2, 0]) await assertAliceConfinedToApp(cluster, i);
      for (const i of [1, 2]) await assertAuthStateListed(cluster, i);
    });

    test(`${flavor}: every member stopped and started again keeps users, roles, permissions and auth enabled`, { timeout: 120_000 }, async () => {
      await cluster.kill9(0);
      await cluster.stop(1);
      await cluster.stop(2);
      // None of them can be ready alone (etcd publishes itself through the log first).
      for (const i of [0, 1, 2]) await cluster.restart(i, { wait: false });
      await cluster.waitForLeader({ timeoutMs: 60_000 });
      for (const i of [0, 1, 2]) {
        await assertAuthStateListed(cluster, i);
        await assertAliceConfinedToApp(cluster, i);
      }
    });

    test(`${flavor}: a member down during auth changes and ${WRITES_WHILE_DOWN} writes catches up from a snapshot and enforces the current permissions`, { timeout: 300_000 }, async () => {
      await cluster.stop(2);
      await cluster.waitForLeader({ among: [0, 1] });
      // While member 3 is down: alice loses app/ and gets app2/; bob joins with read on app/.
      await ctlOk(cluster, 0, ["role", "revoke-permission", "app", "app/", "--prefix=true"], ROOT);
      await ctlOk(cluster, 0, ["role", "grant-permission", "app", "readwrite", "app2/", "--prefix=true"], ROOT);
      await ctlOk(cluster, 0, ["user", "add", BOB.name, "--new-user-password", BOB.password], ROOT);
      await ctlOk(cluster, 0, ["role", "add", "audit"], ROOT);
      await ctlOk(cluster, 0, ["role", "grant-permission", "audit", "read", "app/", "--prefix=true"], ROOT);
      await ctlOk(cluster, 0, ["user", "grant-role", BOB.name, "audit"], ROOT);
      await ctlOk(cluster, 0, ["put", "app2/seed", "planted"], ROOT);
      await writeMany(cluster, 0, await authenticate(cluster, 0, ROOT), WRITES_WHILE_DOWN);

      const logBefore = cluster.member(2).output().length;
      await cluster.restart(2);
      await waitForRevisionOf(cluster, 2, 0);
      const bySnapshot = SNAPSHOT_EVIDENCE[flavor].test(cluster.member(2).output().slice(logBefore));
      assert.ok(bySnapshot, `${cluster.member(2).name} caught up from a snapshot:\n${cluster.member(2).output().slice(logBefore).slice(-4000)}`);

      // Serializable reads answer from member 3's own store and auth state.
      const local = ["--consistency=s"];
      await ctlRefused(cluster, 2, ["get", "app/greeting", ...local], ALICE, PERMISSION_DENIED);
      assert.equal(await ctlOk(cluster, 2, ["get", "app2/seed", ...local], ALICE), "app2/seed\nplanted\n");
      assert.equal(await ctlOk(cluster, 2, ["get", "app/greeting", ...local], BOB), "app/greeting\nhello\n");
      await ctlRefused(cluster, 2, ["get", "app2/seed", ...local], BOB, PERMISSION_DENIED);
      assert.equal(await ctlOk(cluster, 2, ["user", "list"], ROOT), "alice\nbob\nroot\n");
      assert.equal(await ctlOk(cluster, 2, ["role", "get", "app"], ROOT), "Role app\nKV Read:\n\t[app2/, app20) (prefix app2/)\nKV Write:\n\t[app2/, app20) (prefix app2/)\n");
      // Writes through member 3 are checked against the same state.
      assert.equal(await ctlOk(cluster, 2, ["put", "app2/from-m2", "v"], ALICE), "OK\n");
      await ctlRefused(cluster, 2, ["put", "app/from-m2", "v"], ALICE, PERMISSION_DENIED);
      await ctlRefused(cluster, 2, ["put", "app/from-m2", "v"], BOB, PERMISSION_DENIED);
    });
  });

  describe(`auth on a 3-member cluster, JWT tokens (${flavor})`, () => {
    const keys = tempDir(`auth-jwt-${flavor}`);
    let cluster: Cluster;
    before(async () => {
      const pair = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
      const publicKey = join(keys.path, "jwt.pub.pem");
      const privateKey = join(keys.path, "jwt.key.pem");
      writeFileSync(publicKey, pair.publicKey);
      writeFileSync(privateKey, pair.privateKey, { mode: 0o600 });
      const authToken = `jwt,pub-key=${publicKey},priv-key=${privateKey},sign-method=RS256`;
      cluster = await Cluster.start({ flavor, size: 3, proxied: false, extraArgs: ["--auth-token", authToken] });
      await cluster.waitForLeader();
    });
    after(async () => {
      await cluster?.stopAll();
      keys.remove();
    });

    test(`${flavor}: JWT: a token from member 1 works on members 2 and 3; one from before a permission change is refused as old until re-authentication`, { timeout: 120_000 }, async () => {
      await enableAuthThroughFirstMember(cluster);
      const token = await authenticate(cluster, 0, ALICE);
      assert.deepEqual(decodedJwtHeader(token), { alg: "RS256", typ: "JWT" });

      assert.deepEqual(await putWithToken(cluster, 1, token, "app/jwt", "signed"), DONE);
      assert.deepEqual(await getWithToken(cluster, 2, token, "app/jwt"), { ok: true, value: "signed" });
      assert.deepEqual(await getWithToken(cluster, 1, token, "other/secret"), { ok: false, error: { code: GRPC_PERMISSION_DENIED, message: PERMISSION_DENIED } });

      // Any change to the auth store makes tokens signed before it old: here alice gains read on shared/.
      await ctlOk(cluster, 0, ["role", "grant-permission", "app", "read", "shared/", "--prefix=true"], ROOT);
      await ctlOk(cluster, 0, ["put", "shared/notice", "n"], ROOT);
      const old = { ok: false, error: { code: GRPC_INVALID_ARGUMENT, message: OLD_REVISION } };
      assert.deepEqual(await getWithToken(cluster, 1, token, "app/jwt"), old);
      assert.deepEqual(await putWithToken(cluster, 2, token, "app/jwt", "again"), old);

      const fresh = await authenticate(cluster, 2, ALICE);
      assert.deepEqual(await putWithToken(cluster, 1, fresh, "app/jwt", "again"), DONE);
      assert.deepEqual(await getWithToken(cluster, 0, fresh, "app/jwt"), { ok: true, value: "again" });
      assert.deepEqual(await getWithToken(cluster, 1, fresh, "shared/notice"), { ok: true, value: "n" });
    });
  });
}
