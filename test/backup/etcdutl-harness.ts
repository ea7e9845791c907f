/**
 * For the etcdutl tests: runs our bin/etcdutl as a process and captures
 * what it prints; writes keys to a server with Debian's etcdctl.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { etcdctl } from "../harness/etcdctl.js";
import { repoRoot } from "../harness/paths.js";

export const ourEtcdutlBin = join(repoRoot, "bin", "etcdutl");

export interface UtlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bin/etcdutl args…` in `cwd` (default: the repository), killed after `timeoutMs`. */
export function etcdutl(args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<UtlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(ourEtcdutlBin, args, { stdio: ["ignore", "pipe", "pipe"], cwd: options.cwd ?? repoRoot });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** etcdctl, failing the test on a non-zero exit. */
export async function ctl(endpoint: string, args: string[]): Promise<string> {
  const r = await etcdctl(endpoint, args, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`etcdctl ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/**
 * A small history on a server: 20 keys, overwrites, a deletion, a
 * compaction, a leased key. Returns the revision it compacted at.
 */
export async function writeHistory(endpoint: string): Promise<bigint> {
  for (let i = 0; i < 20; i++) await ctl(endpoint, ["put", `k/${String(i).padStart(2, "0")}`, `v${i}`]);
  for (let i = 0; i < 5; i++) await ctl(endpoint, ["put", "k/00", `again-${i}`]);
  await ctl(endpoint, ["del", "k/01"]);
  const status = JSON.parse(await ctl(endpoint, ["endpoint", "status", "-w", "json"])) as [{ Status: { header: { revision: number } } }];
  const compactAt = BigInt(status[0].Status.header.revision) - 3n;
  await ctl(endpoint, ["compact", String(compactAt)]);
  const lease = /lease ([0-9a-f]+) granted/.exec(await ctl(endpoint, ["lease", "grant", "3600"]))?.[1];
  await ctl(endpoint, ["put", "leased", "x", "--lease", lease!]);
  await ctl(endpoint, ["put", "k/20", "last"]);
  return compactAt;
}

/** The server's HashKV at `rev` (0: current), as etcdctl prints it. */
export async function serverHashKv(endpoint: string, rev: bigint): Promise<{ hash: number; compactRevision: number }> {
  const out = JSON.parse(await ctl(endpoint, ["endpoint", "hashkv", "--rev", String(rev), "-w", "json"])) as [{ HashKV: { hash: number; compact_revision: number } }];
  return { hash: out[0].HashKV.hash, compactRevision: out[0].HashKV.compact_revision };
}
