import { test } from "node:test";
import assert from "node:assert/strict";
import { SeededRandom } from "../../../pkg/random.js";
import { RangeIndex } from "./range-index.js";

test("range index: stab matches a brute-force scan under random adds and deletes", () => {
  const rnd = new SeededRandom(7);
  const alphabet = "abcdefgh";
  const word = (): string => Array.from({ length: 1 + rnd.intn(3) }, () => alphabet[rnd.intn(alphabet.length)]).join("");
  const index = new RangeIndex<number>();
  const live: { start: string; end: string; item: number }[] = [];
  for (let step = 0; step < 3000; step++) {
    if (live.length === 0 || rnd.intn(3) !== 0) {
      const start = word();
      const end = rnd.intn(5) === 0 ? "" : start + word();
      const item = step;
      index.add(start, end, item);
      live.push({ start, end, item });
    } else {
      const [gone] = live.splice(rnd.intn(live.length), 1);
      assert.equal(index.delete(gone!.start, gone!.end, gone!.item), true);
      assert.equal(index.delete(gone!.start, gone!.end, gone!.item), false);
    }
    const key = word();
    const got: number[] = [];
    index.stab(key, (items) => got.push(...items));
    const want = live.filter((iv) => key >= iv.start && (iv.end === "" || key < iv.end)).map((iv) => iv.item);
    assert.deepEqual(got.sort((x, y) => x - y), want.sort((x, y) => x - y), `key ${key}`);
    assert.equal(index.contains(key), want.length > 0);
  }
});
