/**
 * --quota-backend-bytes with the real etcdctl: writes past the quota fail
 * with "database space exceeded" and raise the NOSPACE alarm on the member;
 * while it is raised, reads, deletes, compaction and defragmentation keep
 * working; after defrag and `alarm disarm`, writes work again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { etcdctl } from "../harness/etcdctl.js";
import { startServer } from "../harness/server-process.js";

test("NOSPACE: raised past the quota, recoverable with compaction, defrag and disarm", async () => {
  const server = await startServer({ flavor: "ours", extraArgs: ["--quota-backend-bytes", "120000"] });
  const ctl = (...args: string[]) => etcdctl(server.endpoint, args);
  try {
    const big = "x".repeat(3000);
    let failures = 0;
    for (let i = 0; i < 40 && failures === 0; i++) {
      const r = await ctl("put", `k${i}`, big);
      if (r.code !== 0) {
        assert.match(r.stderr, /etcdserver: mvcc: database space exceeded/);
        failures++;
      }
    }
    assert.equal(failures, 1, "the quota was never reached");
    const alarms = await ctl("alarm", "list");
    assert.match(alarms.stdout, /^memberID:\d+ alarm:NOSPACE \n$/);
    const status = await ctl("endpoint", "status");
    assert.match(status.stdout, /alarm:NOSPACE/);
    // A small put fails too while the alarm is raised (every member refuses).
    assert.match((await ctl("put", "small", "1")).stderr, /database space exceeded/);
    assert.equal((await ctl("get", "k1", "--print-value-only")).stdout, `${big}\n`);
    assert.equal((await ctl("del", "k", "--prefix")).code, 0);
    const rev = /"revision":(\d+)/.exec((await ctl("get", "k1", "-w", "json")).stdout)![1]!;
    assert.equal((await ctl("compaction", rev)).code, 0);
    assert.equal((await ctl("defrag")).code, 0);
    assert.equal((await ctl("alarm", "disarm")).code, 0);
    assert.equal((await ctl("alarm", "list")).stdout, "");
    assert.equal((await ctl("put", "after", "recovered")).stdout, "OK\n");
  } finally {
    await server.stop();
  }
});
