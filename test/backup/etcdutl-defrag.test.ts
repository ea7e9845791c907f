/**
 * `etcdutl defrag --data-dir` on our member's data dir: etcd's log lines,
 * a file that does not grow (and shrinks after deletions), the same data
 * served afterwards; refused while the member runs. And
 * `etcdutl migrate-from-etcd` (ours) on a stopped real etcd member, lightly
 * (restore-migrate's tests go deep): our etcd then serves its keys.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../harness/paths.js";
import { startServer } from "../harness/server-process.js";
import { ctl, etcdutl, serverHashKv, writeHistory } from "./etcdutl-harness.js";

const dir = tempDir("etcdutl-defrag");
after(() => dir.remove());

test("defrag of a stopped member: etcd's lines, a smaller file, the same data; refused while it runs", async () => {
  const dataDir = join(dir.path, "ours");
  const dbPath = join(dataDir, "member", "snap", "db");
  let server = await startServer({ flavor: "ours", dataDir });
  let before: { hash: number; compactRevision: number };
  try {
    const big = "v".repeat(2000);
    for (let i = 0; i < 200; i++) await ctl(server.endpoint, ["put", `big/${i}`, big]);
    await ctl(server.endpoint, ["del", "big/", "--prefix"]);
    await writeHistory(server.endpoint);
    before = await serverHashKv(server.endpoint, 0n);

    const refused = await etcdutl(["defrag", "--data-dir", dataDir, "--timeout", "300ms"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`^Error: Failed to defragment etcd data\\[${dataDir}\\] \\(data dir ${dataDir} is in use by a running member .*process ${server.pid}\\b`));
  } finally {
    await server.stop({ keepData: true });
  }
  const sizeBefore = statSync(dbPath).size;
  const r = await etcdutl(["defrag", "--data-dir", dataDir]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 2, r.stderr);
  assert.match(lines[0]!, new RegExp(`\\tinfo\\tdefragmenting\\t\\{"path": "${dbPath}", "current-db-size-bytes": ${sizeBefore}, "current-db-size": "[0-9.]+ [kMG]?B", "current-db-size-in-use-bytes": \\d+, "current-db-size-in-use": "[0-9.]+ [kMG]?B"\\}$`));
  assert.match(lines[1]!, /\tinfo\tfinished defragmenting directory\t\{"path": .*"current-db-size-bytes-diff": -\d+, .*"took": "[0-9.]+(µs|ms|s)"\}$/);
  assert.ok(statSync(dbPath).size < sizeBefore, `${statSync(dbPath).size} < ${sizeBefore}`);

  server = await startServer({ flavor: "ours", dataDir });
  try {
    assert.deepEqual(await serverHashKv(server.endpoint, 0n), before);
    assert.equal((await ctl(server.endpoint, ["get", "k/20", "--print-value-only"])).trim(), "last");
  } finally {
    await server.stop({ keepData: true });
  }
});

test("defrag of a data dir without a database, or with real etcd's, says so", async () => {
  const none = await etcdutl(["defrag", "--data-dir", join(dir.path, "nothing")]);
  assert.deepEqual([none.code, none.stderr], [1, `Error: Failed to defragment etcd data[${join(dir.path, "nothing")}] (stat ${join(dir.path, "nothing", "member", "snap", "db")}: no such file or directory)\n`]);
  const realDir = join(dir.path, "real");
  const real = await startServer({ flavor: "real", dataDir: realDir });
  await real.stop({ keepData: true });
  const bolt = await etcdutl(["defrag", "--data-dir", realDir]);
  assert.equal(bolt.code, 1);
  assert.match(bolt.stderr, /real etcd's bbolt file: run "etcdutl migrate-from-etcd/);
});

test("migrate-from-etcd: a stopped real etcd member's data dir is served by our etcd", async () => {
  const dataDir = join(dir.path, "migrated");
  const real = await startServer({ flavor: "real", dataDir, name: "m1" });
  let expected: { hash: number; compactRevision: number };
  try {
    await writeHistory(real.endpoint);
    expected = await serverHashKv(real.endpoint, 0n);
  } finally {
    await real.stop({ keepData: true });
  }
  const r = await etcdutl(["migrate-from-etcd", "--data-dir", dataDir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\tinfo\tmigrated data dir from etcd\t\{"data-dir": ".*", "revision": \d+, "consistent-index": \d+, "kept-original-at": ".*"\}\n$/);
  const ours = await startServer({ flavor: "ours", dataDir, name: "m1" });
  try {
    assert.equal((await serverHashKv(ours.endpoint, 0n)).hash, expected.hash);
    assert.equal((await ctl(ours.endpoint, ["get", "k/20", "--print-value-only"])).trim(), "last");
  } finally {
    await ours.stop({ keepData: true });
  }
  const again = await etcdutl(["migrate-from-etcd", "--data-dir", dataDir]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^Error: .*already/m);
});
