/**
 * A snapshot of a database of more than 200 MB, read by a slow client while
 * puts go on: the puts keep being acknowledged, the file is the database as
 * of the moment the snapshot started (etcdctl reads it), and a client that
 * gives up halfway leaves a member that serves the next snapshot.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClientReadableStream } from "@grpc/grpc-js";
import { RangeRequest, SnapshotRequest, type RangeResponse, type SnapshotResponse } from "../../src/gen/etcdserverpb/rpc.js";
import { etcdctl } from "../harness/etcdctl.js";
import { connect, mustCall, type Clients } from "../harness/grpc-clients.js";
import { tempDir } from "../harness/paths.js";
import { startServer, type ServerProcess } from "../harness/server-process.js";

const VALUE_BYTES = 1024 * 1024;
const VALUES = 210;

let server: ServerProcess;
let clients: Clients;
const work = tempDir("snapshot-large");

before(async () => {
  server = await startServer({ flavor: "ours" });
  clients = connect(server.endpoint);
  const value = Buffer.alloc(VALUE_BYTES);
  for (let i = 0; i < VALUES; i++) {
    value.fill(i & 0xff, 0, 64);
    await mustCall(clients.kv, clients.kv.put, { key: Buffer.from(`big/${String(i).padStart(4, "0")}`), value, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false });
  }
});

after(async () => {
  clients?.close();
  await server?.stop();
  work.remove();
});

function snapshotStream(): ClientReadableStream<SnapshotResponse> {
  return clients.maintenance.snapshot(SnapshotRequest.fromPartial({}));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test("a 200+ MB snapshot read slowly while puts go on: puts are acknowledged throughout, the file is the database as of the start", { timeout: 900_000 }, async (t) => {
  const put = (key: string): Promise<unknown> =>
    mustCall(clients.kv, clients.kv.put, { key: Buffer.from(key), value: Buffer.from("during"), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false });
  const range: RangeResponse = await mustCall(clients.kv, clients.kv.range, RangeRequest.fromPartial({ key: Buffer.from("big/"), limit: 1n, keysOnly: true }));
  const before = range.header!.revision;

  const blobs: Buffer[] = [];
  const remaining: bigint[] = [];
  let writing = true;
  let acknowledged = 0;
  let slowestMs = 0;
  let writer: Promise<void> | undefined;
  let received = 0;
  const started = performance.now();
  let firstMs = 0;
  for await (const message of snapshotStream() as AsyncIterable<SnapshotResponse>) {
    blobs.push(message.blob);
    remaining.push(message.remainingBytes);
    received++;
    if (writer === undefined) {
      firstMs = performance.now() - started;
      // Puts start once the snapshot is under way: none of them may be in it.
      writer = (async () => {
        for (let i = 0; writing; i++) {
          const started = performance.now();
          await put(`during/${i}`);
          slowestMs = Math.max(slowestMs, performance.now() - started);
          acknowledged++;
          await sleep(20);
        }
      })();
    }
    // A slow reader: 512 KiB, then a pause; flow control holds the server back meanwhile.
    if (received % 16 === 0) await sleep(15);
  }
  const tookMs = performance.now() - started;
  writing = false;
  await writer;

  const database = Buffer.concat(blobs.slice(0, -1));
  assert.ok(database.length > 200 * 1000 * 1000, `${database.length} bytes`);
  assert.deepEqual(blobs.at(-1), createHash("sha256").update(database).digest());
  assert.equal(remaining.at(-1), 0n);
  assert.equal(remaining.at(-2), 0n);
  assert.equal(remaining[0], BigInt(database.length - blobs[0]!.length));
  assert.ok(acknowledged >= 20, `only ${acknowledged} puts acknowledged during the snapshot`);
  // Generous: a put waits for the WAL sync on a loaded 2-core machine, never for the snapshot.
  assert.ok(slowestMs < 10_000, `a put took ${Math.round(slowestMs)} ms during the snapshot`);

  t.diagnostic(
    `${(database.length / 1e6).toFixed(0)} MB in ${(tookMs / 1000).toFixed(1)} s (first blob after ${(firstMs / 1000).toFixed(1)} s: the size pass); ` +
      `${acknowledged} puts acknowledged meanwhile, slowest ${Math.round(slowestMs)} ms`,
  );
  const file = join(work.path, "big.db");
  writeFileSync(file, Buffer.concat(blobs));
  const status = await etcdctl("127.0.0.1:1", ["snapshot", "status", file, "-w", "json"], { timeoutMs: 120_000 });
  assert.equal(status.code, 0, status.stderr);
  const parsed = JSON.parse(status.stdout) as { revision: number; totalSize: number };
  assert.equal(BigInt(parsed.revision), before, "the snapshot holds the database as of its start");
  assert.equal(parsed.totalSize, database.length);
  assert.match(server.output(), /sending database snapshot to client/);
  assert.match(server.output(), /successfully sent database snapshot to client/);
});

test("a client that cancels a snapshot halfway leaves a member that serves writes and the next snapshot", { timeout: 600_000 }, async () => {
  const stream = snapshotStream();
  let got = 0;
  await new Promise<void>((resolve) => {
    stream.on("data", () => {
      got++;
      if (got === 10) {
        stream.cancel();
        resolve();
      }
    });
    stream.on("error", () => resolve());
  });
  assert.equal(got >= 10, true);
  await mustCall(clients.kv, clients.kv.put, { key: Buffer.from("after-cancel"), value: Buffer.from("1"), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false });
  let bytes = 0;
  let last: SnapshotResponse | undefined;
  for await (const message of snapshotStream() as AsyncIterable<SnapshotResponse>) {
    bytes += message.blob.length;
    last = message;
  }
  assert.equal(last?.blob.length, 32);
  assert.ok(bytes > 200 * 1000 * 1000);
});
