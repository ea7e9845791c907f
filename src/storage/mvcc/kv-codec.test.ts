import { test } from "node:test";
import assert from "node:assert/strict";
import { KeyValue } from "../../gen/mvccpb/kv.js";
import { SeededRandom } from "../../pkg/random.js";
import { decodeKeyValue, encodeKeyValue } from "./kv-codec.js";
import { bytesToRev, isTombstoneKey, revToBytes, compareRev } from "./revision.js";

function randomInt64(r: SeededRandom): bigint {
  switch (r.intn(6)) {
    case 0:
      return 0n;
    case 1:
      return BigInt(r.intn(200));
    case 2:
      return BigInt(r.intn(1 << 30)) * 1000n;
    case 3:
      return BigInt.asIntN(64, r.uint64()); // any int64, negative included
    case 4:
      return (1n << 63n) - 1n;
    default:
      return -1n;
  }
}

test("KeyValue codec gives the same bytes as ts-proto (etcd's canonical encoding) and decodes them back", () => {
  const r = new SeededRandom(11);
  for (let i = 0; i < 3_000; i++) {
    const kv: KeyValue = {
      key: Buffer.from(Array.from({ length: r.intn(40) }, () => r.intn(256))),
      createRevision: randomInt64(r),
      modRevision: randomInt64(r),
      version: randomInt64(r),
      value: Buffer.alloc(r.intn(4) === 0 ? 300 + r.intn(100_000) : r.intn(20), r.intn(256)),
      lease: randomInt64(r),
    };
    const ours = encodeKeyValue(kv);
    const theirs = Buffer.from(KeyValue.encode(kv).finish());
    assert.deepEqual(ours, theirs, `case ${i}`);
    assert.deepEqual(decodeKeyValue(ours), KeyValue.decode(theirs));
  }
});

test("KeyValue decoder skips unknown fields and rejects truncated input", () => {
  const kv = { key: Buffer.from("k"), createRevision: 5n, modRevision: 6n, version: 2n, value: Buffer.from("v"), lease: 0n };
  const withUnknown = Buffer.concat([encodeKeyValue(kv), Buffer.from([0x38, 0x01, 0x42, 0x02, 0x61, 0x62])]);
  assert.deepEqual(decodeKeyValue(withUnknown), kv);
  const enc = encodeKeyValue(kv);
  assert.throws(() => decodeKeyValue(enc.subarray(0, enc.length - 1)));
});

test("revision keys are etcd's 17 bytes (main BE, '_', sub BE), tombstones add 't'", () => {
  const k = revToBytes({ main: 0x0102n, sub: 3n });
  assert.equal(k.toString("hex"), "0000000000000102" + "5f" + "0000000000000003");
  const t = revToBytes({ main: 5n, sub: 0n }, true);
  assert.equal(t.length, 18);
  assert.equal(t[17], 0x74);
  assert.ok(isTombstoneKey(t) && !isTombstoneKey(k));
  assert.deepEqual(bytesToRev(t), { main: 5n, sub: 0n });
  // Byte order of keys is revision order.
  const revs = [{ main: 2n, sub: 0n }, { main: 1n, sub: 300n }, { main: 1n, sub: 2n }, { main: 256n, sub: 0n }];
  const byBytes = [...revs].sort((a, c) => Buffer.compare(revToBytes(a), revToBytes(c)));
  assert.deepEqual(byBytes, [...revs].sort(compareRev));
});
