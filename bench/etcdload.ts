/**
 * Runs our load generator (bench/etcdload, built on etcd's own Go
 * client) and returns its one-line JSON result. Builds it on first use into
 * .etcdload/ (its build script installs Go and etcd's sources from Debian).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
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
  [key: string]: unknown;
}

export function etcdloadBinary(): string {
  const bin = join(repoRoot, ".etcdload", "etcdload");
  if (existsSync(bin)) return bin;
  const script = join(repoRoot, "bench", "etcdload", "build.sh");
  if (!existsSync(script)) throw new Error(`etcdload sources not found at ${script}`);
  mkdirSync(join(repoRoot, ".etcdload"), { recursive: true });
  execFileSync("sh", [script, bin], { stdio: "inherit" });
  return bin;
}

export async function runLoad(args: string[]): Promise<LoadResult> {
  const bin = etcdloadBinary();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args, "--quiet"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.on("error", reject);
    child.on("exit", () => {
      const line = out.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(line) as LoadResult);
      } catch {
        reject(new Error(`etcdload printed no result: ${out}`));
      }
    });
  });
}
