/**
 * Starts an etcd server process — ours (bin/etcd) or the real one from
 * Debian — on free loopback ports with a temp data dir, waits until it serves
 * clients, and stops it (SIGTERM, or SIGKILL for crash tests). Only the PIDs
 * started here are ever signalled. Stopping our server fails the test when
 * the server survived an uncaught exception: that is a bug, even though the
 * member kept serving (src/main/process-guard.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { RECOVERED_MESSAGE } from "../../src/main/process-guard.js";
import { ourEtcdBin, realEtcdBin, tempDir } from "./paths.js";
import { freePorts } from "./ports.js";

export type Flavor = "ours" | "real";

/** The TLS of one listener (client or peer): https URLs and etcd's flags for it. */
export interface ListenerTls {
  cert: string;
  key: string;
  /** --trusted-ca-file / --peer-trusted-ca-file. */
  trustedCa?: string;
  /** --client-cert-auth / --peer-client-cert-auth. */
  clientCertAuth?: boolean;
  /** --client-crl-file / --peer-crl-file. */
  crl?: string;
}

export interface StartOptions {
  flavor: Flavor;
  name?: string;
  /** Reuse a data dir (restart); otherwise a fresh temp dir is made and removed on stop. */
  dataDir?: string;
  clientPort?: number;
  peerPort?: number;
  /** TLS on the client listener: https client URLs and --cert-file etc. Default: plain http. */
  clientTls?: ListenerTls;
  /** TLS on the peer listener: https peer URLs and --peer-cert-file etc. Default: plain http. */
  peerTls?: ListenerTls;
  extraArgs?: string[];
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

export interface ServerProcess {
  readonly flavor: Flavor;
  readonly pid: number;
  readonly name: string;
  readonly dataDir: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** host:port for gRPC clients. */
  readonly endpoint: string;
  /** http:// or https:// (with `clientTls`) URL of the client listener. */
  readonly clientUrl: string;
  /** Everything the process wrote to stderr and stdout so far. */
  output(): string;
  /**
   * SIGTERM and wait for exit; removes the data dir unless it was given or `keepData`.
   * Throws (after cleaning up) when the server logged a recovered uncaught exception.
   */
  stop(options?: { keepData?: boolean }): Promise<number | null>;
  /** SIGKILL and wait for exit; keeps the data dir. Throws like `stop`. */
  kill9(): Promise<void>;
  exited(): Promise<number | null>;
}

const READY_LINE = "ready to serve client requests";

export async function startServer(options: StartOptions): Promise<ServerProcess> {
  const launch = await prepareLaunch(options);
  const { bin, args, clientPort, peerPort, name, ownDir, dataDir, clientUrl } = launch;
  const child = spawn(bin, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...cleanEnv(), ...(options.env ?? {}) },
  });
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      out += chunk.toString("utf8");
      if (out.includes(READY_LINE)) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => reject(new Error(`${options.flavor} etcd exited (${code}) before ready:\n${out}`)));
  });
  const timeoutMs = options.readyTimeoutMs ?? 20_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${options.flavor} etcd not ready in ${timeoutMs} ms:\n${out}`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    child.kill("SIGKILL");
    await exited;
    ownDir?.remove();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return handleFor(child, exited, () => out, { flavor: options.flavor, name, dataDir, clientPort, peerPort, clientUrl, ownDir });
}

function handleFor(
  child: ChildProcess,
  exited: Promise<number | null>,
  output: () => string,
  info: { flavor: Flavor; name: string; dataDir: string; clientPort: number; peerPort: number; clientUrl: string; ownDir: { remove(): void } | undefined },
): ServerProcess {
  const pid = child.pid!;
  return {
    flavor: info.flavor,
    pid,
    name: info.name,
    dataDir: info.dataDir,
    clientPort: info.clientPort,
    peerPort: info.peerPort,
    endpoint: `127.0.0.1:${info.clientPort}`,
    clientUrl: info.clientUrl,
    output,
    exited: () => exited,
    async stop(options) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const killTimer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(killTimer);
      if (!options?.keepData) info.ownDir?.remove();
      assertNoRecoveredErrors(info.name, output());
      return code;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
      assertNoRecoveredErrors(info.name, output());
    },
  };
}

interface Launch {
  bin: string;
  args: string[];
  clientPort: number;
  peerPort: number;
  name: string;
  dataDir: string;
  clientUrl: string;
  ownDir: { path: string; remove(): void } | undefined;
}

async function prepareLaunch(options: StartOptions): Promise<Launch> {
  const bin = options.flavor === "ours" ? ourEtcdBin : realEtcdBin;
  if (!existsSync(bin)) throw new Error(`${bin} not found`);
  const ports = await freePorts(2);
  const clientPort = options.clientPort ?? ports[0]!;
  const peerPort = options.peerPort ?? ports[1]!;
  const name = options.name ?? "default";
  const ownDir = options.dataDir === undefined ? tempDir(`etcd-${options.flavor}`) : undefined;
  const dataDir = options.dataDir ?? `${ownDir!.path}/data`;
  const clientUrl = `${options.clientTls ? "https" : "http"}://127.0.0.1:${clientPort}`;
  const peerUrl = `${options.peerTls ? "https" : "http"}://127.0.0.1:${peerPort}`;
  const args = [
    "--name", name,
    "--data-dir", dataDir,
    "--listen-client-urls", clientUrl,
    "--advertise-client-urls", clientUrl,
    "--listen-peer-urls", peerUrl,
    "--initial-advertise-peer-urls", peerUrl,
    "--initial-cluster", `${name}=${peerUrl}`,
    ...listenerTlsArgs("", options.clientTls),
    ...listenerTlsArgs("peer-", options.peerTls),
    ...(options.extraArgs ?? []),
  ];
  return { bin, args, clientPort, peerPort, name, dataDir, clientUrl, ownDir };
}

