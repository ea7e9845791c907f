/**
 * A lock or leadership holder that runs in its own process, so a test can
 * kill -9 it: it takes the lock (or wins the election), prints one line
 * saying so, and keeps its lease alive until it dies.
 *   node holder.js grpc-lock <endpoint> <name> <ttl>
 *   node holder.js grpc-campaign <endpoint> <name> <value> <ttl>
 *   node holder.js etcd3-lock <url> <name> <ttl>
 *   node holder.js etcd3-campaign <url> <name> <value> <ttl>
 * Not a test file (no .test suffix): the lock tests spawn it.
 */
import * as grpc from "@grpc/grpc-js";
import { Etcd3 } from "etcd3";
import { LeaseClient } from "../../src/gen/etcdserverpb/rpc.js";
import { ElectionClient } from "../../src/gen/v3electionpb/v3election.js";
import { LockClient } from "../../src/gen/v3lockpb/v3lock.js";

const [mode, target, name, ...rest] = process.argv.slice(2);

function unary<Req, Res>(client: grpc.Client, method: string, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, (r: Req, cb: (e: Error | null, v: Res) => void) => void>)[method]!.call(client, req, (e, v) => (e ? reject(e) : resolve(v)));
  });
}

/** Grants a lease and keeps it alive every TTL/3 over one keepalive stream. */
async function keptLease(endpoint: string, ttl: bigint): Promise<bigint> {
  const lease = new LeaseClient(endpoint, grpc.credentials.createInsecure());
  const granted = await unary<{ ID: bigint; TTL: bigint }, { ID: bigint }>(lease, "leaseGrant", { ID: 0n, TTL: ttl });
  const stream = lease.leaseKeepAlive();
  stream.on("data", () => undefined);
  stream.on("error", () => undefined);
  stream.write({ ID: granted.ID });
  setInterval(() => stream.write({ ID: granted.ID }), (Number(ttl) * 1000) / 3);
  return granted.ID;
}

async function main(): Promise<void> {
  switch (mode) {
    case "grpc-lock": {
      const lease = await keptLease(target!, BigInt(rest[0]!));
      const lock = new LockClient(target!, grpc.credentials.createInsecure());
      const resp = await unary<{ name: Buffer; lease: bigint }, { key: Buffer }>(lock, "lock", { name: Buffer.from(name!), lease });
      console.log(`LOCKED ${resp.key.toString()}`);
      return;
    }
    case "grpc-campaign": {
      const lease = await keptLease(target!, BigInt(rest[1]!));
      const election = new ElectionClient(target!, grpc.credentials.createInsecure());
      const resp = await unary<{ name: Buffer; lease: bigint; value: Buffer }, { leader: { key: Buffer } }>(election, "campaign", {
        name: Buffer.from(name!),
        lease,
        value: Buffer.from(rest[0]!),
      });
      console.log(`ELECTED ${resp.leader.key.toString()}`);
      return;
    }
    case "etcd3-lock": {
      const client = new Etcd3({ hosts: target!, dialTimeout: 5000 });
      for (;;) {
        try {
          await client.lock(name!).ttl(Number(rest[0]!)).acquire();
          console.log("LOCKED");
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
    case "etcd3-campaign": {
      const client = new Etcd3({ hosts: target!, dialTimeout: 5000 });
      const campaign = client.election(name!, Number(rest[1]!)).campaign(rest[0]!);
      campaign.on("error", (err) => console.log(`ERROR ${String(err)}`));
      campaign.on("elected", () => console.log("ELECTED"));
      return;
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

main().catch((err: unknown) => {
  console.log(`FAILED ${String(err)}`);
  process.exit(1);
});
