import { test } from "node:test";
import assert from "node:assert/strict";
import { prefixEnd } from "./bytes.js";
import { SeededRandom } from "./random.js";
import { WaitRegistry } from "./wait.js";
import { ManualClock } from "./clock.js";

test("prefixEnd increments the last byte below 0xff and drops trailing 0xff", () => {
  assert.deepEqual(prefixEnd(Buffer.from("aa")), Buffer.from("ab"));
  assert.deepEqual(prefixEnd(Buffer.from([0x61, 0xff])), Buffer.from("b"));
  assert.deepEqual(prefixEnd(Buffer.from([0xff, 0xff])), Buffer.from([0]));
  assert.deepEqual(prefixEnd(Buffer.alloc(0)), Buffer.from([0]));
  assert.deepEqual(prefixEnd(Buffer.from([0xff])), Buffer.from([0]), "the one-byte \\0: every key from here on");
});

test("SeededRandom replays the same stream for the same seed", () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const c = new SeededRandom(43);
  const sa = Array.from({ length: 8 }, () => a.intn(1000));
  const sb = Array.from({ length: 8 }, () => b.intn(1000));
  const sc = Array.from({ length: 8 }, () => c.intn(1000));
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
  for (const v of sa) assert.ok(v >= 0 && v < 1000);
  const u = a.uint64();
  assert.ok(u >= 0n && u < 1n << 64n);
});

test("SeededRandom.intn is roughly uniform", () => {
  const r = new SeededRandom(7);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 40_000; i++) counts[r.intn(4)]!++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `count ${c}`);
});

test("WaitRegistry settles each id once", async () => {
  const w = new WaitRegistry<string>();
  const p = w.register(1n);
  assert.throws(() => w.register(1n));
  assert.equal(w.trigger(1n, "done"), true);
  assert.equal(w.trigger(1n, "again"), false);
  assert.equal(await p, "done");
  const q = w.register(2n);
  w.cancelAll(new Error("stopped"));
  await assert.rejects(q, /stopped/);
  assert.equal(w.size, 0);
});

test("ManualClock moves only forward and only when told", () => {
  const c = new ManualClock(100);
  assert.equal(c.nowMs(), 100);
  c.advance(50);
  assert.equal(c.nowMs(), 150);
  assert.throws(() => c.advance(-1));
});

import { IdGenerator } from "./id-generator.js";

test("IdGenerator: member prefix, time, increasing counter", () => {
  const gen = new IdGenerator(0x9e737febb6b99eeen, 1_700_000_000_000);
  const a = gen.next();
  const b = gen.next();
  assert.equal(a >> 48n, 0x9eeen);
  assert.equal(b, a + 1n);
  assert.equal((a >> 8n) & ((1n << 40n) - 1n), BigInt(1_700_000_000_000) & ((1n << 40n) - 1n));
  const later = new IdGenerator(0x9e737febb6b99eeen, 1_700_000_000_001);
  assert.ok(later.next() > b);
});
