import { test } from "node:test";
import assert from "node:assert/strict";
import { progressReporter, renderProgress } from "./progress.js";

test("the bar: filled part, head, percent and sizes", () => {
  assert.equal(renderProgress(0, 2_000_000, 10), "[>         ]   0% 0 B / 2.0 MB");
  assert.equal(renderProgress(500_000, 2_000_000, 10), "[==>       ]  25% 500 kB / 2.0 MB");
  assert.equal(renderProgress(1_999_999, 2_000_000, 10), "[=========>]  99% 2.0 MB / 2.0 MB");
  assert.equal(renderProgress(2_000_000, 2_000_000, 10), "[==========] 100% 2.0 MB / 2.0 MB");
});

test("the bar never leaves its bounds: done past total, an empty total", () => {
  assert.equal(renderProgress(5_000, 1_000, 4), "[====] 100% 1.0 kB / 1.0 kB");
  assert.equal(renderProgress(0, 0, 4), "[====] 100% 0 B / 0 B");
  assert.equal(renderProgress(-5, 100, 4), "[>   ]   0% 0 B / 100 B");
});

test("the reporter redraws in place once per percent and ends its line", () => {
  const out: string[] = [];
  const p = progressReporter((t) => out.push(t), 4);
  for (let done = 0; done <= 1000; done += 1) p.onProgress(done, 1000);
  p.finish();
  assert.equal(out.length, 102);
  assert.ok(out.slice(0, -1).every((frame) => frame.startsWith("\r[")));
  assert.equal(out[out.length - 1], "\n");
});

test("a reporter that drew nothing writes nothing at the end", () => {
  const out: string[] = [];
  progressReporter((t) => out.push(t)).finish();
  assert.deepEqual(out, []);
});
