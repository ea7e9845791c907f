/**
 * kill -9 in the middle of a defragmentation: writers stream puts while
 * Defragment runs back to back on a member whose file is mostly free pages;
 * once a defrag's copy exists on disk the process is SIGKILLed after a random
 * few milliseconds (during the copy, the catch-up, the switch or just after),
 * restarted on the same data dir, and so on. Every acknowledged write must be
 * there at the end with the value and revision the client was told, and no
 * copy may be left beside the data file. CRASH_SEED / CRASH_CYCLES tune it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { DefragmentRequest, PutRequest, RangeRequest, type DefragmentResponse, type PutResponse, type RangeResponse } from "../../src/gen/etcdserverpb/rpc.js";
import { SeededRandom } from "../../src/pkg/random.js";
import { backendPath, defragCopyPath } from "../../src/storage/backend/index.js";
import { fragmentDatabase } from "../harness/fragment.js";
import { call, connect, mustCall } from "../harness/grpc-clients.js";
import { tempDir } from "../harness/paths.js";
import { assertNoAcknowledgedWriteLost, type Ack } from "./acknowledged-writes.js";
import { startServer, type ServerProcess } from "../harness/server-process.js";

const seed = Number(process.env["CRASH_SEED"] ?? 12);
const cycles = Number(process.env["CRASH_CYCLES"] ?? 5);
const WRITERS = 8;
/** How long to wait for a defrag's copy to appear before calling the cycle a failure (generous). */
const COPY_APPEARS_WITHIN_MS = 60_000;

async function untilCopyExists(copy: string): Promise<void> {
  const deadline = Date.now() + COPY_APPEARS_WITHIN_MS;
  while (!existsSync(copy)) {
    if (Date.now() > deadline) throw new Error(`no defrag copy at ${copy} within ${COPY_APPEARS_WITHIN_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function cycle(server: ServerProcess, n: number, acks: Ack[], killDelayMs: number): Promise<void> {
  const clients = connect(server.endpoint);
  let killed = false;
  // Some churn first, so that every defrag has free pages to give back.
  // 200 values of 100 kB, all but every fourth overwritten small, compacted: a ~20 MB file, mostly free.
  if (n === 0) await fragmentDatabase(clients, { keys: 200, keepBigEvery: 4 });
  const writers = Array.from({ length: WRITERS }, async (_, w) => {
    for (let i = 0; !killed; i++) {
      const key = `c${n}/w${w}/${i}`;
      const value = `value-${n}-${w}-${i}`;
      const res = await call<PutRequest, PutResponse>(clients.kv, clients.kv.put, PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value) }));
      if (!res.ok) return;
      acks.push({ key, value, revision: res.value.header!.revision });
    }
  });
  const before = acks.length;
  const defragger = (async () => {
    // Writes flow before the first defrag, so that each kill lands with writes on both sides of it.
    while (!killed && acks.length < before + 50) await new Promise((resolve) => setTimeout(resolve, 5));
    while (!killed) {
      const res = await call<DefragmentRequest, DefragmentResponse>(clients.maintenance, clients.maintenance.defragment, DefragmentRequest.fromPartial({}));
      if (!res.ok) return;
    }
  })();
  try {
    await untilCopyExists(defragCopyPath(backendPath(server.dataDir)));
    await new Promise((resolve) => setTimeout(resolve, killDelayMs));
  } finally {
    killed = true;
    await server.kill9();
    await Promise.all([...writers, defragger]);
    clients.close();
  }
}

test(`every acknowledged put survives kill -9 during defrags (seed ${seed}, ${cycles} cycles)`, async (t) => {
  const dir = tempDir("etcd-crash-defrag");
  const dataDir = `${dir.path}/data`;
  const random = new SeededRandom(seed);
  const acks: Ack[] = [];
  let ports: { clientPort: number; peerPort: number } | undefined;
  try {
    for (let n = 0; n < cycles; n++) {
      const server = await startServer({ flavor: "ours", dataDir, ...ports });
      ports = { clientPort: server.clientPort, peerPort: server.peerPort };
      assert.equal(existsSync(defragCopyPath(backendPath(dataDir))), false, `cycle ${n}: a copy survived the start`);
      const before = acks.length;
      await cycle(server, n, acks, random.intn(60));
      assert.ok(acks.length > before, `cycle ${n}: no write was acknowledged before the kill`);
    }
    const server = await startServer({ flavor: "ours", dataDir, ...ports });
    const clients = connect(server.endpoint);
    try {
      assert.equal(existsSync(defragCopyPath(backendPath(dataDir))), false, "the interrupted defrag's copy was removed at start");
      await assertNoAcknowledgedWriteLost(clients, acks);
      const fill = await mustCall<RangeRequest, RangeResponse>(clients.kv, clients.kv.range, RangeRequest.fromPartial({ key: Buffer.from("fill/"), rangeEnd: Buffer.from("fill0"), countOnly: true }));
      assert.equal(fill.count, 200n, "the data written before the defrags");
      t.diagnostic(`${acks.length} acknowledged writes over ${cycles} kills during defrags, all present after restart`);
    } finally {
      clients.close();
      await server.stop({ keepData: true });
    }
  } finally {
    dir.remove();
  }
});
