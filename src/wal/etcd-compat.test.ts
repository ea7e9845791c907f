import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Entry } from "../gen/raftpb/raft.js";
import { encodeEntry } from "./entry-codec.js";
import { segmentNames } from "./names.js";
import { RecordType, encodeFrames } from "./record.js";
import { scanSegments } from "./scan.js";
import { Wal } from "./wal.js";
import { tempDir } from "../pkg/test-support.js";
import { makeEntries } from "./test-support.js";

/**
 * The used part (3048 bytes, gzip + base64) of the first WAL segment of a real
 * etcd 3.4.23 member: started with --snapshot-count 10, then 25 puts (k1=v1 …
 * k25=v25) with Debian's etcdctl. Our reader must accept etcd's log exactly as
 * etcd wrote it, CRC chain included. (The reverse direction — etcd's own wal
 * package reading a log we wrote, then appending to it — was checked by hand
 * with a small Go program; see README.md.)
 */
const ETCD_3_4_SEGMENT = [
  "H4sIAAAAAAACA33We0xTVxwH8NsX3D6AKyqUq8bs/mHcRmjvLdCW//bfkm2JWWZitmgGUiNxMAIdMSEmQKEFXBkV5eGAGR1zwiai",
  "0ckmArL94TY2JGEGtmVoxyvb3ECRVd3jnNNz0nJPju0ft7335PP7ndP7Pbd6Dr1qeb2APmyPfq/mNcLIvdnXxTQ+uPKgaXTto9tD",
  "GqH3wdxqx/3fFm5puKToOB9vEK6s/bpH1PMcAkqj5zleK5zzTc1ZxANA0lg10j44wBrDpFcqpaJCKU925Oa67A6HnCPLTtltl512",
  "d6ZU6vGU7X715XIp7w3poNdbmmezyYozyw7ecp7icNllaW+mVJJf7JHypAOHpSMCqasT5oMNEV5MAHU5q0aI9fPt/Uc9WnCeE7RW",
  "bUf0dACc/6OtY9AsNmnQBZ1Up+GrF0d7F4YX/e5U3a7dr4k7bHZbsae4wFNWbisozPe4Cwr2y3JhocNtL7Tle71lRQXveD3lUk5l",
  "XEeZ0v63ijwl3qfMwukGsziyk1M4F/cit4vbw73JHQQreJir0uC2uQzSp06oPj1wI1FMAR3HVtGqw+Neih7qwNUvugL/GsQX0HT0",
  "kpuvXT8bE5hNBZhK0dslksGRlZ1lf1oH1ti6jg+Hzery+mdj6xgaDvfpxe2orkFKl3iT9pCcqq2QTyeY+DrSBD2vb3p6bhvVsAGP",
  "i/OvLfX5krGfgH0F+Ar0/Wz/5tzFKo3aT8Djdsbuj/mawUrMJ2LeAXgH5AOEj3NXTkSeJKvdRLrv/zrrAxYM8xjOBnA2hOvZfX+3",
  "4GvVqn2e9peP/TJmxL4R+znAz4F+A9tf+nC8O0ntG2n/0+X+u+R3NWE/F/i50G9k+5E/xy5Q/Zto/8LkaJ0J+2bsO4HvhP5Rtj80",
  "s/qE6t+MxyVHDzVgf1rp/cGfCDYos6BdV7e1/W7YgOtacF0XqOuCdd9l1/184swKFQQLPa/azplWsm5J2HcD3w39INufufbYr1f7",
  "eL/lnose/OBq7/jPe8VnEJ8sZUgmk+6QbE/VVch2WKBpfYE4/+++yGPqvsXrxT0f20emGwJnLLhACikgwwIo0e+tKxDn//jV799T",
  "eUuh/bXhxS957AvEV6CPEt3M8hdbpj6zqH2B9o9fD/Yasb+B+A7oo0iHWP5kz1JzgtrfQPuz/YHZROynEj8b+ijZx1j+vbWrV3i1",
  "n0r7ZxsmhgzY30j8HOijZLew/KWf/rlhUvsbab/qr0gbWZ9NxM+FPkr2cZZ/x1ezbFD7m2h/YNXfqMP+ZuI7oY+SfYLlfxx5dJ16",
  "Hmym/Ydr4REz9tOI74I+SnAry/+6/lJ3itpPo/eNyengZQvYN9LgvhFXNzjqO5+E66aTum5YFyW7jVW3sbY9TOUinc71rbmQE/NW",
  "zCsw1wrKdTsz1zenVyeo38VKr1vtbHOLFhfIIAVgrhWU6w5W/1M1I4PUfZtB+5+MzYeSsS8SH+ZaQbk+uc6P+3/xQSi8T82LcW5X",
  "3+gpkrctxIV5VlCe32f13X9+4BzV9xa674n+xqMkD1uJD/OsoDx3svzZlTunqP9lW2l/+dLDbpLnbcSHeVZQnrtY/sWrbUvU82Yb",
  "/dw4Geqqs7DG/Q8gJyXJ6AsAAA==",
].join("");

