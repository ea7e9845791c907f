import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkSnapshotFile, hasHashTrailer, SnapshotFileError } from "./snapshot-file.js";

function withFile(bytes: Buffer, run: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "etcd-ts-snapfile-"));
  const path = join(dir, "snap.db");
  writeFileSync(path, bytes);
  return run(path).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const db = Buffer.alloc(4096 * 3, 7);
const withTrailer = Buffer.concat([db, createHash("sha256").update(db).digest()]);

test("a size of 512·n + 32 carries a trailer, any other size none (etcd's rule)", () => {
  assert.equal(hasHashTrailer(4096 * 3 + 32), true);
  assert.equal(hasHashTrailer(4096 * 3), false);
  assert.equal(hasHashTrailer(31), false);
});

test("a file whose trailer matches is accepted; the database part excludes the trailer", async () => {
  await withFile(withTrailer, async (path) => {
    assert.deepEqual(await checkSnapshotFile(path, false), { dbBytes: db.length, hasHash: true });
  });
});

test("one flipped byte is refused with etcd's 'expected sha256 …, got …'", async () => {
  const damaged = Buffer.from(withTrailer);
  damaged.writeUInt8(damaged.readUInt8(100) ^ 0x01, 100);
  await withFile(damaged, async (path) => {
    await assert.rejects(checkSnapshotFile(path, false), (err: unknown) => err instanceof SnapshotFileError && /^expected sha256 \[(\d+ ){31}\d+\], got \[(\d+ ){31}\d+\]$/.test(err.message));
    assert.equal((await checkSnapshotFile(path, true)).dbBytes, db.length, "--skip-hash-check takes it as it is");
  });
});

test("no trailer: refused unless the hash check is skipped", async () => {
  await withFile(db, async (path) => {
    await assert.rejects(checkSnapshotFile(path, false), { message: "snapshot missing hash but --skip-hash-check=false" });
    assert.deepEqual(await checkSnapshotFile(path, true), { dbBytes: db.length, hasHash: false });
  });
});

test("a missing file is an error naming it", async () => {
  await assert.rejects(checkSnapshotFile("/nonexistent/etcd-ts/snap.db", false), /open \/nonexistent\/etcd-ts\/snap\.db: no such file or directory/);
});
