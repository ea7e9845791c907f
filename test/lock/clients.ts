/**
 * Raw gRPC clients for the Lock and Election services (with leases kept
 * alive from the test process), errors as values: code + message.
 */
import * as grpc from "@grpc/grpc-js";
import {
  ElectionClient,
  type CampaignRequest,
  type CampaignResponse,
  type LeaderKey,
  type LeaderRequest,
  type LeaderResponse,
  type ProclaimRequest,
  type ProclaimResponse,
  type ResignRequest,
  type ResignResponse,
} from "../../src/gen/v3electionpb/v3election.js";
import { LockClient, type LockRequest, type LockResponse, type UnlockRequest, type UnlockResponse } from "../../src/gen/v3lockpb/v3lock.js";
import { call, type Outcome } from "../harness/grpc-clients.js";
import { leaseClients, must, type LeaseClients } from "../lease/lease-client.js";

export interface ConcurrencyClients {
  lease: LeaseClients;
  lock(name: string, lease: bigint, options?: { deadlineMs?: number }): Promise<Outcome<LockResponse>>;
  unlock(key: Buffer): Promise<Outcome<UnlockResponse>>;
  campaign(name: string, lease: bigint, value: string): Promise<Outcome<CampaignResponse>>;
  proclaim(leader: LeaderKey | undefined, value: string): Promise<Outcome<ProclaimResponse>>;
  leader(name: string): Promise<Outcome<LeaderResponse>>;
  resign(leader: LeaderKey | undefined): Promise<Outcome<ResignResponse>>;
  /** Observe stream: collected values and a way to stop it. */
  observe(name: string): { values: string[]; next(count: number, timeoutMs?: number): Promise<void>; cancel(): void };
  /** A lease with `ttl` kept alive every TTL/3 until `stop()` (or close()). */
  keptLease(ttl: bigint): Promise<{ id: bigint; stop(): void }>;
  close(): void;
}

export function concurrencyClients(endpoint: string): ConcurrencyClients {
  const creds = grpc.credentials.createInsecure();
  const lock = new LockClient(endpoint, creds);
  const election = new ElectionClient(endpoint, creds);
  const lease = leaseClients(endpoint);
  const timers: NodeJS.Timeout[] = [];
  const streams: grpc.ClientDuplexStream<unknown, unknown>[] = [];
  return {
    lease,
    lock(name, leaseId, options) {
      if (options?.deadlineMs === undefined) return call<LockRequest, LockResponse>(lock, lock.lock, { name: Buffer.from(name), lease: leaseId });
      return new Promise((resolve) => {
        lock.lock({ name: Buffer.from(name), lease: leaseId }, new grpc.Metadata(), { deadline: Date.now() + options.deadlineMs! }, (err, res) => {
          resolve(err ? { ok: false, error: { code: err.code, message: err.details } } : { ok: true, value: res });
        });
      });
    },
    unlock: (key) => call<UnlockRequest, UnlockResponse>(lock, lock.unlock, { key }),
    campaign: (name, leaseId, value) => call<CampaignRequest, CampaignResponse>(election, election.campaign, { name: Buffer.from(name), lease: leaseId, value: Buffer.from(value) }),
    proclaim: (leader, value) => call<ProclaimRequest, ProclaimResponse>(election, election.proclaim, { leader, value: Buffer.from(value) }),
    leader: (name) => call<LeaderRequest, LeaderResponse>(election, election.leader, { name: Buffer.from(name) }),
    resign: (leader) => call<ResignRequest, ResignResponse>(election, election.resign, { leader }),
    observe(name) {
      const stream = election.observe({ name: Buffer.from(name) });
      const values: string[] = [];
      const waiters: { count: number; resolve(): void }[] = [];
      stream.on("data", (r: LeaderResponse) => {
        values.push(`${r.kv!.key.toString()}=${r.kv!.value.toString()}`);
        for (const w of [...waiters]) {
          if (values.length < w.count) continue;
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      });
      stream.on("error", () => undefined);
      return {
        values,
        next(count, timeoutMs = 10_000) {
          if (values.length >= count) return Promise.resolve();
          return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`observe: ${values.length} of ${count} values: ${values.join(", ")}`)), timeoutMs);
            waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
          });
        },
        cancel: () => stream.cancel(),
      };
    },
    async keptLease(ttl) {
      const id = must(await lease.grant(ttl)).ID;
      const stream = lease.lease.leaseKeepAlive();
      stream.on("data", () => undefined);
      stream.on("error", () => undefined);
      streams.push(stream as unknown as grpc.ClientDuplexStream<unknown, unknown>);
      stream.write({ ID: id });
      const timer = setInterval(() => stream.write({ ID: id }), (Number(ttl) * 1000) / 3);
      timers.push(timer);
      return {
        id,
        stop() {
          clearInterval(timer);
          stream.end();
        },
      };
    },
    close() {
      for (const t of timers) clearInterval(t);
      for (const s of streams) s.end();
      lock.close();
      election.close();
      lease.close();
    },
  };
}
