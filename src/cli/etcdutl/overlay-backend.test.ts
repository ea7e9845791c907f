import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryBackend } from "../../storage/backend/index.js";
import { OverlayBackend } from "./overlay-backend.js";

const b = (s: string): Buffer => Buffer.from(s);

test("writes stay in the overlay; reads merge them over the file, deletes hide", async () => {
  const base = new MemoryBackend();
  for (const k of ["a", "b", "c"]) base.put("key", b(k), b(`base-${k}`));
  await base.commit();
  const overlay = new OverlayBackend(base);
  overlay.put("key", b("b"), b("new-b"));
  overlay.put("key", b("d"), b("new-d"));
  overlay.delete("key", b("a"));
  await overlay.commit();
  assert.deepEqual(overlay.range("key").map((e) => `${e.key}=${e.value}`), ["b=new-b", "c=base-c", "d=new-d"]);
  assert.deepEqual(overlay.range("key", { start: b("c") }).map((e) => `${e.key}`), ["c", "d"]);
  assert.equal(overlay.get("key", b("a")), undefined);
  assert.equal(overlay.get("key", b("c"))?.toString(), "base-c");
  assert.deepEqual(base.range("key").map((e) => `${e.key}=${e.value}`), ["a=base-a", "b=base-b", "c=base-c"], "the file is untouched");
});
