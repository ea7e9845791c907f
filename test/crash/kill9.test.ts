/**
 * Durability under kill -9: concurrent writers stream puts at our server, the
 * process is SIGKILLed at a random moment, restarted on the same data dir,
 * and every write that was acknowledged before the kill must be there with
 * the value and revision the client was told. Repeated over several cycles.
 * CRASH_SEED / CRASH_CYCLES tune it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PutRequest, RangeRequest, type PutResponse, type RangeResponse } from "../../src/gen/etcdserverpb/rpc.js";
import { SeededRandom } from "../../src/pkg/random.js";
import { call, connect } from "../harness/grpc-clients.js";
import { tempDir } from "../harness/paths.js";
import { assertNoAcknowledgedWriteLost, type Ack } from "./acknowledged-writes.js";
import { startServer, type ServerProcess } from "../harness/server-process.js";

const seed = Number(process.env["CRASH_SEED"] ?? 7);
const cycles = Number(process.env["CRASH_CYCLES"] ?? 5);
const WRITERS = 16;

async function writeUntilKilled(server: ServerProcess, cycle: number, acks: Ack[], killAfterMs: number): Promise<void> {
  const clients = connect(server.endpoint);
  let killed = false;
  const writers = Array.from({ length: WRITERS }, async (_, w) => {
    for (let n = 0; !killed; n++) {
      const key = `c${cycle}/w${w}/${n}`;
      const value = `value-${cycle}-${w}-${n}`;
      const res = await call<PutRequest, PutResponse>(clients.kv, clients.kv.put, PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value) }));
      if (!res.ok) return;
      acks.push({ key, value, revision: res.value.header!.revision });
    }
  });
  await new Promise((resolve) => setTimeout(resolve, killAfterMs));
  killed = true;
  await server.kill9();
  await Promise.all(writers);
  clients.close();
}

test(`every acknowledged put survives kill -9 (seed ${seed}, ${cycles} cycles)`, async (t) => {
  const dir = tempDir("etcd-crash");
  const random = new SeededRandom(seed);
  const acks: Ack[] = [];
  let ports: { clientPort: number; peerPort: number } | undefined;
  try {
    for (let cycle = 0; cycle < cycles; cycle++) {
      const server = await startServer({ flavor: "ours", dataDir: `${dir.path}/data`, ...ports });
      ports = { clientPort: server.clientPort, peerPort: server.peerPort };
      const before = acks.length;
      await writeUntilKilled(server, cycle, acks, 200 + random.intn(1200));
      assert.ok(acks.length > before, `cycle ${cycle}: no write was acknowledged before the kill`);
    }
    const server = await startServer({ flavor: "ours", dataDir: `${dir.path}/data`, ...ports });
    const clients = connect(server.endpoint);
    try {
      await assertNoAcknowledgedWriteLost(clients, acks);
      t.diagnostic(`${acks.length} acknowledged writes over ${cycles} kills, all present after restart`);
      const maxAcked = acks.reduce((m, a) => (a.revision > m ? a.revision : m), 0n);
      const status = await call<RangeRequest, RangeResponse>(clients.kv, clients.kv.range, RangeRequest.fromPartial({ key: Buffer.from("any") }));
      assert.ok(status.ok && status.value.header!.revision >= maxAcked, "store revision went back below an acknowledged write");
    } finally {
      clients.close();
      await server.stop({ keepData: true });
    }
  } finally {
    dir.remove();
  }
});
