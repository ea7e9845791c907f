import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_HEADER_BLOCK_FRAMES, PendingHeaderBlock } from "./header-block.js";

test("header block: fragments are copied, so the socket chunk they came in is not kept", () => {
  const block = new PendingHeaderBlock(1, true, false, 1 << 20);
  const chunk = Buffer.from("abcdef");
  assert.equal(block.add(chunk.subarray(0, 3)), true);
  assert.equal(block.add(Buffer.alloc(5000, 0x78)), true);
  assert.equal(block.add(chunk.subarray(3)), true);
  chunk.fill(0);
  const whole = block.block();
  assert.equal(whole.length, 5006);
  assert.equal(whole.subarray(0, 3).toString(), "abc");
  assert.equal(whole.subarray(5003).toString(), "def");
});

test("header block: bytes count 9 per frame (empty CONTINUATIONs too), and frames are capped", () => {
  const bytes = new PendingHeaderBlock(1, false, false, 100);
  assert.equal(bytes.add(Buffer.alloc(80)), true); // 89
  assert.equal(bytes.add(Buffer.alloc(0)), true); // 98
  assert.equal(bytes.add(Buffer.alloc(0)), false, "107 > 100");
  const frames = new PendingHeaderBlock(1, false, false, 1 << 30);
  for (let i = 0; i < MAX_HEADER_BLOCK_FRAMES; i++) assert.equal(frames.add(Buffer.alloc(0)), true);
  assert.equal(frames.add(Buffer.alloc(0)), false);
});
