import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthorityRewriter, firstLook, fixAuthority, rewriteHeaderBlock } from "./authority-fix.js";
import { huffmanDecode } from "./huffman.js";

// The first header block etcdctl 3.4 sent with --endpoints http://127.0.0.1:43999 (captured).
const CAPTURED = Buffer.from(
  "8386459760a924882d9dcb6571afa066a925a87510ac6e48d36a3f41909d29aee30c044eae05c0b86e34cbefbf5f8b1d75d0620d263d4c4d65647a8b9acac8b4c7602bb2caecff40027465864d833505b11f40899acac8b24d494f6a7f866df7df65966d408d25062d495875996ee5b1063d5f03332e34",
  "hex",
);

test("huffman decoding of the captured authority", () => {
  assert.equal(huffmanDecode(Buffer.from("9d29aee30c044eae05c0b86e34cbefbf", "hex")).toString(), "http://127.0.0.1:43999");
});

test("an invalid authority literal is rewritten to a same-length valid one; the rest is kept byte for byte", () => {
  const fixed = rewriteHeaderBlock(CAPTURED);
  assert.notEqual(fixed, CAPTURED);
  const i = fixed.indexOf(Buffer.from("http.--127.0.0.1:43999"));
  assert.ok(i > 0, "the plain rewritten value is in the block");
  assert.equal(fixed[i - 2], 0x41, "still a literal with incremental indexing of static name 1");
  assert.equal(fixed[i - 1], 22, "a plain string of the same 22 octets");
  const before = CAPTURED.indexOf(Buffer.from("41909d29", "hex"));
  assert.deepEqual(fixed.subarray(0, before), CAPTURED.subarray(0, before));
  assert.deepEqual(fixed.subarray(i + 22), CAPTURED.subarray(before + 2 + 16));
  assert.equal(fixAuthority(Buffer.from("https://h:1")).toString(), "https.--h:1");
});

test("a valid authority leaves the block (and the connection) alone", () => {
  const valid = Buffer.concat([Buffer.from([0x83, 0x86, 0x41, 15]), Buffer.from("127.0.0.1:43999")]);
  assert.equal(rewriteHeaderBlock(valid), valid);
  const frame = (type: number, flags: number, payload: Buffer): Buffer => {
    const h = Buffer.alloc(9);
    h.writeUIntBE(payload.length, 0, 3);
    h[3] = type;
    h[4] = flags;
    h.writeUInt32BE(1, 5);
    return Buffer.concat([h, payload]);
  };
  const settings = frame(4, 0, Buffer.alloc(0));
  const ack = frame(4, 1, Buffer.alloc(0));
  assert.equal(firstLook(Buffer.concat([settings, frame(1, 4, valid)])).verdict, "native");
  assert.equal(firstLook(Buffer.concat([settings, frame(1, 4, CAPTURED)])).verdict, "fix");
  assert.equal(firstLook(settings).verdict, "more");
  const looked = firstLook(Buffer.concat([settings, ack, frame(1, 4, valid)]));
  assert.deepEqual([looked.verdict, looked.ackSeen], ["native", true]);
  assert.deepEqual(looked.frames, Buffer.concat([settings, frame(1, 4, valid)]), "our SETTINGS' ACK is taken out");
  const ackFirst = firstLook(Buffer.concat([settings, ack]));
  assert.deepEqual([ackFirst.verdict, ackFirst.ackSeen], ["more", true]);
  // Split over HEADERS + CONTINUATION and over arbitrary chunk boundaries.
  const stream = Buffer.concat([settings, ack, frame(1, 0, CAPTURED.subarray(0, 40)), frame(9, 4, CAPTURED.subarray(40)), frame(0, 1, Buffer.from("data"))]);
  const r = new AuthorityRewriter(1);
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 7) out.push(...r.push(stream.subarray(i, i + 7)));
  const all = Buffer.concat(out);
  assert.deepEqual(all.subarray(0, 9), settings);
  assert.ok(all.includes(Buffer.from("http.--127.0.0.1:43999")));
  assert.equal(all[9 + 3], 1, "one HEADERS frame");
  assert.equal(all[9 + 4]! & 4, 4, "with END_HEADERS");
  assert.ok(all.subarray(all.length - 13).equals(frame(0, 1, Buffer.from("data"))));
});
