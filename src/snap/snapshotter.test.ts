import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Snapshot } from "../gen/raftpb/raft.js";
import { snapshot as SnapFile } from "../gen/snappb/snap.js";
import { tempDir } from "../pkg/test-support.js";
import { Snapshotter, isSnapError, readSnapFile, snapFileName } from "./snapshotter.js";

/**
 * 0000000000000002-0000000000000016.snap (gzip + base64) from a real etcd
 * 3.4.23 member (--snapshot-count 10, 25 puts): term 2, index 22, one voter.
 */
const ETCD_3_4_SNAP = [
  "H4sICEGnAWsCAzAwMDAwMDAwMDAwMDAwMDItMDAwMDAwMDAwMDAwMDAxNi5zbmFwAO1Yy27TQBQFNlSVkFCREOtZsTDx2EYK8a6E",
  "VkUqEjSlSNRdjD23ZFS/NB6nCVE+AT6DBRJSf4AFrNnzHwiJLWO7SfxIUUOb3STWkebOfZw7c2dz1n6cfTm7vfG9vf65PUZ7USSQ",
  "PUYviegjG+lIQ10ORAB9HlIYIhtr6EVE2TErW7aGMeOwzwKQMRhj41H+7WNs599bmeaA+Gm2nWXsM59yCLNCuFwNr7xcAIELPKkU",
  "1afGenGjUdy4UnGXEui4rmcYlFodTBey0Bteq6ZFhODMTQUklyOklwLq3MwGN3M5bmMHhSQAB9kOOh46SHOQ5zMIxeu93URaDx3U",
  "FyK2dd0w2y0s/4ZtWu2O4aCjSaWxMPX9iYY4ORaby3ZYC7r2G5BdxgD8nz09wRf0lP00NJDEWRRWG5oa64StBmFrOcJW63ELL6Ki",
  "IaNMwVj1Cy6af0OE1we+k7pZ8a2BnI8dloiIj7L1qxSyyPMNeeeHcsg9kZ8W8nJ2MmkY0dzpBEbLTsPgv64xaIyMV50q2VmJaAJi",
  "KZbkAoZXek5B4zFXOZuX4jwfy0FtnoLGVFbzWzJ/NmkKFChQoECBAgUKFChQoECBAgUKFCi4XjjSUI+9h1yV2+ZRKHLp9inxTnJT",
  "l8TEY2KEbANjPJHOgnAxFzd3SSJKKh7qppxDKOZKn/QXuSD/DkTSSz0PkiQvka23CfPzNEl50yzWxab0pOCDgHJsYZk5pDElVYfC",
  "MnMo5MaZw0yUnTtEQUw4bIa0d0ricqbqzoKAZw129b1ZEOSCeDdKz0/5tBC4s6j50R1MJX9zsnFv/c7ah1+/P3778+nn15sPb9y9",
  "/+DWX+BgB4rLGwAA",
].join("");

function snap(term: bigint, index: bigint, data = `state@${index}`): Snapshot {
  return {
    data: Buffer.from(data),
    metadata: { term, index, confState: { voters: [1n, 2n], learners: [3n], votersOutgoing: [], learnersNext: [], autoLeave: false } },
  };
}

test("save then load: the newest snapshot comes back, byte for byte", async (t) => {
  const dir = join(tempDir(t, "snap-test-"), "snap");
  const s = new Snapshotter(dir);
  await assert.rejects(s.load(), (e) => isSnapError(e, "NoSnapshot"));
  await s.save(snap(1n, 10n));
  await s.save(snap(2n, 30n));
  await s.save(snap(1n, 20n));
  assert.deepEqual(fs.readdirSync(dir).sort(), [snapFileName(1n, 10n), snapFileName(1n, 20n), snapFileName(2n, 30n)]);
  assert.equal(snapFileName(2n, 30n), "0000000000000002-000000000000001e.snap");
  assert.deepEqual(await s.load(), snap(2n, 30n));
  // An empty snapshot (index 0) is not written.
  await s.save({ data: Buffer.alloc(0), metadata: undefined });
  assert.equal(fs.readdirSync(dir).length, 3);
});

