import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { SnapshotResponse } from "../../gen/etcdserverpb/rpc.js";
import type { BucketSource } from "../../storage/bbolt/source.js";
import type { BackendReadView } from "../../storage/backend/index.js";
import { MemoryBackend } from "../../storage/backend/index.js";
import { SNAPSHOT_BLOB_BYTES, blobs, streamSnapshot, type SnapshotFormat } from "./snapshot.js";

const b = (s: string): Buffer => Buffer.from(s);

/**
 * A stand-in file format: an 8-byte header holding the total size, then
 * every bucket name, key and value, in chunks of odd sizes (the stream must
 * not care how the writer cuts), after an empty "still measuring" chunk.
 */
function* rawBytes(source: BucketSource): Iterable<Uint8Array> {
  for (const bucket of source.buckets()) {
    yield Buffer.from(bucket.name);
    for (const [k, v] of bucket.entries()) yield Buffer.concat([k, v]);
  }
}

function formatOf(body: (source: BucketSource) => Iterable<Uint8Array>): SnapshotFormat {
  return {
    *write(source) {
      yield new Uint8Array(0);
      let total = 8;
      for (const chunk of body(source)) total += chunk.length;
      const header = Buffer.alloc(8);
      header.writeBigUInt64BE(BigInt(total));
      yield header;
      yield* body(source);
    },
    sizeOf: (first) => Number(Buffer.from(first).readBigUInt64BE(0)),
  };
}

const rawFormat = formatOf(rawBytes);

/** What the stand-in format makes of a view. */
function expectedFile(source: BucketSource): Buffer {
  return Buffer.concat([...rawFormat.write(source)]);
}

/** A memory backend whose views report how many are still open. */
class CountingBackend extends MemoryBackend {
  open = 0;
  override async readView(): Promise<BackendReadView> {
    const view = await super.readView();
    this.open++;
    let closed = false;
    return {
      buckets: () => view.buckets(),
      close: () => {
        if (!closed) this.open--;
        closed = true;
        view.close();
      },
    };
  }
}

function fill(be: MemoryBackend, keys: number, valueBytes: number): void {
  for (let i = 0; i < keys; i++) be.put("key", b(`k${String(i).padStart(6, "0")}`), Buffer.alloc(valueBytes, i & 0xff));
}

async function collect(stream: AsyncIterable<SnapshotResponse>): Promise<SnapshotResponse[]> {
  const out: SnapshotResponse[] = [];
  for await (const r of stream) out.push(r);
  return out;
}

test("snapshot stream: 32 KiB blobs counting down to 0, then the SHA-256 of every byte, storage version 3.6.0, no header", async () => {
  const be = new CountingBackend();
  fill(be, 3000, 100);
  const view = await be.readView();
  const expected = expectedFile(view);
  view.close();

  const responses = await collect(streamSnapshot({ backend: be, format: rawFormat }, new AbortController().signal));
  const data = responses.slice(0, -1);
  const last = responses.at(-1)!;
  assert.ok(data.length > 2);
  for (const r of data.slice(0, -1)) assert.equal(r.blob.length, SNAPSHOT_BLOB_BYTES);
  assert.deepEqual(Buffer.concat(data.map((r) => r.blob)), expected);
  let remaining = BigInt(expected.length);
  for (const r of data) {
    remaining -= BigInt(r.blob.length);
    assert.equal(r.remainingBytes, remaining);
  }
  assert.equal(data.at(-1)!.remainingBytes, 0n);
  assert.equal(last.remainingBytes, 0n);
  assert.deepEqual(last.blob, createHash("sha256").update(expected).digest());
  for (const r of responses) {
    assert.equal(r.version, "3.6.0");
    assert.equal(r.header, undefined);
  }
  assert.equal(be.open, 0, "the view is closed at the end");
});

test("snapshot stream: a database of exactly n blobs ends with a full blob at 0 remaining, then the checksum", async () => {
  const be = new CountingBackend();
  const exact: SnapshotFormat = {
    *write() {
      for (let i = 0; i < 3; i++) yield Buffer.alloc(SNAPSHOT_BLOB_BYTES, i);
    },
    sizeOf: () => 3 * SNAPSHOT_BLOB_BYTES,
  };
  const responses = await collect(streamSnapshot({ backend: be, format: exact }, new AbortController().signal));
  assert.deepEqual(
    responses.map((r) => [r.blob.length, r.remainingBytes]),
    [
      [SNAPSHOT_BLOB_BYTES, BigInt(2 * SNAPSHOT_BLOB_BYTES)],
      [SNAPSHOT_BLOB_BYTES, BigInt(SNAPSHOT_BLOB_BYTES)],
      [SNAPSHOT_BLOB_BYTES, 0n],
      [32, 0n],
    ],
  );
});

test("snapshot stream: the view is closed when the consumer stops early, when the signal aborts, and when the writer fails", async () => {
  const be = new CountingBackend();
  fill(be, 2000, 200);

  for await (const _ of streamSnapshot({ backend: be, format: rawFormat }, new AbortController().signal)) break;
  assert.equal(be.open, 0, "consumer stopped");

  const abort = new AbortController();
  let got = 0;
  for await (const _ of streamSnapshot({ backend: be, format: rawFormat }, abort.signal)) {
    got++;
    abort.abort();
  }
  assert.equal(got, 1, "nothing is sent after the abort");
  assert.equal(be.open, 0, "aborted");

  const failing = formatOf(function* (source) {
    yield* rawBytes(source);
    throw new Error("writer broke");
  });
  await assert.rejects(collect(streamSnapshot({ backend: be, format: failing }, new AbortController().signal)), /writer broke/);
  assert.equal(be.open, 0, "writer failed");
});

test("snapshot stream: writes go on and are not in the snapshot while a slow reader pulls it", async () => {
  const be = new CountingBackend();
  fill(be, 2000, 100);
  const before = expectedFile(await be.readView());
  let written = 0;
  const responses: SnapshotResponse[] = [];
  for await (const r of streamSnapshot({ backend: be, format: rawFormat }, new AbortController().signal)) {
    responses.push(r);
    be.put("key", b(`z${written++}`), b("during"));
    await be.commit();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.ok(written > 5);
  assert.deepEqual(Buffer.concat(responses.slice(0, -1).map((r) => r.blob)), before);
  assert.equal(be.get("key", b(`z${written - 1}`))?.toString(), "during");
});

test("blobs: re-cuts any chunking into fresh buffers of the given size", () => {
  const input = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));
  for (const cut of [1, 7, 100, 999, 1000, 5000]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < input.length; i += cut) chunks.push(input.subarray(i, i + cut));
    const out = [...blobs(chunks, 64)].filter((x) => x !== undefined);
    assert.deepEqual(Buffer.concat(out), input);
    assert.ok(out.slice(0, -1).every((x) => x.length === 64));
    assert.equal(new Set(out.map((x) => x.buffer)).size, out.length, "each blob has its own memory");
  }
  assert.deepEqual([...blobs([], 64)], []);
  const firsts: number[] = [];
  assert.deepEqual(
    [...blobs([new Uint8Array(0), Buffer.from("ab"), new Uint8Array(0), Buffer.from("c")], 2, (c) => firsts.push(c.length))],
    [undefined, Buffer.from("ab"), undefined, Buffer.from("c")],
  );
  assert.deepEqual(firsts, [2], "the first non-empty chunk is seen once");
});
