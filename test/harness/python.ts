/**
 * Runs a script with Debian's python3 (where python3-etcd3 lives), for the
 * tests that drive etcd's Python client against real etcd and ours.
 */
import { spawn } from "node:child_process";

export interface PythonResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `script` read from stdin with `args` as its argv; killed after `timeoutMs`. */
export function runPython(script: string, args: readonly string[], timeoutMs: number): Promise<PythonResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/python3", ["-", ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    // "close", not "exit": only then has all of the child's output been read.
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(script);
  });
}
