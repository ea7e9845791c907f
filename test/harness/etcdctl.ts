/** Runs Debian's real etcdctl (v3 API) against an endpoint and captures what it prints. */
import { spawn } from "node:child_process";
import { realEtcdctlBin } from "./paths.js";

export interface CtlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function etcdctl(endpoint: string, args: string[], options?: { stdin?: string; timeoutMs?: number }): Promise<CtlResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("ETCDCTL_")) env[k] = v;
    env["ETCDCTL_API"] = "3";
    const child = spawn(realEtcdctlBin, ["--endpoints", endpoint, "--dial-timeout", "5s", "--command-timeout", "10s", ...args], {
      stdio: ["pipe", "pipe", "pipe"],
      env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), options?.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options?.stdin ?? "");
  });
}
