import { test } from "node:test";
import assert from "node:assert/strict";
import { SeededRandom } from "../../pkg/random.js";
import { KeyIndex } from "./key-index.js";
import { revId, type Revision } from "./revision.js";

const r = (main: number, sub = 0): Revision => ({ main: BigInt(main), sub: BigInt(sub) });

/** put@1 put@2 del@3 put@4 del@5 — the history in key-index.ts's comment, plus put@6. */
function sample(): KeyIndex {
  const ki = new KeyIndex("foo");
  ki.put(1n, 0n);
  ki.put(2n, 0n);
  ki.tombstone(3n, 0n);
  ki.put(4n, 0n);
  ki.tombstone(5n, 0n);
  ki.put(6n, 0n);
  return ki;
}

function shape(ki: KeyIndex): string[][] {
  return ki.generations.map((g) => g.revs.map((x) => `${x.main}.${x.sub}`));
}

test("key index: get answers what the key was at each revision", () => {
  const ki = sample();
  const cases: [number, string | undefined, number | undefined, number | undefined][] = [
    // atRev, modified, created, version
    [0, undefined, undefined, undefined],
    [1, "1.0", 1, 1],
    [2, "2.0", 1, 2],
    [3, undefined, undefined, undefined], // deleted at 3
    [4, "4.0", 4, 1], // recreated: version restarts
    [5, undefined, undefined, undefined],
    [6, "6.0", 6, 1],
    [100, "6.0", 6, 1],
  ];
  for (const [at, mod, created, ver] of cases) {
    const got = ki.get(BigInt(at));
    if (mod === undefined) {
      assert.equal(got, undefined, `at ${at}`);
      continue;
    }
    assert.ok(got, `at ${at}`);
    assert.equal(`${got.modified.main}.${got.modified.sub}`, mod, `at ${at}`);
    assert.equal(got.created.main, BigInt(created!));
    assert.equal(got.version, BigInt(ver!));
  }
});

test("key index: tombstone of a deleted key is refused", () => {
  const ki = new KeyIndex("k");
  ki.put(1n, 0n);
  assert.equal(ki.tombstone(2n, 0n), true);
  assert.equal(ki.tombstone(3n, 0n), false);
  assert.throws(() => ki.put(2n, 0n), /not above/);
});

test("key index: compaction keeps the newest revision at or below the compact revision", () => {
  // Rows: compact at, generations left, revisions kept.
  const table: [number, string[][], string[]][] = [
    [1, [["1.0", "2.0", "3.0"], ["4.0", "5.0"], ["6.0"]], ["1.0"]],
    [2, [["2.0", "3.0"], ["4.0", "5.0"], ["6.0"]], ["2.0"]],
    [3, [["4.0", "5.0"], ["6.0"]], []], // a tombstone is not kept
    [4, [["4.0", "5.0"], ["6.0"]], ["4.0"]],
    [5, [["6.0"]], []],
    [6, [["6.0"]], ["6.0"]],
  ];
  for (const [at, gens, kept] of table) {
    const ki = sample();
    const keep = new Set<string>();
    ki.compact(BigInt(at), keep);
    assert.deepEqual(shape(ki), gens, `compact(${at})`);
    assert.deepEqual([...keep].sort(), kept.map((k) => revId(r(Number(k.split(".")[0]), Number(k.split(".")[1])))).sort(), `keep(${at})`);
  }
});

test("key index: a key deleted before the compact revision disappears", () => {
  const ki = new KeyIndex("k");
  ki.put(1n, 0n);
  ki.tombstone(2n, 0n);
  ki.compact(2n, new Set());
  assert.ok(ki.isEmpty());
});

test("key index: since returns the last change of each main revision from a point on", () => {
  const ki = new KeyIndex("k");
  ki.put(2n, 0n);
  ki.put(2n, 1n);
  ki.tombstone(3n, 0n);
  ki.put(5n, 0n);
  ki.put(5n, 3n);
  assert.deepEqual(ki.since(1n), [r(2, 1), r(3), r(5, 3)]);
  assert.deepEqual(ki.since(3n), [r(3), r(5, 3)]);
  assert.deepEqual(ki.since(4n), [r(5, 3)]);
  assert.deepEqual(ki.since(6n), []);
});

test("key index: keep(rev) predicts exactly what compact(rev) keeps (random histories)", () => {
  const rnd = new SeededRandom(3);
  for (let trial = 0; trial < 500; trial++) {
    const ki = new KeyIndex("k");
    let main = 1n;
    let live = false;
    const ops = 1 + rnd.intn(12);
    for (let i = 0; i < ops; i++) {
      main += BigInt(1 + rnd.intn(3));
      if (live && rnd.intn(3) === 0) {
        ki.tombstone(main, 0n);
        live = false;
      } else {
        ki.put(main, BigInt(rnd.intn(2)));
        live = true;
      }
    }
    const at = BigInt(rnd.intn(Number(main) + 3));
    const predicted = new Set<string>();
    ki.keep(at, predicted);
    const kept = new Set<string>();
    ki.compact(at, kept);
    assert.deepEqual([...predicted].sort(), [...kept].sort(), `trial ${trial}`);
  }
});
