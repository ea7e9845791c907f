import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RangeRequest } from "../gen/etcdserverpb/rpc.js";
import { ManualClock } from "../pkg/clock.js";
import { EtcdError } from "../pkg/errors.js";
import { nullLogger } from "../pkg/logger.js";
import { SeededRandom } from "../pkg/random.js";
import type { ServerConfig } from "./config.js";
import { EtcdServer } from "./etcd-server.js";
import { NO_FORWARDING, singleMemberConfig } from "./test-support.js";
import { fetchClusterMembers } from "./transport/index.js";
import { makeTestPki, peerCertificate } from "../tls/test-support.js";
import { peerTlsFrom, recordingLogger, type LogLine } from "./transport/test-support.js";

const b = (s: string): Buffer => Buffer.from(s);

function rangeOne(key: string): RangeRequest {
  return { key: b(key), rangeEnd: Buffer.alloc(0), limit: 0n, revision: 0n, sortOrder: 0, sortTarget: 0, serializable: true, keysOnly: false, countOnly: false, minModRevision: 0n, maxModRevision: 0n, minCreateRevision: 0n, maxCreateRevision: 0n };
}

/** Waits (in real time: the apply path writes the WAL) until `cond` holds. */
async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test("a single member runs its periodic duties on the injected clock: a lease expires only as the clock advances; stop cancels them all", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "etcd-server-"));
  const clock = new ManualClock();
  const server = await EtcdServer.start(singleMemberConfig(dataDir), { logger: nullLogger, clock, random: new SeededRandom(7), leaderForwarder: () => NO_FORWARDING });
  try {
    assert.equal(server.hasLeader(), true);
    assert.equal(server.clusterVersion(), "3.6.0");
    const { ID } = await server.lease.grant({ ID: 0n, TTL: 5n });
    await server.kv.put({ key: b("k"), value: b("v"), lease: ID, prevKv: false, ignoreValue: false, ignoreLease: false });
    clock.advance(4000);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await server.kv.range(rangeOne("k"))).count, 1n, "4 s into a 5 s lease");
    // Past the TTL plus the extension a new leader grants (one election timeout), in heartbeat steps.
    for (let i = 0; i < 40; i++) clock.advance(100);
    await until(async () => (await server.kv.range(rangeOne("k"))).count === 0n, "the expired lease's key to go");
    assert.equal((await server.lease.timeToLive({ ID, keys: false })).TTL, -1n);
  } finally {
    await server.stop();
    assert.equal(clock.pendingTimers, 0, "stop cancels every periodic duty");
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("an https peer URL without peer TLS settings is refused before the data dir is made, naming the URL and the flags", async () => {
  const parent = mkdtempSync(join(tmpdir(), "etcd-server-"));
  const dataDir = join(parent, "never-made");
  const config = { ...singleMemberConfig(dataDir), listenPeerUrls: ["https://127.0.0.1:0"] };
  try {
    await assert.rejects(EtcdServer.start(config, { logger: nullLogger, clock: new ManualClock(), random: new SeededRandom(7), leaderForwarder: () => NO_FORWARDING }), {
      message: "cannot listen on TLS for 127.0.0.1:0: KeyFile and CertFile are not presented (peer URL https://127.0.0.1:0 needs --peer-cert-file and --peer-key-file, or --peer-auto-tls)",
    });
    assert.equal(existsSync(dataDir), false);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test("a member with peer TLS serves its peer port over https to holders of a peer certificate", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "etcd-server-"));
  const pkiDir = mkdtempSync(join(tmpdir(), "etcd-server-pki-"));
  const pki = await makeTestPki(pkiDir);
  const peerTls = peerTlsFrom(await peerCertificate(pkiDir, "solo", "solo"), pki.caCert);
  const config: ServerConfig = { ...singleMemberConfig(dataDir), listenPeerUrls: ["https://127.0.0.1:0"], peerTls };
  const logs: LogLine[] = [];
  const server = await EtcdServer.start(config, { logger: recordingLogger(logs), clock: new ManualClock(), random: new SeededRandom(7), leaderForwarder: () => NO_FORWARDING });
  try {
    const listening = logs.find((l) => l.msg === "serving peer traffic");
    const address = listening?.fields["address"];
    assert.equal(typeof address, "string");
    const remote = await fetchClusterMembers([`https://${String(address)}`], { tls: peerTlsFrom(await peerCertificate(pkiDir, "tool", "tool"), pki.caCert).client });
    assert.equal(remote.clusterId, server.clusterId);
    assert.deepEqual(remote.members.map((m) => m.id), [server.memberId]);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(pkiDir, { recursive: true, force: true });
  }
});

/** Simple tokens and the cheapest bcrypt cost: these tests hash a few passwords. */
const SIMPLE_TOKENS = { token: { kind: "simple" }, simpleTokenTtlMs: 300_000, bcryptCost: 4 } as const;

const isKind = (kind: string) => (err: unknown) => err instanceof EtcdError && err.kind === kind;

/** root (role root), alice with role reader (read on [a, b)), then auth enabled — through the Auth request paths. */
async function enableAuthWithReader(server: EtcdServer): Promise<void> {
  await server.auth.userAdd({ name: "root", password: "rootpw", hashedPassword: "", options: undefined });
  await server.auth.userGrantRole({ user: "root", role: "root" });
  await server.auth.roleAdd({ name: "reader" });
  await server.auth.roleGrantPermission({ name: "reader", perm: { permType: 0, key: b("a"), rangeEnd: b("b") } });
  await server.auth.userAdd({ name: "alice", password: "alicepw", hashedPassword: "", options: undefined });
  await server.auth.userGrantRole({ user: "alice", role: "reader" });
  await server.auth.authEnable({});
}

test("auth enabled through the Auth request paths survives a restart: users, roles, permissions, passwords and the enabled flag", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "etcd-server-"));
  const config: ServerConfig = { ...singleMemberConfig(dataDir), auth: SIMPLE_TOKENS };
  const deps = { logger: nullLogger, clock: new ManualClock(), random: new SeededRandom(7), leaderForwarder: () => NO_FORWARDING };
  let revision: bigint;
  let server = await EtcdServer.start(config, deps);
  try {
    await enableAuthWithReader(server);
    await assert.rejects(server.auth.userList({}), isKind("UserEmpty"));
    const { token } = await server.auth.authenticate({ name: "root", password: "rootpw" });
    const status = await server.auth.authStatus({}, undefined, { token, commonName: undefined });
    assert.equal(status.enabled, true);
    revision = status.authRevision;
  } finally {
    await server.stop();
  }

  server = await EtcdServer.start(config, deps);
  try {
    await assert.rejects(server.auth.authenticate({ name: "alice", password: "wrong" }), isKind("AuthFailed"));
    const alice = { token: (await server.auth.authenticate({ name: "alice", password: "alicepw" })).token, commonName: undefined };
    const status = await server.auth.authStatus({}, undefined, alice);
    assert.deepEqual([status.enabled, status.authRevision], [true, revision]);
    assert.deepEqual((await server.auth.userGet({ name: "alice" }, undefined, alice)).roles, ["reader"]);
    const perms = (await server.auth.roleGet({ role: "reader" }, undefined, alice)).perm;
    assert.deepEqual(perms.map((p) => [p.permType, String(p.key), String(p.rangeEnd)]), [[0, "a", "b"]]);
    await assert.rejects(server.auth.userList({}, undefined, alice), isKind("PermissionDenied"));
    const root = { token: (await server.auth.authenticate({ name: "root", password: "rootpw" })).token, commonName: undefined };
    assert.deepEqual((await server.auth.userList({}, undefined, root)).users, ["alice", "root"]);
    await server.auth.authDisable({}, undefined, root);
    assert.equal((await server.auth.authStatus({})).enabled, false);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("with auth on, requests act as their caller, and a lease with keys still expires (the member revokes it as root)", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "etcd-server-"));
  const clock = new ManualClock();
  const config: ServerConfig = { ...singleMemberConfig(dataDir), auth: SIMPLE_TOKENS };
  const server = await EtcdServer.start(config, { logger: nullLogger, clock, random: new SeededRandom(7), leaderForwarder: () => NO_FORWARDING });
  const put = (key: string, lease = 0n) => ({ key: b(key), value: b("v"), lease, prevKv: false, ignoreValue: false, ignoreLease: false });
  try {
    await enableAuthWithReader(server);
    const root = { token: (await server.auth.authenticate({ name: "root", password: "rootpw" })).token, commonName: undefined };
    const alice = { token: (await server.auth.authenticate({ name: "alice", password: "alicepw" })).token, commonName: undefined };

    await server.kv.put(put("a1"), undefined, root);
    assert.equal((await server.kv.range(rangeOne("a1"), undefined, alice)).count, 1n);
    await assert.rejects(server.kv.put(put("a1"), undefined, alice), isKind("PermissionDenied"));
    await assert.rejects(server.kv.put(put("a1")), isKind("UserEmpty"));

    const { ID } = await server.lease.grant({ ID: 0n, TTL: 5n }, undefined, root);
    await server.kv.put(put("a2", ID), undefined, root);
    for (let i = 0; i < 70; i++) clock.advance(100);
    await until(async () => (await server.kv.range(rangeOne("a2"), undefined, root)).count === 0n, "the expired lease's key to go");
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a member whose JWT options cannot be loaded does not start, and creates no data (the next start makes a new member)", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "etcd-server-"));
  const deps = { logger: nullLogger, clock: new ManualClock(), random: new SeededRandom(7), leaderForwarder: () => NO_FORWARDING };
  const bad: ServerConfig = {
    ...singleMemberConfig(dataDir),
    auth: { token: { kind: "jwt", options: { "sign-method": "RS256", "pub-key": join(dataDir, "missing.pub"), "priv-key": join(dataDir, "missing.key") } }, simpleTokenTtlMs: 300_000, bcryptCost: 4 },
  };
  try {
    await assert.rejects(EtcdServer.start(bad, deps));
    const server = await EtcdServer.start(singleMemberConfig(dataDir), deps);
    await server.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
