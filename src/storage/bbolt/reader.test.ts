import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, openSync, readFileSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../pkg/test-support.js";
import { BRANCH_ELEMENT_SIZE, LEAF_ELEMENT_SIZE, PAGE_HEADER_SIZE, PageFlag, META_SIZE, decodeMeta, encodeMeta } from "./format.js";
import { BoltFormatError, openBoltFile } from "./reader.js";
import type { BucketSource } from "./source.js";
import { dump, generatedBucket, u64Key, writeBoltFile } from "./test-support.js";

const PAGE = 4096;
const KEYS = 5000;

/** One bucket big enough for a branch root over leaves: pages 3… are leaves, then the branch, then the root bucket's leaf. */
const source: BucketSource = { buckets: () => [generatedBucket("key", KEYS, (i) => [u64Key(i), Buffer.alloc(200, i % 256)])] };

function freshFile(t: Parameters<typeof tempDir>[0]): { path: string; pages: number } {
  const path = join(tempDir(t), "db");
  const size = writeBoltFile(source, path);
  return { path, pages: size / PAGE };
}

function patch(path: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(path, "r+");
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
};

/** Opens and reads every entry: a damaged file must fail with a BoltFormatError. */
function readAll(path: string, limitBytes?: number): number {
  const file = openBoltFile(path, { limitBytes });
  try {
    let n = 0;
    for (const bucket of file.buckets()) for (const _ of bucket.entries()) n++;
    return n;
  } finally {
    file.close();
  }
}

/** The bucket's root: the branch page just before the root bucket's leaf (the last page). */
function branchRoot(pages: number): number {
  return pages - 2;
}

test("an undamaged file reads whole", (t) => {
  const { path } = freshFile(t);
  assert.equal(readAll(path), KEYS);
  const file = openBoltFile(path);
  t.after(() => file.close());
  assert.deepEqual(dump(file), dump(source));
});

test("a truncated file, or one shorter than a page, is refused", (t) => {
  const { path, pages } = freshFile(t);
  assert.throws(() => readAll(path, (pages - 1) * PAGE), (e) => e instanceof BoltFormatError && /truncated: the database needs \d+ bytes, the file has \d+/.test(e.message));
  truncateSync(path, pages * PAGE - 100);
  assert.throws(() => readAll(path), /truncated/);
  truncateSync(path, 50);
  assert.throws(() => readAll(path), (e) => e instanceof BoltFormatError && /file too small \(50 bytes\)/.test(e.message));
  writeFileSync(path, "");
  assert.throws(() => readAll(path), BoltFormatError);
});

test("a damaged meta page falls back to the other one, as bbolt does; both damaged is refused", (t) => {
  const { path } = freshFile(t);
  patch(path, 4096 + PAGE_HEADER_SIZE + 40, u64(123n)); // meta 1 (txid 1): high water mark changed, checksum now wrong
  const file = openBoltFile(path);
  assert.equal(file.txid, 0n);
  file.close();
  assert.equal(readAll(path), KEYS);
  patch(path, PAGE_HEADER_SIZE, u32(0xdeadbeef)); // meta 0: magic
  assert.throws(() => readAll(path), (e) => e instanceof BoltFormatError && /no valid meta page \(meta page 0: invalid database; meta page 1: .*checksum error\)/.test(e.message));
});

test("a meta page of another version is refused in bbolt's words", (t) => {
  const { path } = freshFile(t);
  for (const at of [0, PAGE]) patch(path, at + PAGE_HEADER_SIZE + 4, u32(3));
  assert.throws(() => readAll(path), /meta page 0: version mismatch; meta page 1: version mismatch/);
});

