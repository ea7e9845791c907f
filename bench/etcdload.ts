/**
 * Runs our load generator (bench/etcdload, built on etcd's own Go
 * client) and returns its one-line JSON result. Builds it on first use into
 * .etcdload/ (its build script installs Go and etcd's sources from Debian), and
 * again whenever its source changed since that build.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../test/harness/paths.js";

export interface LoadResult {
  workload: string;
  label?: string;
  ops: number;
  errors: number;
  duration_s: number;
  ops_per_s: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number; mean: number };
  server_cpu_cores?: number;
  client_cpu_cores: number;
  server_procs?: { pid: number; cpu_s: number; vmhwm_kb: number; vmrss_kb: number; alive: boolean }[];
  ok: boolean;
  exit_code: number;
  /** Why the run failed (ok false). */
  reason?: string;
  [key: string]: unknown;
}

export function etcdloadBinary(): string {
  const bin = join(repoRoot, ".etcdload", "etcdload");
  const source = join(repoRoot, "bench", "etcdload", "main.go");
  const script = join(repoRoot, "bench", "etcdload", "build.sh");
  if (!existsSync(source)) throw new Error(`etcdload sources not found at ${source}`);
  // The binary outlives checkouts (.etcdload/ is git-ignored): a stamp of the source it was
  // built from tells a stale binary (one without a newer flag) from a current one.
  const stamp = `${bin}.source-sha256`;
  const digest = createHash("sha256").update(readFileSync(source)).update(readFileSync(script)).digest("hex");
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, "utf8") === digest) return bin;
  mkdirSync(join(repoRoot, ".etcdload"), { recursive: true });
  execFileSync("sh", [script, bin], { stdio: "inherit" });
  writeFileSync(stamp, digest);
  return bin;
}

export async function runLoad(args: string[]): Promise<LoadResult> {
  const bin = etcdloadBinary();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args, "--quiet"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.on("error", reject);
    child.on("close", () => {
      const line = out.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(line) as LoadResult);
      } catch {
        reject(new Error(`etcdload printed no result: ${out}`));
      }
    });
  });
}
