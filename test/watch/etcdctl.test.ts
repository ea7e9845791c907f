/**
 * `etcdctl watch` (Debian's etcdctl 3.4) against ours and the real etcd, the
 * same scenario on both, outputs compared byte for byte (after masking the
 * ids in JSON output): live and historical (--rev) watches, --prefix,
 * --prev-kv, -w json, interactive mode (-i) with "watch" and "progress",
 * and a --rev below the compaction.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { realEtcdctlBin } from "../harness/paths.js";
import { etcdctl } from "../harness/etcdctl.js";
import { startServer, type Flavor } from "../harness/server-process.js";

interface Running {
  child: ChildProcessWithoutNullStreams;
  out(): string;
  err(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

function watch(endpoint: string, args: string[]): Running {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("ETCDCTL_")) env[k] = v;
  env["ETCDCTL_API"] = "3";
  const child = spawn(realEtcdctlBin, ["--endpoints", endpoint, "watch", ...args], { env });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function ctl(endpoint: string, ...args: string[]): Promise<void> {
  const r = await etcdctl(endpoint, args);
  if (r.code !== 0) throw new Error(`etcdctl ${args.join(" ")}: ${r.stderr}`);
}

/** Masks what differs between two clusters in JSON output. */
function mask(s: string): string {
  return s.replace(/"(cluster_id|member_id|raft_term)":\d+/g, '"$1":0');
}

async function scenario(flavor: Flavor): Promise<Record<string, string>> {
  const server = await startServer({ flavor });
  const ep = server.endpoint;
  const running: Running[] = [];
  try {
    await ctl(ep, "put", "a/1", "x"); // 2
    await ctl(ep, "put", "a/2", "y"); // 3
    await ctl(ep, "put", "b", "z"); // 4
    await ctl(ep, "del", "a/1"); // 5
    const live = watch(ep, ["a", "--prefix"]);
    const history = watch(ep, ["--rev", "2", "--prefix", "--prev-kv", "a"]);
    const json = watch(ep, ["--rev", "3", "-w", "json", "a/2"]);
    const interactive = watch(ep, ["-i"]);
    running.push(live, history, json, interactive);
    interactive.child.stdin.write("watch b\n");
    // Live watches start at the next revision: let them register before writing.
    await new Promise((r) => setTimeout(r, 1000));
    await ctl(ep, "put", "a/1", "n1"); // 6
    await ctl(ep, "put", "a/3", "n3"); // 7
    await ctl(ep, "del", "a/2"); // 8
    await ctl(ep, "put", "b", "w"); // 9
    await until(() => live.out().split("\n").length >= 10, "live watch output");
    await until(() => history.out().split("\n").length >= 19, "history watch output");
    await until(() => json.out().split("\n").length >= 3, "json watch output");
    await until(() => interactive.out().includes("PUT"), "interactive watch output");
    interactive.child.stdin.write("progress\n");
    await until(() => interactive.out().includes("progress notify"), "progress notify");

    await ctl(ep, "compaction", "6");
    const compacted = watch(ep, ["--rev", "3", "a", "--prefix"]);
    running.push(compacted);
    const code = await Promise.race([compacted.exited, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);

    return {
      live: live.out(),
      history: history.out(),
      json: mask(json.out()),
      interactive: interactive.out(),
      compacted: `exit ${code}\nstdout: ${compacted.out()}\nstderr: ${compacted.err()}`,
    };
  } finally {
    for (const r of running) r.child.kill("SIGKILL");
    await server.stop();
  }
}

test("etcdctl watch: same output from ours and the real etcd", { timeout: 120_000 }, async () => {
  const real = await scenario("real");
  const ours = await scenario("ours");
  // The scenario itself is meaningful (not two empty outputs).
  assert.equal(real["live"], "PUT\na/1\nn1\nPUT\na/3\nn3\nDELETE\na/2\n\n");
  assert.match(real["history"] ?? "", /^PUT\na\/1\nx\nPUT\na\/2\ny\nDELETE\na\/1\nx\na\/1\n\n/);
  assert.match(real["interactive"] ?? "", /progress notify: 9/);
  assert.match(real["compacted"] ?? "", /compacted/);
  for (const k of Object.keys(real)) assert.equal(ours[k], real[k], `etcdctl watch ${k}`);
});
