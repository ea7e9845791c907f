import { test } from "node:test";
import assert from "node:assert/strict";
import { goFixed, humanBytes } from "./human-bytes.js";

test("go-humanize's Bytes: SI units, a decimal below 10, Go's rounding", () => {
  const cases: [number, string][] = [
    [0, "0 B"],
    [9, "9 B"],
    [10, "10 B"],
    [999, "999 B"],
    [1000, "1.0 kB"],
    [20480, "20 kB"],
    [24576, "25 kB"],
    [12500, "12 kB"],
    [13500, "14 kB"],
    [1_500_000, "1.5 MB"],
    [10_737_418_240, "11 GB"],
  ];
  for (const [n, text] of cases) assert.equal(humanBytes(n), text, String(n));
});

test("Go's %.0f rounds an exact tie to even", () => {
  assert.equal(goFixed(12.5, 0), "12");
  assert.equal(goFixed(13.5, 0), "14");
  assert.equal(goFixed(2.3, 1), "2.3");
});

test("sizes in etcd's log lines", () => {
  assert.equal(humanBytes(4096), "4.1 kB");
  assert.equal(humanBytes(33554432), "34 MB");
  assert.equal(humanBytes(1_500_000_000), "1.5 GB");
});