const NODE_ID = 13668033151171901709n;

function etcdWalDir(t: Parameters<typeof tempDir>[0]): string {
  const dir = tempDir(t);
  fs.writeFileSync(join(dir, "0000000000000000-0000000000000000.wal"), gunzipSync(Buffer.from(ETCD_3_4_SEGMENT, "base64")));
  return dir;
}

test("reads a WAL written by etcd 3.4.23: metadata, hard state, entries, snapshot markers", async (t) => {
  const dir = etcdWalDir(t);
  assert.deepEqual(
    (await Wal.readSnapshotMarkers(dir)).map((m) => [m.index, m.term]),
    [[0n, 0n], [11n, 2n], [22n, 2n]],
  );
  const r = await Wal.open(dir, { index: 0n, term: 0n }, { preallocate: false });
  // etcd's metadata is pb.Metadata{NodeID, ClusterID}.
  assert.equal(r.metadata.toString("hex"), "088df2f48ec1f7a6d7bd0110aaf4e5f599f3ebe7d101");
  assert.deepEqual(r.hardState, { term: 2n, vote: NODE_ID, commit: 29n });
  assert.equal(r.entries.length, 29);
  assert.ok(r.entries.every((e, i) => e.Index === BigInt(i + 1)));
  assert.equal(r.entries[0]!.Type, 1, "the first entry adds the member (a conf change)");
  await r.wal.close();

  const fromSnap = await Wal.open(dir, { index: 22n, term: 2n }, { preallocate: false });
  assert.deepEqual(fromSnap.entries.map((e) => Number(e.Index)), [23, 24, 25, 26, 27, 28, 29]);
  assert.ok(fromSnap.entries.at(-1)!.Data.includes(Buffer.from("k25")));
  // Appending continues etcd's CRC chain.
  await fromSnap.wal.save({ term: 3n, vote: NODE_ID, commit: 31n }, makeEntries(30n, 31n, 3n));
  await fromSnap.wal.close();
  const again = await Wal.open(dir, { index: 22n, term: 2n }, { preallocate: false });
  assert.equal(again.entries.length, 9);
  assert.deepEqual(again.hardState, { term: 3n, vote: NODE_ID, commit: 31n });
  await again.wal.close();
});

test("our encoders write etcd's bytes: every entry and frame of etcd's log re-encodes identically", async (t) => {
  const dir = etcdWalDir(t);
  const original = fs.readFileSync(join(dir, "0000000000000000-0000000000000000.wal"));
  let entries = 0;
  let prevCrc = 0;
  await scanSegments(dir, segmentNames(fs.readdirSync(dir)), 1 << 20, (rec, at) => {
    if (rec.type === RecordType.Entry) {
      assert.deepEqual(encodeEntry(Entry.decode(rec.data)), rec.data, `entry record at ${at.offset}`);
      entries++;
    }
    // Re-framing the record from the previous CRC gives the same bytes as etcd's frame.
    const { bytes } = encodeFrames([{ type: rec.type as RecordType, data: rec.data }], rec.type === RecordType.Crc ? rec.crc : prevCrc);
    assert.deepEqual(bytes, original.subarray(at.offset, at.offset + bytes.length), `frame at ${at.offset}`);
    prevCrc = rec.crc;
  });
  assert.equal(entries, 29);
});
