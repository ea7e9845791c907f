/**
 * The real `etcdctl lock` and `etcdctl elect` (clientv3/concurrency over our
 * KV, Lease and Watch) against our server, in real time: three lockers run
 * their commands one at a time; a holder killed with -9 hands the lock to
 * the waiter once its 2 s session lease expires; candidates lead in turn and
 * `elect -l` observes each leader.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type ServerProcess } from "../harness/server-process.js";
import { etcdctlProc, sleep } from "./procs.js";

let server: ServerProcess;

before(async () => {
  server = await startServer({ flavor: "ours" });
});

after(async () => {
  await server?.stop();
});

test("etcdctl lock: three lockers with commands run one at a time", async () => {
  const script = 'echo "start $(date +%s%N) $ETCD_LOCK_KEY"; sleep 0.4; echo "end $(date +%s%N)"';
  const procs = [0, 1, 2].map(() => etcdctlProc(server.endpoint, ["lock", "--ttl", "5", "mx", "--", "sh", "-c", script]));
  const codes = await Promise.all(procs.map((p) => p.exited));
  assert.deepEqual(codes, [0, 0, 0], procs.map((p) => p.output()).join("\n---\n"));
  const intervals = procs.map((p) => {
    const start = /start (\d+) (mx\/[0-9a-f]+)/.exec(p.output());
    const end = /end (\d+)/.exec(p.output());
    assert.ok(start && end, p.output());
    return { start: BigInt(start[1]!), end: BigInt(end[1]!), key: start[2]! };
  });
  intervals.sort((a, b) => (a.start < b.start ? -1 : 1));
  for (let i = 1; i < intervals.length; i++) assert.ok(intervals[i]!.start >= intervals[i - 1]!.end, "critical sections overlap");
  assert.equal(new Set(intervals.map((i) => i.key)).size, 3, "each locker had its own key");
});

test("etcdctl lock: a holder killed with -9 hands over once its 2 s session expires", async () => {
  const holder = etcdctlProc(server.endpoint, ["lock", "--ttl", "2", "kx"]);
  await holder.waitFor(/^kx\/[0-9a-f]+$/);
  const waiter = etcdctlProc(server.endpoint, ["lock", "--ttl", "2", "kx", "echo", "got-it"]);
  await sleep(800);
  assert.equal(waiter.saw(/got-it/), false, "the holder is alive");
  const killedAt = performance.now();
  await holder.kill9();
  await waiter.waitFor(/^got-it$/, 8000);
  const waited = performance.now() - killedAt;
  assert.ok(waited >= 1000 && waited < 6000, `handed over ${waited.toFixed(0)} ms after the kill`);
  assert.equal(await waiter.exited, 0);
});

test("etcdctl elect: candidates lead in turn; elect -l observes every leader", async () => {
  const observer = etcdctlProc(server.endpoint, ["elect", "-l", "ex"]);
  const first = etcdctlProc(server.endpoint, ["elect", "ex", "first"]);
  await first.waitFor(/^first$/);
  await observer.waitFor(/^first$/);
  const second = etcdctlProc(server.endpoint, ["elect", "ex", "second"]);
  await sleep(800);
  assert.equal(second.saw(/^second$/), false, "second waits while first leads");
  await first.interrupt(); // etcdctl resigns on SIGINT
  await second.waitFor(/^second$/);
  await observer.waitFor(/^second$/);
  await second.interrupt();
  await observer.interrupt();
  const seen = observer.output().split("\n").filter((l) => l === "first" || l === "second");
  assert.deepEqual(seen, ["first", "second"]);
});
