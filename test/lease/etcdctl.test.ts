/**
 * The real `etcdctl lease …` commands (and `put --lease`) against real etcd
 * 3.4 and against ours, side by side: every command prints the same thing
 * once lease ids and the remaining-seconds count are masked. Then the
 * streaming `lease keep-alive` keeps a short lease past its TTL, and a lease
 * left alone expires and takes its keys with it — in real time.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { etcdctl, type CtlResult } from "../harness/etcdctl.js";
import { startServer, type ServerProcess } from "../harness/server-process.js";
import { sleep, waitUntil } from "./lease-client.js";

const servers: { real?: ServerProcess; ours?: ServerProcess } = {};

before(async () => {
  [servers.real, servers.ours] = await Promise.all([startServer({ flavor: "real" }), startServer({ flavor: "ours" })]);
});

after(async () => {
  await Promise.all([servers.real?.stop(), servers.ours?.stop()]);
});

/** What a command printed, ids of this run and the remaining count masked; clientv3's retry log lines dropped. */
function shown(r: CtlResult, ids: readonly string[]): string {
  let text = r.stdout + r.stderr.split("\n").filter((l) => !l.startsWith("{")).join("\n");
  for (const [i, id] of ids.entries()) text = text.replaceAll(id, `<id${i}>`).replaceAll(BigInt(`0x${id}`).toString(), `<id${i}>`);
  text = text.replace(/remaining\(\d+s\)/g, "remaining(Ns)").replace(/"ttl":\d+/g, '"ttl":N');
  text = text.replace(/"(cluster_id|member_id|raft_term)":\d+/g, '"$1":X');
  // etcd lists attached keys in Go map order (random); ours are sorted.
  text = text.replace(/attached keys\(\[([^\]]*)\]\)/g, (_, list: string) => `attached keys([${list.split(" ").sort().join(" ")}])`);
  text = text.replace(/"keys":\[([^\]]*)\]/g, (_, list: string) => `"keys":[${list.split(",").sort().join(",")}]`);
  return `${r.code}|${text.trim()}`;
}

interface Side {
  server: ServerProcess;
  ids: string[];
}

async function both(args: (side: Side) => string[], sides: { real: Side; ours: Side }): Promise<{ real: CtlResult; ours: CtlResult }> {
  const [real, ours] = await Promise.all([etcdctl(sides.real.server.endpoint, args(sides.real)), etcdctl(sides.ours.server.endpoint, args(sides.ours))]);
  return { real, ours };
}

function grantedId(r: CtlResult): string {
  const m = /lease ([0-9a-f]+) granted/.exec(r.stdout);
  assert.ok(m, `no lease id in ${JSON.stringify(r)}`);
  return m[1]!;
}

