import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../pkg/clock.js";
import { TokenBucket } from "./token-bucket.js";

test("token bucket: a burst, then the rate; an idle bucket refills only up to its burst", () => {
  const clock = new ManualClock();
  const bucket = new TokenBucket(clock, 3, 2);
  for (let i = 0; i < 3; i++) assert.equal(bucket.take(), true);
  assert.equal(bucket.take(), false);
  clock.advance(499);
  assert.equal(bucket.take(), false, "less than one token after 499 ms at 2/s");
  clock.advance(1);
  assert.equal(bucket.take(), true);
  assert.equal(bucket.take(), false);
  clock.advance(60_000);
  for (let i = 0; i < 3; i++) assert.equal(bucket.take(), true);
  assert.equal(bucket.take(), false, "a long idle time is worth one burst, no more");
});
