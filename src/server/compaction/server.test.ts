/**
 * The compactor inside a real single-member server on a manual clock: it
 * starts with the server, resumes when the member leads, compacts through
 * the log, and stops with the server.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { RangeRequest } from "../../gen/etcdserverpb/rpc.js";
import { ManualClock } from "../../pkg/clock.js";
import { isEtcdError } from "../../pkg/errors.js";
import { SeededRandom } from "../../pkg/random.js";
import { EtcdServer } from "../etcd-server.js";
import { NO_FORWARDING, singleMemberConfig } from "../test-support.js";
import { REVISION_ROUND_MS } from "./revision.js";
import { recordingLogger, type LogLine } from "./test-support.js";

function rangeAt(key: string, revision: bigint): RangeRequest {
  return { key: Buffer.from(key), rangeEnd: Buffer.alloc(0), limit: 0n, revision, sortOrder: 0, sortTarget: 0, serializable: true, keysOnly: false, countOnly: false, minModRevision: 0n, maxModRevision: 0n, minCreateRevision: 0n, maxCreateRevision: 0n };
}

/** Waits in real time (the apply path writes the WAL) until `cond` holds. */
async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** etcd's Credentials for a root token, or none with auth off. */
type Creds = { token: string; commonName: undefined } | undefined;

for (const auth of [false, true]) {
  test(`revision mode in a running member (auth ${auth ? "on" : "off"}): after the 5-minute round, revisions older than current − retention are compacted; stop ends it`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "etcd-compaction-"));
    const clock = new ManualClock();
    const logs: LogLine[] = [];
    const config = { ...singleMemberConfig(dataDir), autoCompaction: { mode: "revision", retention: 3 }, auth: { token: { kind: "simple" }, simpleTokenTtlMs: 300_000, bcryptCost: 4 } } as const;
    const server = await EtcdServer.start(config, { logger: recordingLogger(logs), clock, random: new SeededRandom(7), leaderForwarder: () => NO_FORWARDING });
    try {
      for (let i = 0; i < 10; i++) await server.kv.put({ key: Buffer.from("k"), value: Buffer.from(String(i)), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false });
      // With auth on, the compactor proposes as nobody: etcd does not check a Compaction's caller.
      if (auth) await enableAuth(server);
      const current = server.header().revision;
      assert.equal(current, 11n);
      clock.advance(REVISION_ROUND_MS - 100);
      const range = async (revision: bigint): Promise<bigint> => (await server.kv.range(rangeAt("k", revision), undefined, await rootCreds(server, auth))).count;
      assert.equal(await range(2n), 1n, "nothing compacted before the round");
      clock.advance(100);
      const compacted = async (): Promise<boolean> => range(current - 4n).then(() => false, (err: unknown) => isEtcdError(err, "Compacted"));
      await until(compacted, "the auto compaction");
      assert.equal(await range(current - 3n), 1n, "the compact revision and later stay readable");
      const started = logs.find((l) => l.msg === "starting auto revision compaction");
      assert.deepEqual(started?.fields, { component: "compactor", revision: "8", "revision-compaction-retention": "3" });
      assert.equal(logs.filter((l) => l.msg === "failed auto revision compaction").length, 0);
    } finally {
      await server.stop();
      assert.equal(clock.pendingTimers, 0, "stop cancels the compactor's round too");
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

async function enableAuth(server: EtcdServer): Promise<void> {
  await server.auth.userAdd({ name: "root", password: "rootpw", hashedPassword: "", options: undefined });
  await server.auth.userGrantRole({ user: "root", role: "root" });
  await server.auth.authEnable({});
}

/** A fresh root token (the clock moves minutes in these tests, past a simple token's TTL). */
async function rootCreds(server: EtcdServer, auth: boolean): Promise<Creds> {
  if (!auth) return undefined;
  const { token } = await server.auth.authenticate({ name: "root", password: "rootpw" });
  return { token, commonName: undefined };
}