test("damaged files are skipped and renamed .broken; leftovers of a crashed save are ignored", async (t) => {
  const dir = tempDir(t, "snap-test-");
  const s = new Snapshotter(dir);
  await s.save(snap(1n, 10n));
  await s.save(snap(1n, 20n));
  await s.save(snap(1n, 30n));
  // 30: a flipped byte (CRC mismatch); 20: empty file; plus a half-written temporary of 40.
  const p30 = join(dir, snapFileName(1n, 30n));
  const b = fs.readFileSync(p30);
  b[b.length - 3]! ^= 0xff;
  fs.writeFileSync(p30, b);
  fs.writeFileSync(join(dir, snapFileName(1n, 20n)), "");
  fs.writeFileSync(join(dir, `${snapFileName(1n, 40n)}.tmp`), "partial");
  await assert.rejects(readSnapFile(p30), (e) => isSnapError(e, "CrcMismatch"));
  assert.deepEqual(await s.load(), snap(1n, 10n));
  assert.deepEqual(fs.readdirSync(dir).sort(), [snapFileName(1n, 10n), `${snapFileName(1n, 20n)}.broken`, `${snapFileName(1n, 30n)}.broken`]);
  // A file whose CRC is zero or whose data is missing is "empty", as etcd treats it.
  fs.writeFileSync(join(dir, snapFileName(1n, 50n)), SnapFile.encode({ crc: 0, data: Buffer.from("x") }).finish());
  await assert.rejects(readSnapFile(join(dir, snapFileName(1n, 50n))), (e) => isSnapError(e, "EmptySnapshot"));
});

test("loadNewestAvailable picks the newest file that matches a WAL snapshot marker", async (t) => {
  const dir = tempDir(t, "snap-test-");
  const s = new Snapshotter(dir);
  await s.save(snap(1n, 10n));
  await s.save(snap(2n, 20n));
  await s.save(snap(2n, 30n)); // saved, but its WAL marker never became durable/committed
  const markers = [{ index: 0n, term: 0n }, { index: 10n, term: 1n }, { index: 20n, term: 2n }];
  assert.deepEqual(await s.loadNewestAvailable(markers), snap(2n, 20n));
  assert.deepEqual(await s.loadNewestAvailable([{ index: 20n, term: 1n }, { index: 10n, term: 1n }]), snap(1n, 10n));
  await assert.rejects(s.loadNewestAvailable([{ index: 5n, term: 1n }]), (e) => isSnapError(e, "NoSnapshot"));
});

test("purge keeps the newest N snapshot files", async (t) => {
  const dir = tempDir(t, "snap-test-");
  const s = new Snapshotter(dir);
  for (let i = 1n; i <= 7n; i++) await s.save(snap(1n, i * 10n));
  fs.writeFileSync(join(dir, "db"), "backend"); // other files in the directory are not counted
  assert.deepEqual(await s.purge(0), []);
  const removed = await s.purge(5);
  assert.deepEqual(removed, [snapFileName(1n, 10n), snapFileName(1n, 20n)]);
  assert.equal(fs.readdirSync(dir).filter((n) => n.endsWith(".snap")).length, 5);
  assert.ok(fs.existsSync(join(dir, "db")));
  assert.deepEqual(await s.load(), snap(1n, 70n));
});

test("reads a snapshot file written by etcd 3.4.23", async (t) => {
  const dir = tempDir(t, "snap-test-");
  fs.writeFileSync(join(dir, "0000000000000002-0000000000000016.snap"), gunzipSync(Buffer.from(ETCD_3_4_SNAP, "base64")));
  const s = new Snapshotter(dir);
  const got = await s.loadNewestAvailable([{ index: 22n, term: 2n }]);
  assert.equal(got.metadata?.index, 22n);
  assert.equal(got.metadata?.term, 2n);
  assert.deepEqual(got.metadata?.confState?.voters, [13668033151171901709n]);
  // etcd 3.4 keeps its v2 store as JSON in the snapshot data.
  assert.ok(got.data.toString().includes("\"Root\""));
  // Written back by us it reads back equal. (Not byte-identical: etcd's proto2
  // encoder also writes zero-valued fields such as auto_leave = false.)
  fs.rmSync(join(dir, "0000000000000002-0000000000000016.snap"));
  await s.save(got);
  assert.deepEqual(await s.load(), got);
});
