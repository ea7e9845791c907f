/** Runs Debian's real etcdctl (v3 API) against an endpoint and captures what it prints. */
import { spawn } from "node:child_process";
import { realEtcdctlBin } from "./paths.js";

export interface CtlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** etcdctl's TLS flags: the CA to trust (--cacert) and, for client-certificate auth, a certificate (--cert, --key). */
export interface CtlTls {
  cacert?: string;
  cert?: string;
  key?: string;
  insecureSkipVerify?: boolean;
}

export interface CtlOptions {
  stdin?: string;
  timeoutMs?: number;
  tls?: CtlTls;
  /** --dial-timeout (default 5s). */
  dialTimeout?: string;
  /** --command-timeout (default 10s): how long etcdctl 3.4 retries a refused TLS connection before it gives up. */
  commandTimeout?: string;
}

/** `endpoint` may be host:port or a URL (`https://127.0.0.1:2379` for TLS). */
export async function etcdctl(endpoint: string, args: string[], options?: CtlOptions): Promise<CtlResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("ETCDCTL_")) env[k] = v;
    env["ETCDCTL_API"] = "3";
    const child = spawn(realEtcdctlBin, ["--endpoints", endpoint, "--dial-timeout", options?.dialTimeout ?? "5s", "--command-timeout", options?.commandTimeout ?? "10s", ...tlsArgs(options?.tls), ...args], {
      stdio: ["pipe", "pipe", "pipe"],
      env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), options?.timeoutMs ?? 30_000);
    child.on("error", reject);
    // "close", not "exit": only then has all of the child's output been read.
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // etcdctl may exit before it reads its stdin; the EPIPE that follows says nothing about the command.
    child.stdin.on("error", () => {});
    child.stdin.end(options?.stdin ?? "");
  });
}

function tlsArgs(tls: CtlTls | undefined): string[] {
  if (tls === undefined) return [];
  return [
    ...(tls.cacert !== undefined ? ["--cacert", tls.cacert] : []),
    ...(tls.cert !== undefined ? ["--cert", tls.cert] : []),
    ...(tls.key !== undefined ? ["--key", tls.key] : []),
    // Without a CA or certificate file etcdctl 3.4 dials in plain text unless told otherwise.
    ...(tls.insecureSkipVerify ? ["--insecure-skip-tls-verify", "--insecure-transport=false"] : []),
  ];
}
