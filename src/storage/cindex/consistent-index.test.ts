import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConsistentIndex } from "./consistent-index.js";
import { MemoryBackend } from "../backend/memory-backend.js";
import { LmdbBackend, backendPath } from "../backend/lmdb-backend.js";
import { META_KEYS } from "../backend/schema.js";

test("consistent index starts at 0/0 and is stored as 8-byte big-endian under etcd's keys", async () => {
  const be = new MemoryBackend();
  const ci = new ConsistentIndex(be);
  assert.deepEqual(ci.get(), { index: 0n, term: 0n });
  ci.set(0x0102030405060708n, 3n);
  await be.commit();
  assert.deepEqual(be.get("meta", META_KEYS.consistentIndex), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
  assert.deepEqual(be.get("meta", META_KEYS.term), Buffer.from([0, 0, 0, 0, 0, 0, 0, 3]));
  assert.deepEqual(ci.get(), { index: 0x0102030405060708n, term: 3n });
});

test("consistent index rides in the same batch as the entry's data", async () => {
  const be = new MemoryBackend();
  const ci = new ConsistentIndex(be);
  be.put("key", Buffer.from("entry-1"), Buffer.from("x"));
  ci.set(1n, 1n);
  await be.commit();
  be.put("key", Buffer.from("entry-2"), Buffer.from("x"));
  ci.set(2n, 1n);
  // Killed before the next commit: entry 2 and index 2 are lost together.
  const after = be.crash();
  assert.deepEqual(new ConsistentIndex(after).get(), { index: 1n, term: 1n });
  assert.equal(after.get("key", Buffer.from("entry-2")), undefined);
  assert.ok(after.get("key", Buffer.from("entry-1")));
});

test("a full batch commits at the entry boundary, never inside an entry", () => {
  const be = new MemoryBackend({ batchLimit: 4 });
  const ci = new ConsistentIndex(be);
  // One entry that writes more than the limit: nothing commits until set().
  for (let i = 0; i < 6; i++) be.put("key", Buffer.from(`k${i}`), Buffer.from("v"));
  assert.equal(be.stats().commits, 0);
  ci.set(7n, 2n);
  assert.equal(be.stats().commits, 1);
  const after = be.crash();
  assert.deepEqual(new ConsistentIndex(after).get(), { index: 7n, term: 2n });
  assert.equal(after.range("key").length, 6);
});

test("consistent index is written once per batch, not once per entry", async () => {
  const be = new MemoryBackend();
  const ci = new ConsistentIndex(be);
  for (let i = 1n; i <= 100n; i++) ci.set(i, 1n);
  assert.equal(be.pendingOps(), 0);
  await be.commit();
  assert.deepEqual(new ConsistentIndex(be.crash()).get(), { index: 100n, term: 1n });
});

test("an empty batch still carries a new consistent index (entries that change nothing)", async () => {
  const be = new MemoryBackend();
  const ci = new ConsistentIndex(be);
  ci.set(9n, 2n);
  await be.commit();
  assert.equal(be.stats().commits, 1);
  await be.commit();
  assert.equal(be.stats().commits, 1, "nothing new: nothing written");
  assert.deepEqual(new ConsistentIndex(be.crash()).get(), { index: 9n, term: 2n });
});

test("consistent index refuses to go back", () => {
  const ci = new ConsistentIndex(new MemoryBackend());
  ci.set(5n, 1n);
  ci.set(5n, 1n);
  assert.throws(() => ci.set(4n, 1n), RangeError);
});

test("consistent index is loaded from the LMDB file on open", async () => {
  const dir = mkdtempSync(join(tmpdir(), "etcd-ts-cindex-"));
  try {
    const be = new LmdbBackend({ path: backendPath(dir) });
    new ConsistentIndex(be).set(42n, 7n);
    await be.close();
    const again = new LmdbBackend({ path: backendPath(dir) });
    const ci = new ConsistentIndex(again);
    assert.deepEqual(ci.get(), { index: 42n, term: 7n });
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
