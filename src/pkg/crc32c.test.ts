import { test } from "node:test";
import assert from "node:assert/strict";
import { Crc32c, crc32c, crc32cUpdate } from "./crc32c.js";
import { SeededRandom } from "./random.js";

/** Bit-at-a-time reference: slow, obviously right. */
function naiveUpdate(crc: number, bytes: Uint8Array): number {
  let c = ~crc >>> 0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

test("crc32c matches the published check values (RFC 3720 B.4 and the catalogue)", () => {
  assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i))), 0x113fdb5c);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
});

test("crc32cUpdate has Go's crc32.Update semantics (values computed with Go 1.19)", () => {
  assert.equal(crc32cUpdate(0xdeadbeef, Buffer.from("hello, etcd")), 0x870aa1a2);
  const b = Buffer.alloc(1000);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7 + 3) & 0xff;
  assert.equal(crc32c(b), 0xdd2edff7);
  // hash.Hash32 fed "abc" then "defgh" equals one update over the concatenation.
  assert.equal(crc32cUpdate(crc32cUpdate(0, Buffer.from("abc")), Buffer.from("defgh")), 0x0a9421b7);
  // An empty update leaves the running value untouched.
  assert.equal(crc32cUpdate(0x12345678, Buffer.alloc(0)), 0x12345678);
});

test("crc32cUpdate agrees with the bitwise reference on random inputs, offsets and splits", () => {
  const rnd = new SeededRandom(3720);
  for (let round = 0; round < 300; round++) {
    const len = rnd.intn(200);
    const bytes = Buffer.alloc(len);
    for (let i = 0; i < len; i++) bytes[i] = rnd.intn(256);
    const seed = rnd.intn(0x1_0000_0000);
    const expected = naiveUpdate(seed, bytes);
    assert.equal(crc32cUpdate(seed, bytes), expected);
    const cut = rnd.intn(len + 1);
    assert.equal(crc32cUpdate(crc32cUpdate(seed, bytes, 0, cut), bytes, cut, len), expected);
    assert.equal(crc32cUpdate(seed, bytes.subarray(cut)), naiveUpdate(seed, bytes.subarray(cut)));
  }
});

test("Crc32c: chunked updates equal one call", () => {
  const data = Buffer.from("alarmauthauthRolesauthUsersclusterkeyleasemembersmembers_removedmeta");
  const h = new Crc32c();
  for (let i = 0; i < data.length; i += 7) h.update(data.subarray(i, i + 7));
  assert.equal(h.sum(), crc32c(data));
  assert.equal(new Crc32c().update(Buffer.from("123456789")).sum(), 0xe3069283);
});
