import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRandom } from "../pkg/random.js";
import { LeaseQueue } from "./lease-queue.js";

/** The naive model: a map, the minimum found by a scan (ties by smallest id, which the heap does not promise — compare times only). */
function minTime(model: Map<bigint, number>): number | undefined {
  let best: number | undefined;
  for (const t of model.values()) if (best === undefined || t < best) best = t;
  return best;
}

test("lease queue: random upserts, removals and pops agree with a naive model", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const rnd = new SeededRandom(seed);
    const q = new LeaseQueue();
    const model = new Map<bigint, number>();
    for (let step = 0; step < 5000; step++) {
      const op = rnd.intn(10);
      const id = BigInt(rnd.intn(200));
      if (op < 5) {
        const t = rnd.intn(10_000);
        q.upsert(id, t);
        model.set(id, t);
      } else if (op < 6) {
        const t = rnd.intn(10_000);
        q.upsertEarlier(id, t);
        const cur = model.get(id);
        if (cur === undefined || t < cur) model.set(id, t);
      } else if (op < 8) {
        assert.equal(q.remove(id), model.delete(id));
      } else {
        const top = q.pop();
        const expected = minTime(model);
        assert.equal(top?.time, expected, `seed ${seed} step ${step}`);
        if (top !== undefined) {
          assert.equal(model.get(top.id), top.time);
          model.delete(top.id);
        }
      }
      assert.equal(q.size, model.size);
      assert.equal(q.peek()?.time, minTime(model));
    }
    // Draining yields non-decreasing times and exactly the model's entries.
    let last = -Infinity;
    while (q.size > 0) {
      const top = q.pop()!;
      assert.ok(top.time >= last);
      last = top.time;
      assert.equal(model.get(top.id), top.time);
      model.delete(top.id);
    }
    assert.equal(model.size, 0);
  }
});

test("lease queue: one entry per lease; timeOf and clear", () => {
  const q = new LeaseQueue();
  q.upsert(7n, 100);
  q.upsert(7n, 50);
  q.upsert(8n, 70);
  assert.equal(q.size, 2);
  assert.equal(q.timeOf(7n), 50);
  q.upsertEarlier(7n, 90);
  assert.equal(q.timeOf(7n), 50, "upsertEarlier never moves later");
  assert.deepEqual(q.pop(), { id: 7n, time: 50 });
  assert.equal(q.has(7n), false);
  q.clear();
  assert.equal(q.size, 0);
  assert.equal(q.peek(), undefined);
  assert.equal(q.pop(), undefined);
});
