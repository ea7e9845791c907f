import assert from "node:assert/strict";
import { test } from "node:test";
import { createAutoCompactor } from "./index.js";
import { PeriodicCompactor } from "./periodic.js";
import { RevisionCompactor } from "./revision.js";
import { CompactorRig } from "./test-support.js";

test("off without settings or with a retention of 0 (etcd's default); otherwise the mode's compactor", () => {
  const deps = new CompactorRig().deps;
  assert.equal(createAutoCompactor(undefined, deps), undefined);
  assert.equal(createAutoCompactor({ mode: "periodic", retention: 0 }, deps), undefined);
  assert.equal(createAutoCompactor({ mode: "revision", retention: 0 }, deps), undefined);
  assert.ok(createAutoCompactor({ mode: "periodic", retention: 3_600_000 }, deps) instanceof PeriodicCompactor);
  assert.ok(createAutoCompactor({ mode: "revision", retention: 1000 }, deps) instanceof RevisionCompactor);
});