test("a meta page with a good checksum but a root past the high water mark is not used", (t) => {
  const { path } = freshFile(t);
  const bytes = new Uint8Array(readFileSync(path));
  for (const at of [0, PAGE]) {
    const meta = decodeMeta(bytes, at + PAGE_HEADER_SIZE);
    const page = new Uint8Array(META_SIZE);
    encodeMeta(page, 0, { ...meta, root: meta.pgid + 5n });
    patch(path, at + PAGE_HEADER_SIZE, page);
  }
  assert.throws(() => readAll(path), /meta page 0: root page \d+ out of range \(high water mark \d+\)/);
});

test("a child page id past the high water mark is refused", (t) => {
  const { path, pages } = freshFile(t);
  patch(path, branchRoot(pages) * PAGE + PAGE_HEADER_SIZE + 8, u64(1n << 40n));
  assert.throws(() => readAll(path), (e) => e instanceof BoltFormatError && /child page 1099511627776 out of range/.test(e.message));
});

test("a cycle in the tree (a branch pointing at itself) ends with an error, not a hang", (t) => {
  const { path, pages } = freshFile(t);
  const root = branchRoot(pages);
  for (let i = 0; i < 3; i++) patch(path, root * PAGE + PAGE_HEADER_SIZE + i * BRANCH_ELEMENT_SIZE + 8, u64(BigInt(root)));
  assert.throws(() => readAll(path), (e) => e instanceof BoltFormatError && /a cycle|shared page|keys out of order/.test(e.message));
});

test("a page shared by two branch elements is refused (keys would repeat)", (t) => {
  const { path, pages } = freshFile(t);
  patch(path, branchRoot(pages) * PAGE + PAGE_HEADER_SIZE + BRANCH_ELEMENT_SIZE + 8, u64(3n));
  assert.throws(() => readAll(path), /keys out of order/);
});

test("a wrong page type where a tree page belongs is refused", (t) => {
  const { path } = freshFile(t);
  const flags = Buffer.alloc(2);
  flags.writeUInt16LE(PageFlag.freelist);
  patch(path, 3 * PAGE + 8, flags);
  assert.throws(() => readAll(path), (e) => e instanceof BoltFormatError && /page 3: invalid type: freelist, expected branch or leaf/.test(e.message));
});

test("a page whose header names another page is refused", (t) => {
  const { path } = freshFile(t);
  patch(path, 4 * PAGE, u64(99n));
  assert.throws(() => readAll(path), /page 4: header says page 99/);
});

test("an element that runs past its page, or overflow past the end, is refused", (t) => {
  const { path } = freshFile(t);
  patch(path, 3 * PAGE + PAGE_HEADER_SIZE + 12, u32(1 << 30)); // first leaf element's vsize
  assert.throws(() => readAll(path), /page 3: element 0 runs past the page/);
  const other = freshFile(t);
  patch(other.path, 5 * PAGE + 12, u32(1 << 20)); // overflow count
  assert.throws(() => readAll(other.path), /page 5: 1048576 overflow pages run past the high water mark/);
  const third = freshFile(t);
  const count = Buffer.alloc(2);
  count.writeUInt16LE(0xffff);
  patch(third.path, 6 * PAGE + 10, count);
  assert.throws(() => readAll(third.path), /page 6: 65535 elements do not fit/);
  assert.equal(LEAF_ELEMENT_SIZE, 16);
});

test("random damage anywhere gives a BoltFormatError or a readable file, never a crash or a hang", (t) => {
  const { path, pages } = freshFile(t);
  const pristine = readFileSync(path);
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let round = 0; round < 300; round++) {
    writeFileSync(path, pristine);
    // Damage lands in page headers and element tables more often than in the data.
    const page = random(pages);
    const offset = page * PAGE + (random(2) === 0 ? random(PAGE_HEADER_SIZE + 8 * BRANCH_ELEMENT_SIZE) : random(PAGE));
    patch(path, offset, Buffer.from([random(256), random(256), random(256)]));
    try {
      readAll(path);
    } catch (err) {
      assert.ok(err instanceof BoltFormatError, `round ${round} (offset ${offset}): ${String(err)}`);
    }
  }
});
