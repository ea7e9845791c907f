import { test } from "node:test";
import assert from "node:assert/strict";
import { AppliedIndex } from "./applied-index.js";

const gaveUp = (): Error => new Error("gave up");

test("waitUnless resolves once the index is applied, or rejects with the caller's error when it gives up first", async () => {
  const applied = new AppliedIndex(5n);
  await applied.waitUnless(5n, new AbortController().signal, gaveUp);

  const order: string[] = [];
  const kept = new AbortController();
  const abandoned = new AbortController();
  const a = applied.waitUnless(7n, kept.signal, gaveUp).then(() => order.push("7"));
  const b = applied.waitUnless(6n, abandoned.signal, gaveUp);
  const c = applied.wait(6n).then(() => order.push("6"));
  abandoned.abort();
  await assert.rejects(b, /gave up/);
  applied.advance(7n);
  await Promise.all([a, c]);
  assert.deepEqual(order, ["6", "7"]);

  const already = new AbortController();
  already.abort();
  await assert.rejects(applied.waitUnless(100n, already.signal, gaveUp), /gave up/);
});
