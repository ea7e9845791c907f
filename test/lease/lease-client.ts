/**
 * A raw Lease gRPC client for the lease tests: promise-returning unary calls
 * (errors as values: code + message) and a keepalive stream that answers
 * one request at a time.
 */
import * as grpc from "@grpc/grpc-js";
import {
  KVClient,
  LeaseClient,
  type LeaseGrantRequest,
  type LeaseGrantResponse,
  type LeaseKeepAliveResponse,
  type LeaseLeasesRequest,
  type LeaseLeasesResponse,
  type LeaseRevokeRequest,
  type LeaseRevokeResponse,
  type LeaseTimeToLiveRequest,
  type LeaseTimeToLiveResponse,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
} from "../../src/gen/etcdserverpb/rpc.js";
import { call, type Outcome } from "../harness/grpc-clients.js";

export interface LeaseClients {
  lease: InstanceType<typeof LeaseClient>;
  kv: InstanceType<typeof KVClient>;
  grant(ttl: bigint, id?: bigint): Promise<Outcome<{ ID: bigint; TTL: bigint; revision: bigint }>>;
  revoke(id: bigint): Promise<Outcome<{ revision: bigint }>>;
  timeToLive(id: bigint, keys?: boolean): Promise<Outcome<LeaseTimeToLiveResponse>>;
  leases(): Promise<Outcome<bigint[]>>;
  put(key: string, value: string, lease: bigint): Promise<Outcome<PutResponse>>;
  range(prefix: string): Promise<RangeResponse>;
  /** Opens a keepalive stream; each `send` resolves with the response to that request. */
  keepAliveStream(): KeepAliveStream;
  close(): void;
}

export interface KeepAliveStream {
  send(id: bigint): Promise<LeaseKeepAliveResponse>;
  /** Resolves with the final status once the stream ends. */
  end(): Promise<grpc.StatusObject>;
}

export function leaseClients(endpoint: string): LeaseClients {
  const creds = grpc.credentials.createInsecure();
  const lease = new LeaseClient(endpoint, creds);
  const kv = new KVClient(endpoint, creds);
  return {
    lease,
    kv,
    async grant(ttl, id = 0n) {
      const r = await call<LeaseGrantRequest, LeaseGrantResponse>(lease, lease.leaseGrant, { ID: id, TTL: ttl });
      return r.ok ? { ok: true, value: { ID: r.value.ID, TTL: r.value.TTL, revision: r.value.header!.revision } } : r;
    },
    async revoke(id) {
      const r = await call<LeaseRevokeRequest, LeaseRevokeResponse>(lease, lease.leaseRevoke, { ID: id });
      return r.ok ? { ok: true, value: { revision: r.value.header!.revision } } : r;
    },
    timeToLive: (id, keys = false) => call<LeaseTimeToLiveRequest, LeaseTimeToLiveResponse>(lease, lease.leaseTimeToLive, { ID: id, keys }),
    async leases() {
      const r = await call<LeaseLeasesRequest, LeaseLeasesResponse>(lease, lease.leaseLeases, {});
      return r.ok ? { ok: true, value: r.value.leases.map((l) => l.ID).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) } : r;
    },
    put: (key, value, leaseId) =>
      call<PutRequest, PutResponse>(kv, kv.put, { key: Buffer.from(key), value: Buffer.from(value), lease: leaseId, prevKv: false, ignoreValue: false, ignoreLease: false }),
    async range(prefix) {
      const key = Buffer.from(prefix);
      const end = Buffer.from(key);
      end[end.length - 1]! += 1;
      const r = await call<RangeRequest, RangeResponse>(kv, kv.range, {
        key,
        rangeEnd: end,
        limit: 0n,
        revision: 0n,
        sortOrder: 0,
        sortTarget: 0,
        serializable: false,
        keysOnly: false,
        countOnly: false,
        minModRevision: 0n,
        maxModRevision: 0n,
        minCreateRevision: 0n,
        maxCreateRevision: 0n,
      });
      if (!r.ok) throw new Error(`range failed: ${r.error.message}`);
      return r.value;
    },
    keepAliveStream() {
      const stream = lease.leaseKeepAlive();
      const waiting: ((r: LeaseKeepAliveResponse) => void)[] = [];
      const status = new Promise<grpc.StatusObject>((resolve) => stream.on("status", resolve));
      stream.on("data", (r: LeaseKeepAliveResponse) => waiting.shift()?.(r));
      stream.on("error", () => undefined);
      return {
        send(id) {
          return new Promise((resolve) => {
            waiting.push(resolve);
            stream.write({ ID: id });
          });
        },
        end() {
          stream.end();
          return status;
        },
      };
    },
    close() {
      lease.close();
      kv.close();
    },
  };
}

export function must<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`rpc failed: ${o.error.code} ${o.error.message}`);
  return o.value;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes; returns the elapsed ms. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await check()) return performance.now() - start;
    if (performance.now() - start > timeoutMs) throw new Error(`condition not met in ${timeoutMs} ms`);
    await sleep(50);
  }
}
