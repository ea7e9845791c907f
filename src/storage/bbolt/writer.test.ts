import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../pkg/test-support.js";
import { decodeMeta, decodePageHeader, PAGE_HEADER_SIZE, PageFlag } from "./format.js";
import { openBoltFile } from "./reader.js";
import type { BucketSource } from "./source.js";
import { arraySource, dump, generatedBucket, u64Key, writeBoltFile } from "./test-support.js";
import { boltFileSize, writeBolt } from "./writer.js";

function roundTrip(t: Parameters<typeof tempDir>[0], source: BucketSource, options?: Parameters<typeof writeBolt>[1]) {
  const path = join(tempDir(t), "db");
  const written = writeBoltFile(source, path, options);
  const file = openBoltFile(path);
  t.after(() => file.close());
  assert.equal(file.size, written);
  return { file, path };
}

test("an empty source is four pages: two metas, the freelist, the root bucket's empty leaf", (t) => {
  const { file } = roundTrip(t, arraySource([]));
  assert.equal(file.size, 4 * 4096);
  assert.deepEqual(dump(file), []);
});

test("small and empty buckets are inline in the root bucket, as bbolt stores them", (t) => {
  const source = arraySource([
    ["alarm", []],
    ["key", [["\x00\x00\x00\x00\x00\x00\x00\x02_\x00\x00\x00\x00\x00\x00\x00\x00", "kv"]]],
    ["meta", [["consistent_index", "\x00\x00\x00\x00\x00\x00\x00\x09"]]],
  ]);
  const { file } = roundTrip(t, source);
  assert.equal(file.size, 4 * 4096);
  assert.deepEqual(dump(file), dump(source));
});

test("many keys: leaves and two branch levels read back in order", (t) => {
  const value = Buffer.alloc(100, "v");
  const bucket = generatedBucket("key", 50_000, (i) => [u64Key(i), value]);
  const { file } = roundTrip(t, { buckets: () => [bucket] });
  let n = 0;
  for (const [k, v] of file.bucket("key")!.entries()) {
    assert.equal(Buffer.from(k).readBigUInt64BE(0), BigInt(n));
    assert.equal(v.length, 100);
    n++;
  }
  assert.equal(n, 50_000);
  // Leaves are packed full: 50,000 entries of 124 bytes fill about 1,520 pages of 4 KiB.
  assert.ok(file.size / 4096 < 1600, `${file.size / 4096} pages`);
});

test("values of any size use overflow pages; keys up to our backend's maximum", (t) => {
  const entries = [
    ["a", Buffer.alloc(0)],
    ["b", Buffer.alloc(4096 - 16 - 16 - 1, 1)],
    ["c", Buffer.alloc(4096, 2)],
    ["d", Buffer.alloc(5 * 1024 * 1024 + 3, 3)],
    ["e".repeat(1978), Buffer.alloc(10, 4)],
    ["f", Buffer.alloc(70_000, 5)],
  ] as const;
  const source = arraySource([["key", entries.map(([k, v]) => [k, v] as const)]]);
  const { file } = roundTrip(t, source);
  assert.deepEqual(dump(file), dump(source));
});

test("every page size: 512 (keys longer than a page in branch pages) to 64 KiB", (t) => {
  for (const pageSize of [512, 1024, 16384, 65536]) {
    const bucket = generatedBucket("k", 3000, (i) => [Buffer.from(`${String(i).padStart(6, "0")}${"x".repeat(1978 - 6)}`), Buffer.from(`v${i}`)]);
    const { file } = roundTrip(t, { buckets: () => [bucket] }, { pageSize });
    assert.equal(file.pageSize, pageSize);
    assert.deepEqual(dump(file), dump({ buckets: () => [bucket] }));
  }
});

