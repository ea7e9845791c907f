/**
 * Starts the real etcd (Debian's /usr/bin/etcd) on free loopback ports
 * with a temporary data dir, for differential tests; stops it by PID.
 * @module
 */

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials } from "@grpc/grpc-js";
import { KVClient, LeaseClient, MaintenanceClient, RangeRequest } from "../../src/gen/etcdserverpb/rpc.js";

export const ETCD_BINARY = "/usr/bin/etcd";

export function realEtcdAvailable(): boolean {
  return existsSync(ETCD_BINARY);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr !== null ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export class RealEtcd {
  readonly kv: KVClient;
  readonly maintenance: MaintenanceClient;
  readonly lease: LeaseClient;
  readonly #proc: ChildProcess;
  readonly #dir: string;

  private constructor(proc: ChildProcess, dir: string, endpoint: string) {
    this.#proc = proc;
    this.#dir = dir;
    this.kv = new KVClient(endpoint, credentials.createInsecure());
    this.maintenance = new MaintenanceClient(endpoint, credentials.createInsecure());
    this.lease = new LeaseClient(endpoint, credentials.createInsecure());
  }

  static async start(): Promise<RealEtcd> {
    const dir = mkdtempSync(join(tmpdir(), "etcd-ts-real-"));
    const [client, peer] = [await freePort(), await freePort()];
    const proc = spawn(
      ETCD_BINARY,
      [
        "--name", "diff",
        "--data-dir", join(dir, "data"),
        "--listen-client-urls", `http://127.0.0.1:${client}`,
        "--advertise-client-urls", `http://127.0.0.1:${client}`,
        "--listen-peer-urls", `http://127.0.0.1:${peer}`,
        "--initial-advertise-peer-urls", `http://127.0.0.1:${peer}`,
        "--initial-cluster", `diff=http://127.0.0.1:${peer}`,
        "--log-level", "error",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const etcd = new RealEtcd(proc, dir, `127.0.0.1:${client}`);
    for (let i = 0; i < 200; i++) {
      if (proc.exitCode !== null) throw new Error(`etcd exited with ${proc.exitCode}`);
      const ok = await new Promise<boolean>((resolve) => {
        etcd.kv.range(RangeRequest.fromPartial({ key: Buffer.from("ping") }), (err) => resolve(err === null));
      });
      if (ok) return etcd;
      await new Promise((r) => setTimeout(r, 50));
    }
    await etcd.stop();
    throw new Error("etcd did not become ready");
  }

  async stop(): Promise<void> {
    this.kv.close();
    this.maintenance.close();
    this.lease.close();
    if (this.#proc.exitCode === null) {
      const exited = new Promise((r) => this.#proc.once("exit", r));
      this.#proc.kill("SIGTERM");
      await exited;
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** Calls a grpc-js unary client method as a promise: the response, or the error's details text. */
export function call<Req, Resp>(
  fn: (req: Req, cb: (err: { details?: string; message: string } | null, resp: Resp) => void) => unknown,
  req: Req,
): Promise<{ ok: true; resp: Resp } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    fn(req, (err, resp) => resolve(err === null ? { ok: true, resp } : { ok: false, error: err.details ?? err.message }));
  });
}