/** etcd's flags for one listener's TLS; `prefix` is "" (client) or "peer-". */
export function listenerTlsArgs(prefix: "" | "peer-", tls: ListenerTls | undefined): string[] {
  if (tls === undefined) return [];
  const crlFlag = prefix === "" ? "--client-crl-file" : "--peer-crl-file";
  return [
    `--${prefix}cert-file`, tls.cert,
    `--${prefix}key-file`, tls.key,
    ...(tls.trustedCa !== undefined ? [`--${prefix}trusted-ca-file`, tls.trustedCa] : []),
    ...(tls.clientCertAuth ? [`--${prefix}client-cert-auth`] : []),
    ...(tls.crl !== undefined ? [crlFlag, tls.crl] : []),
  ];
}

export interface FailedStart {
  /** Exit code, or null when it was still running at the deadline (then killed). */
  code: number | null;
  output: string;
  elapsedMs: number;
}

/**
 * Starts a server that is expected to refuse to start (bad flags or files) and
 * waits for its exit; kills it at `timeoutMs` if it is still running (then
 * `code` is null). Removes the temp data dir.
 */
export async function runServerExpectingExit(options: StartOptions, timeoutMs = 15_000): Promise<FailedStart> {
  const launch = await prepareLaunch(options);
  const started = Date.now();
  const child = spawn(launch.bin, launch.args, { stdio: ["ignore", "pipe", "pipe"], env: { ...cleanEnv(), ...(options.env ?? {}) } });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  clearTimeout(timer);
  launch.ownDir?.remove();
  return { code: timedOut ? null : code, output, elapsedMs: Date.now() - started };
}

/** A server that recovered from an uncaught exception hit a bug; the test that drove it fails with the logged lines. */
function assertNoRecoveredErrors(name: string, output: string): void {
  const recovered = output.split("\n").filter((line) => line.includes(RECOVERED_MESSAGE));
  if (recovered.length > 0) throw new Error(`server ${name} ${RECOVERED_MESSAGE} (a bug):\n${recovered.join("\n")}`);
}

/** The parent's environment without ETCD_* / ETCDCTL_* variables that would change the server. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("ETCD_") && !k.startsWith("ETCDCTL_")) env[k] = v;
  }
  return env;
}
