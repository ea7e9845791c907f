import { test } from "node:test";
import assert from "node:assert/strict";
import { Inflights } from "./inflights.js";
import { Progress, ProgressState } from "./progress.js";

test("Inflights is a ring: add, free up to an index, wrap around", () => {
  const w = new Inflights(4);
  for (const i of [1n, 2n, 3n, 4n]) w.add(i);
  assert.equal(w.full(), true);
  assert.throws(() => w.add(5n));
  w.freeLE(2n);
  assert.equal(w.count(), 2);
  w.add(5n);
  w.add(6n); // wraps
  assert.equal(w.full(), true);
  w.freeLE(5n);
  assert.equal(w.count(), 1);
  w.freeFirstOne();
  assert.equal(w.count(), 0);
  w.freeLE(100n);
  assert.equal(w.count(), 0);
});

test("Inflights with a byte budget is full once the budget is used", () => {
  const w = new Inflights(10, 100);
  w.add(1n, 60);
  assert.equal(w.full(), false);
  w.add(2n, 50);
  assert.equal(w.full(), true);
  w.freeLE(1n);
  assert.equal(w.bytes(), 50);
  assert.equal(w.full(), false);
});

test("Progress: probe pauses after one append; an ack moves to replicate", () => {
  const pr = new Progress(5n, new Inflights(2), false);
  assert.equal(pr.isPaused(), false);
  pr.sentEntries(3, 30);
  assert.equal(pr.isPaused(), true, "a probe is outstanding");
  assert.equal(pr.maybeUpdate(4n), true);
  assert.equal(pr.isPaused(), false);
  pr.becomeReplicate();
  assert.equal(pr.next, 5n);
  pr.sentEntries(2, 0);
  pr.sentEntries(2, 0);
  assert.equal(pr.next, 9n);
  assert.equal(pr.isPaused(), true, "window of 2 is full");
  assert.equal(pr.maybeUpdate(6n), true);
  pr.inflights.freeLE(6n);
  assert.equal(pr.inflights.count(), 1);
});

test("Progress.maybeDecrTo ignores stale rejections and honours the hint", () => {
  const pr = new Progress(10n, new Inflights(4), false);
  pr.match = 3n;
  assert.equal(pr.maybeDecrTo(5n, 5n), false, "probe state: not the last probe (next-1 = 9)");
  assert.equal(pr.maybeDecrTo(9n, 6n), true);
  assert.equal(pr.next, 7n, "hint + 1");
  assert.equal(pr.maybeDecrTo(6n, 0n), true);
  assert.equal(pr.next, 4n, "never below match + 1");
  pr.becomeReplicate();
  assert.equal(pr.maybeDecrTo(3n, 0n), false, "replicate: already matched");
  pr.next = 20n;
  assert.equal(pr.maybeDecrTo(12n, 0n), true);
  assert.equal(pr.next, 4n);
});

test("Progress: snapshot state pauses until probed past the snapshot", () => {
  const pr = new Progress(2n, new Inflights(4), false);
  pr.becomeSnapshot(50n);
  assert.equal(pr.state, ProgressState.Snapshot);
  assert.equal(pr.isPaused(), true);
  pr.becomeProbe();
  assert.equal(pr.next, 51n, "resumes after the snapshot");
  assert.ok(pr.toString().startsWith("StateProbe match=0 next=51"));
});
