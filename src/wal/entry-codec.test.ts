import { test } from "node:test";
import assert from "node:assert/strict";
import { Entry } from "../gen/raftpb/raft.js";
import { SeededRandom } from "../pkg/random.js";
import { encodeEntry } from "./entry-codec.js";

test("encodeEntry round-trips through the generated decoder, for every size of index and term", () => {
  const rnd = new SeededRandom(99);
  const edge = [0n, 1n, 127n, 128n, 16383n, 16384n, 2n ** 32n - 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];
  for (let i = 0; i < 500; i++) {
    const pick = (): bigint => (rnd.intn(3) === 0 ? edge[rnd.intn(edge.length)]! : rnd.uint64() >> BigInt(rnd.intn(64)));
    const data = Buffer.alloc(rnd.intn(4) === 0 ? 0 : rnd.intn(300));
    for (let k = 0; k < data.length; k++) data[k] = rnd.intn(256);
    const e: Entry = { Term: pick(), Index: pick(), Type: rnd.intn(3) as Entry["Type"], Data: data };
    assert.deepEqual(Entry.decode(encodeEntry(e)), e);
  }
});

test("encodeEntry writes etcd's layout: type, term, index always, data when present", () => {
  const bytes = encodeEntry({ Term: 2n, Index: 300n, Type: 0, Data: Buffer.from("ab") });
  assert.deepEqual([...bytes], [0x08, 0x00, 0x10, 0x02, 0x18, 0xac, 0x02, 0x22, 0x02, 0x61, 0x62]);
  assert.deepEqual([...encodeEntry({ Term: 0n, Index: 0n, Type: 1, Data: Buffer.alloc(0) })], [0x08, 0x01, 0x10, 0x00, 0x18, 0x00]);
});
