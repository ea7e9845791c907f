import { test } from "node:test";
import assert from "node:assert/strict";
import { runBackendConformance } from "./test-support.js";
import { MemoryBackend } from "./memory-backend.js";

runBackendConformance("memory backend", {
  async create(options) {
    return new MemoryBackend(options);
  },
  async reopen(backend) {
    await backend.close();
    return (backend as MemoryBackend).crash();
  },
  async cleanup() {},
});

test("memory backend: crash keeps only committed batches", async () => {
  const be = new MemoryBackend();
  be.put("key", Buffer.from("a"), Buffer.from("1"));
  await be.commit();
  be.put("key", Buffer.from("b"), Buffer.from("2"));
  const after = be.crash();
  assert.deepEqual(after.get("key", Buffer.from("a")), Buffer.from("1"));
  assert.equal(after.get("key", Buffer.from("b")), undefined);
  assert.throws(() => be.get("key", Buffer.from("a")), /closed/);
});