test("etcdctl lease grant | put --lease | timetolive --keys | keep-alive --once | list | revoke print what real etcd prints", async () => {
  const sides = { real: { server: servers.real!, ids: [] as string[] }, ours: { server: servers.ours!, ids: [] as string[] } };
  const transcript: { command: string; real: string; ours: string }[] = [];
  const step = async (label: string, args: (side: Side) => string[]): Promise<{ real: CtlResult; ours: CtlResult }> => {
    const out = await both(args, sides);
    transcript.push({ command: label, real: shown(out.real, sides.real.ids), ours: shown(out.ours, sides.ours.ids) });
    return out;
  };
  const grant = async (ttl: string): Promise<void> => {
    const out = await both(() => ["lease", "grant", ttl], sides);
    sides.real.ids.push(grantedId(out.real));
    sides.ours.ids.push(grantedId(out.ours));
    transcript.push({ command: `lease grant ${ttl}`, real: shown(out.real, sides.real.ids), ours: shown(out.ours, sides.ours.ids) });
  };
  const id = (s: Side, i: number): string => s.ids[i]!;

  await grant("60"); // id0
  await grant("1"); // id1: raised to the 2 s minimum
  await step("lease grant 9000000001", () => ["lease", "grant", "9000000001"]);
  {
    // -w json prints the id as a JSON number (above 2^53: parse it as text).
    const out = await both(() => ["-w", "json", "lease", "grant", "7"], sides);
    for (const [side, r] of [[sides.real, out.real], [sides.ours, out.ours]] as const) {
      const m = /"ID":(\d+),"TTL":7,/.exec(r.stdout);
      assert.ok(m, r.stdout);
      side.ids.push(BigInt(m[1]!).toString(16).padStart(16, "0")); // id2, as etcdctl prints ids (%016x)
    }
    transcript.push({ command: "lease grant -w json 7", real: shown(out.real, sides.real.ids), ours: shown(out.ours, sides.ours.ids) });
  }
  await step("put --lease=id0 lk/a", (s) => ["put", `--lease=${id(s, 0)}`, "lk/a", "1"]);
  await step("put --lease=id0 lk/b", (s) => ["put", `--lease=${id(s, 0)}`, "lk/b", "2"]);
  await step("put --lease=1234 lk/c", () => ["put", "--lease=1234", "lk/c", "3"]);
  await step("lease timetolive --keys id0", (s) => ["lease", "timetolive", "--keys", id(s, 0)]);
  await step("lease timetolive id1", (s) => ["lease", "timetolive", id(s, 1)]);
  await step("lease timetolive -w json --keys id0", (s) => ["-w", "json", "lease", "timetolive", "--keys", id(s, 0)]);
  await step("lease keep-alive --once id0", (s) => ["lease", "keep-alive", "--once", id(s, 0)]);
  await step("lease keep-alive --once 1234", () => ["lease", "keep-alive", "--once", "1234"]);
  await step("lease timetolive 1234", () => ["lease", "timetolive", "1234"]);
  await step("lease list", () => ["lease", "list"]);
  await step("lease revoke id0", (s) => ["lease", "revoke", id(s, 0)]);
  await step("get --prefix lk/", () => ["get", "--prefix", "lk/"]);
  await step("lease revoke id0 (again)", (s) => ["lease", "revoke", id(s, 0)]);
  await step("lease timetolive id0 (revoked)", (s) => ["lease", "timetolive", id(s, 0)]);
  await step("lease list (after revoke)", () => ["lease", "list"]);
  await step("lease revoke id1", (s) => ["lease", "revoke", id(s, 1)]);
  await step("lease revoke id2", (s) => ["lease", "revoke", id(s, 2)]);

  const differing = transcript.filter((t) => t.real !== t.ours);
  assert.deepEqual(
    differing,
    [],
    transcript.map((t) => `$ etcdctl ${t.command}\n  real: ${t.real}\n  ours: ${t.ours}`).join("\n"),
  );
  // The run really exercised the paths (not two identical failures).
  assert.match(transcript.find((t) => t.command === "lease timetolive --keys id0")!.ours, /attached keys\(\[lk\/a lk\/b\]\)/);
  assert.match(transcript.find((t) => t.command === "lease grant 1")!.ours, /TTL\(2s\)/);
});

test("etcdctl lease keep-alive keeps a 2 s lease (and its key) alive for 5 s; without it the key goes", async () => {
  const ep = servers.ours!.endpoint;
  const kept = grantedId(await etcdctl(ep, ["lease", "grant", "2"]));
  const left = grantedId(await etcdctl(ep, ["lease", "grant", "2"]));
  assert.equal((await etcdctl(ep, ["put", `--lease=${kept}`, "ka/kept", "v"])).code, 0);
  assert.equal((await etcdctl(ep, ["put", `--lease=${left}`, "ka/left", "v"])).code, 0);
  const start = performance.now();
  const keepAlive = etcdctl(ep, ["lease", "keep-alive", kept], { timeoutMs: 5000 });
  // Not early: well inside the TTL both keys are there.
  await sleep(1200);
  assert.deepEqual(await keys(ep, "ka/"), ["ka/kept", "ka/left"]);
  const goneAfter = await waitUntil(async () => !(await keys(ep, "ka/")).includes("ka/left"), 6000);
  assert.ok(1200 + goneAfter >= 1900, `the unkept lease went after ${(1200 + goneAfter).toFixed(0)} ms, before its 2 s TTL`);
  const ka = await keepAlive;
  assert.ok(performance.now() - start >= 4900);
  const lines = ka.stdout.trim().split("\n");
  assert.ok(lines.length >= 5, `a keepalive about every TTL/3: ${ka.stdout}`);
  assert.ok(lines.every((l) => l === `lease ${kept} keepalived with TTL(2)`), ka.stdout);
  assert.deepEqual(await keys(ep, "ka/"), ["ka/kept"], "the kept lease outlived its TTL 2.5 times");
  // Once the keepalives stop it expires too.
  await waitUntil(async () => (await keys(ep, "ka/")).length === 0, 6000);
  assert.match((await etcdctl(ep, ["lease", "timetolive", kept])).stdout, /already expired/);
});

async function keys(endpoint: string, prefix: string): Promise<string[]> {
  const r = await etcdctl(endpoint, ["get", "--prefix", "--keys-only", prefix]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split("\n").filter((l) => l.length > 0);
}
