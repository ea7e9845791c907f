import { test } from "node:test";
import assert from "node:assert/strict";
import { OrderedMap } from "./ordered-map.js";
import { SeededRandom } from "../../pkg/random.js";

function randomKey(r: SeededRandom, alphabet: number): string {
  const len = 1 + r.intn(4);
  let s = "";
  for (let i = 0; i < len; i++) s += String.fromCharCode(r.intn(alphabet) * (256 / alphabet));
  return s;
}

/** The model: a plain Map plus sorting on demand. */
function modelRange(model: Map<string, number>, from: string, to: string | undefined): [string, number][] {
  return [...model.entries()].filter(([k]) => k >= from && (to === undefined || k < to)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function treeRange(tree: OrderedMap<number>, from: string, to: string | undefined): [string, number][] {
  const out: [string, number][] = [];
  tree.forEachInRange(from, to, (k, v) => {
    out.push([k, v]);
  });
  return out;
}

for (const seed of [1, 2, 3, 4, 5]) {
  test(`ordered map matches a sorted model under random set/delete (seed ${seed})`, () => {
    const r = new SeededRandom(seed);
    const tree = new OrderedMap<number>();
    const model = new Map<string, number>();
    // A small alphabet makes collisions (replace, delete hits) frequent.
    const alphabet = seed % 2 === 0 ? 8 : 64;
    for (let step = 0; step < 20_000; step++) {
      const op = r.intn(10);
      const key = randomKey(r, alphabet);
      if (op < 6) {
        tree.set(key, step);
        model.set(key, step);
      } else {
        assert.equal(tree.delete(key), model.delete(key));
      }
      if (step % 2_000 === 0) tree.checkInvariants();
    }
    tree.checkInvariants();
    assert.equal(tree.size, model.size);
    assert.deepEqual(treeRange(tree, "", undefined), modelRange(model, "", undefined));
    for (let i = 0; i < 200; i++) {
      const a = randomKey(r, alphabet);
      const b = r.intn(4) === 0 ? undefined : randomKey(r, alphabet);
      assert.deepEqual(treeRange(tree, a, b), modelRange(model, a, b), `range [${a}, ${b})`);
      assert.equal(tree.get(a), model.get(a));
    }
  });
}

test("ordered map survives mass insertion in increasing order and mass deletion", () => {
  const tree = new OrderedMap<number>();
  const n = 50_000;
  const key = (i: number): string => i.toString(16).padStart(8, "0");
  for (let i = 0; i < n; i++) tree.set(key(i), i);
  tree.checkInvariants();
  assert.equal(tree.size, n);
  // Delete every key but one in each 100, as a compaction would.
  for (let i = 0; i < n; i++) if (i % 100 !== 0) assert.ok(tree.delete(key(i)));
  tree.checkInvariants();
  assert.equal(tree.size, n / 100);
  assert.deepEqual(tree.keys().slice(0, 3), [key(0), key(100), key(200)]);
  for (let i = 0; i < n; i += 100) assert.ok(tree.delete(key(i)));
  tree.checkInvariants();
  assert.equal(tree.size, 0);
  assert.deepEqual(tree.keys(), []);
});

test("ordered map compares latin1 strings as unsigned bytes", () => {
  const tree = new OrderedMap<number>();
  for (const b of [0xff, 0x00, 0x7f, 0x80, 0x61]) tree.set(Buffer.from([b]).toString("latin1"), b);
  assert.deepEqual(
    tree.keys().map((k) => Buffer.from(k, "latin1")[0]),
    [0x00, 0x61, 0x7f, 0x80, 0xff],
  );
  assert.equal(tree.ceilingKey("\x62"), "\x7f");
  assert.equal(tree.ceilingKey("\xff\x00"), undefined);
});

test("forEachInRange stops when the visitor returns false", () => {
  const tree = new OrderedMap<number>();
  for (let i = 0; i < 500; i++) tree.set(String(i).padStart(3, "0"), i);
  const seen: number[] = [];
  tree.forEachInRange("100", undefined, (_k, v) => {
    seen.push(v);
    return seen.length < 3;
  });
  assert.deepEqual(seen, [100, 101, 102]);
});