test("a source that reuses its buffers for every entry is copied, not aliased", (t) => {
  const key = Buffer.alloc(8);
  const value = Buffer.alloc(300);
  const bucket = generatedBucket("key", 2000, (i) => {
    key.writeBigUInt64BE(BigInt(i));
    value.fill(i % 251);
    return [key, value];
  });
  const { file } = roundTrip(t, { buckets: () => [bucket] });
  let i = 0;
  for (const [k, v] of file.bucket("key")!.entries()) {
    assert.equal(Buffer.from(k).readBigUInt64BE(0), BigInt(i));
    assert.ok(v.every((b) => b === i % 251));
    i++;
  }
  assert.equal(i, 2000);
});

test("meta pages: txid t on page t % 2, t - 1 on the other; the reader picks t", (t) => {
  const { file, path } = roundTrip(t, arraySource([["key", [["a", "1"]]]]), { txid: 41n });
  assert.equal(file.txid, 41n);
  const bytes = new Uint8Array(readFileSync(path));
  assert.equal(decodeMeta(bytes, PAGE_HEADER_SIZE).txid, 40n);
  assert.equal(decodeMeta(bytes, 4096 + PAGE_HEADER_SIZE).txid, 41n);
  assert.equal(decodePageHeader(bytes, 4096).id, 1n);
});

test("chunks are whole pages of at most 64 KiB, unless one page is bigger", () => {
  const bucket = generatedBucket("key", 10_000, (i) => [u64Key(i), Buffer.alloc(i === 5000 ? 200_000 : 50)]);
  for (const chunk of writeBolt({ buckets: () => [bucket] })) {
    assert.equal(chunk.length % 4096, 0);
    assert.ok(chunk.length <= 64 * 1024 || chunk.length === Math.ceil((200_000 + 16 + 16 + 8) / 4096) * 4096, `${chunk.length}`);
  }
});

test("bad input is refused with a clear error", () => {
  const write = (source: BucketSource, options?: Parameters<typeof writeBolt>[1]) => [...writeBolt(source, options)];
  assert.throws(() => write(arraySource([["key", [["b", ""], ["a", ""]]]])), /keys not strictly ascending/);
  assert.throws(() => write(arraySource([["key", [["a", ""], ["a", ""]]]])), /keys not strictly ascending/);
  assert.throws(() => write(arraySource([["key", [["", "x"]]]])), /empty key/);
  assert.throws(() => write(arraySource([["b", []], ["a", []]])), /bucket names not strictly ascending/);
  assert.throws(() => write(arraySource([]), { pageSize: 1000 }), /page size 1000/);
  assert.throws(() => write(arraySource([]), { txid: 0n }), /txid 0/);
  let calls = 0;
  const shifty: BucketSource = { buckets: () => [generatedBucket("key", 10 + 1000 * calls++, (i) => [u64Key(i), Buffer.alloc(10)])] };
  assert.throws(() => write(shifty), /changed between its two passes/);
});

test("while it measures, the writer yields empty chunks now and then (an async consumer can await), then the pages", () => {
  const bucket = generatedBucket("key", 10_000, (i) => [u64Key(i), Buffer.alloc(1000)]);
  const chunks = [...writeBolt({ buckets: () => [bucket] })];
  const firstPages = chunks.findIndex((c) => c.length > 0);
  assert.ok(firstPages >= 8, `${firstPages} empty chunks for 10 MB measured`);
  assert.ok(chunks.slice(firstPages).every((c) => c.length > 0));
  assert.equal(decodePageHeader(chunks[firstPages]!, 0).flags, PageFlag.meta);
});

test("boltFileSize: the file's size from its first non-empty chunk", () => {
  const bucket = generatedBucket("key", 3000, (i) => [u64Key(i), Buffer.alloc(700)]);
  const chunks = [...writeBolt({ buckets: () => [bucket] })];
  const total = chunks.reduce((n, c) => n + c.length, 0);
  assert.equal(boltFileSize(chunks.find((c) => c.length > 0)!), total);
  assert.throws(() => boltFileSize(new Uint8Array(4096)), /not the first page of a bbolt file/);
});
