import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend, BackendReadView } from "./backend.js";
import { LmdbBackend, backendPath } from "./lmdb-backend.js";
import { MemoryBackend } from "./memory-backend.js";
import { BUCKETS } from "./schema.js";

const b = (s: string): Buffer => Buffer.from(s);

/** Everything a view holds, as bucket → [key, value] strings, read in one pass. */
function dump(view: BackendReadView): Map<string, [string, string][]> {
  const out = new Map<string, [string, string][]>();
  for (const bucket of view.buckets()) {
    const entries: [string, string][] = [];
    for (const [k, v] of bucket.entries()) entries.push([Buffer.from(k).toString(), Buffer.from(v).toString()]);
    out.set(Buffer.from(bucket.name).toString(), entries);
  }
  return out;
}

interface Flavor {
  name: string;
  open(): Promise<{ backend: Backend; cleanup(): void }>;
}

const FLAVORS: Flavor[] = [
  {
    name: "lmdb",
    async open() {
      const dir = mkdtempSync(join(tmpdir(), "etcd-ts-view-"));
      const backend = new LmdbBackend({ path: backendPath(dir) });
      return { backend, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  { name: "memory", async open() { return { backend: new MemoryBackend(), cleanup: () => undefined }; } },
];

for (const flavor of FLAVORS) {
  const run = (name: string, fn: (be: Backend) => Promise<void>): void => {
    test(`${flavor.name} read view: ${name}`, async () => {
      const { backend, cleanup } = await flavor.open();
      try {
        await fn(backend);
      } finally {
        await backend.close();
        cleanup();
      }
    });
  };

  run("every bucket in name order, entries in unsigned byte order, the pending batch included", async (be) => {
    be.put("key", Buffer.from([0xff]), b("high"));
    be.put("key", Buffer.from([0x01]), b("low"));
    be.put("meta", b("consistent_index"), b("7"));
    await be.commit();
    be.put("lease", b("l1"), b("pending")); // not committed yet: readView commits it
    const view = await be.readView();
    try {
      const names = [...view.buckets()].map((x) => Buffer.from(x.name).toString());
      assert.deepEqual(names, [...BUCKETS]);
      const sorted = [...names].sort((x, y) => Buffer.compare(b(x), b(y)));
      assert.deepEqual(names, sorted);
      const key = [...view.buckets()].find((x) => Buffer.from(x.name).toString() === "key")!;
      assert.deepEqual([...key.entries()].map(([k]) => [...k]), [[0x01], [0xff]]);
      assert.deepEqual(dump(view).get("lease"), [["l1", "pending"]]);
    } finally {
      view.close();
    }
  });

  run("sees one moment: later puts, deletes and commits do not reach it, and it can be read twice", async (be) => {
    for (let i = 0; i < 100; i++) be.put("key", b(`k${String(i).padStart(3, "0")}`), b(`v${i}`));
    be.put("meta", b("m"), b("before"));
    const view = await be.readView();
    try {
      const first = dump(view);
      for (let i = 0; i < 100; i += 2) be.delete("key", b(`k${String(i).padStart(3, "0")}`));
      be.put("key", b("k999"), b("new"));
      be.put("meta", b("m"), b("after"));
      await be.commit();
      assert.equal(be.range("key").length, 51, "the backend itself moved on");
      const second = dump(view);
      assert.deepEqual(second, first);
      assert.equal(first.get("key")!.length, 100);
      assert.deepEqual(first.get("meta"), [["m", "before"]]);
    } finally {
      view.close();
    }
  });

  run("writes and commits go on while a view is read slowly, across event-loop turns", async (be) => {
    for (let i = 0; i < 2000; i++) be.put("key", b(`k${String(i).padStart(5, "0")}`), Buffer.alloc(100, i));
    const view = await be.readView();
    try {
      const bucket = [...view.buckets()].find((x) => Buffer.from(x.name).toString() === "key")!;
      let seen = 0;
      let commits = 0;
      for (const [k] of bucket.entries()) {
        assert.equal(Buffer.from(k).toString(), `k${String(seen).padStart(5, "0")}`);
        seen++;
        if (seen % 200 === 0) {
          be.put("key", b(`z${seen}`), b("during"));
          be.delete("key", b(`k${String(seen + 1).padStart(5, "0")}`));
          await be.commit();
          commits++;
        }
      }
      assert.equal(seen, 2000);
      assert.equal(commits, 10);
      assert.equal(be.get("key", b("z2000"))?.toString(), "during");
    } finally {
      view.close();
    }
  });

  run("close is idempotent, and a closed view refuses to be read", async (be) => {
    be.put("key", b("a"), b("1"));
    const view = await be.readView();
    view.close();
    view.close();
    const bucket = [...view.buckets()].find((x) => Buffer.from(x.name).toString() === "key")!;
    assert.throws(() => [...bucket.entries()], /read view: closed/);
  });

  run("a view closed halfway through a walk stops it with an error, and the backend goes on", async (be) => {
    for (let i = 0; i < 10; i++) be.put("key", b(`k${i}`), b("v"));
    const view = await be.readView();
    const bucket = [...view.buckets()].find((x) => Buffer.from(x.name).toString() === "key")!;
    const iterator = bucket.entries()[Symbol.iterator]();
    iterator.next();
    view.close();
    assert.throws(() => iterator.next(), /read view: closed/);
    be.put("key", b("after"), b("1"));
    await be.commit();
    assert.equal(be.get("key", b("after"))?.toString(), "1");
  });

  run("many views opened and closed leave the backend as it was", async (be) => {
    be.put("key", b("a"), b("1"));
    for (let i = 0; i < 200; i++) {
      const view = await be.readView();
      be.put("key", b("a"), b(String(i)));
      view.close();
    }
    await be.commit();
    const view = await be.readView();
    try {
      assert.deepEqual(dump(view).get("key"), [["a", "199"]]);
    } finally {
      view.close();
    }
  });
}

test("lmdb read view: a view left open across a reopen of the backend is refused, not crashed on", async () => {
  const dir = mkdtempSync(join(tmpdir(), "etcd-ts-view-"));
  try {
    const be = new LmdbBackend({ path: backendPath(dir) });
    be.put("key", b("a"), b("1"));
    const view = await be.readView();
    const bucket = [...view.buckets()].find((x) => Buffer.from(x.name).toString() === "key")!;
    const iterator = bucket.entries()[Symbol.iterator]();
    assert.equal(iterator.next().done, false);
    await be.close();
    assert.throws(() => iterator.next(), /closed or replaced/);
    view.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
