/**
 * The conformance suite every {@link Backend} implementation runs (hono's
 * `common.case.test.ts` pattern): `memory-backend.test.ts` and
 * `lmdb-backend.test.ts` call {@link runBackendConformance} with their own
 * harness.
 * @module
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_KEY_BYTES, type Backend } from "./backend.js";
import { crc32c } from "../../pkg/crc32c.js";
import { DEFAULT_HASH_IGNORES, META_KEYS } from "./schema.js";

export interface BackendHarness {
  /** A new, empty backend. */
  create(options?: { batchLimit?: number }): Promise<Backend>;
  /** Closes `backend` cleanly and opens the same store again. */
  reopen(backend: Backend): Promise<Backend>;
  /** Releases everything `create` made (temp dirs). */
  cleanup(): Promise<void>;
}

const b = (s: string): Buffer => Buffer.from(s);

function keysOf(backend: Backend, bucket: "key" | "meta" | "lease", range?: { start?: Buffer; end?: Buffer }, limit?: number): string[] {
  return backend.range(bucket, range, limit).map((e) => e.key.toString("latin1"));
}

export function runBackendConformance(name: string, harness: BackendHarness): void {
  const withBackend = (title: string, body: (be: Backend) => Promise<void>, options?: { batchLimit?: number }): void => {
    test(`${name}: ${title}`, async () => {
      const be = await harness.create(options);
      try {
        await body(be);
      } finally {
        await be.close().catch(() => undefined);
        await harness.cleanup();
      }
    });
  };

  withBackend("pending writes are visible before commit (read-your-writes)", async (be) => {
    assert.equal(be.get("key", b("a")), undefined);
    be.put("key", b("a"), b("1"));
    assert.deepEqual(be.get("key", b("a")), b("1"));
    assert.equal(be.pendingOps(), 1);
    be.delete("key", b("a"));
    assert.equal(be.get("key", b("a")), undefined);
    assert.equal(be.pendingOps(), 2, "every put and delete counts, as etcd counts them");
  });

  withBackend("committed data survives a clean reopen", async (be) => {
    be.put("key", b("a"), b("1"));
    be.put("meta", b("m"), b("2"));
    await be.commit();
    be.put("key", b("b"), b("3"));
    const again = await harness.reopen(be);
    try {
      assert.deepEqual(again.get("key", b("a")), b("1"));
      assert.deepEqual(again.get("meta", b("m")), b("2"));
      assert.deepEqual(again.get("key", b("b")), b("3"), "close commits what is pending");
      assert.equal(again.get("meta", b("a")), undefined, "buckets are separate");
    } finally {
      await again.close();
    }
  });

  withBackend("reads merge the pending batch with committed data in key order", async (be) => {
    for (const k of ["b", "d", "f", "h"]) be.put("key", b(k), b(`old-${k}`));
    await be.commit();
    be.put("key", b("a"), b("new-a"));
    be.put("key", b("d"), b("new-d"));
    be.delete("key", b("f"));
    be.put("key", b("g"), b("new-g"));
    be.put("key", b("z"), b("new-z"));
    assert.deepEqual(keysOf(be, "key"), ["a", "b", "d", "g", "h", "z"]);
    assert.deepEqual(
      be.range("key").map((e) => e.value.toString()),
      ["new-a", "old-b", "new-d", "new-g", "old-h", "new-z"],
    );
    assert.deepEqual(keysOf(be, "key", { start: b("c"), end: b("h") }), ["d", "g"]);
    assert.deepEqual(keysOf(be, "key", { start: b("b") }, 3), ["b", "d", "g"]);
    assert.deepEqual(keysOf(be, "key", { end: b("d") }), ["a", "b"]);
    const seen: string[] = [];
    be.forEach("key", (k) => {
      seen.push(k.toString());
      return seen.length < 2;
    });
    assert.deepEqual(seen, ["a", "b"], "forEach stops when the visitor returns false");
    await be.commit();
    assert.deepEqual(keysOf(be, "key"), ["a", "b", "d", "g", "h", "z"]);
  });

  withBackend("keys are ordered as unsigned bytes", async (be) => {
    const keys = [[0xff], [0x00], [0x80], [0x7f], [0x00, 0x00], [0x80, 0x01]].map((k) => Buffer.from(k));
    keys.slice(0, 3).forEach((k) => be.put("lease", k, b("v")));
    await be.commit();
    keys.slice(3).forEach((k) => be.put("lease", k, b("v")));
    const got = be.range("lease").map((e) => e.key.toString("hex"));
    assert.deepEqual(got, ["00", "0000", "7f", "80", "8001", "ff"]);
  });

  withBackend("a batch commits as a whole when it reaches the batch limit", async (be) => {
    assert.equal(be.batchLimit, 3);
    be.put("key", b("1"), b("x"));
    be.put("key", b("2"), b("x"));
    be.commitIfFull();
    assert.equal(be.stats().commits, 0);
    assert.equal(be.pendingOps(), 2);
    be.put("key", b("3"), b("x"));
    be.commitIfFull();
    assert.equal(be.stats().commits, 1);
    assert.equal(be.pendingOps(), 0);
    assert.deepEqual(keysOf(be, "key"), ["1", "2", "3"], "visible while and after the batch goes to the engine");
    await be.commit();
    assert.deepEqual(keysOf(be, "key"), ["1", "2", "3"]);
  }, { batchLimit: 3 });

  withBackend("reads never see a missing batch while its commit is in flight", async (be) => {
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 2_000; i++) be.put("key", b(`r${round}-${String(i).padStart(5, "0")}`), b(String(i)));
      be.put("meta", b("round"), b(String(round)));
      const durable = be.commit();
      // Not awaited yet: the batch is on its way to the engine.
      assert.equal(be.range("key", { start: b(`r${round}-`), end: b(`r${round}.`) }).length, 2_000);
      assert.deepEqual(be.get("meta", b("round")), b(String(round)));
      await durable;
      assert.equal(be.range("key", { start: b(`r${round}-`), end: b(`r${round}.`) }).length, 2_000);
    }
    assert.equal(be.range("key").length, 10_000);
  });

  withBackend("pre-commit hooks add their writes to the batch being sealed", async (be) => {
    let n = 0;
    const remove = be.addPreCommitHook((w) => {
      n++;
      w.put("meta", b("seals"), b(String(n)));
    });
    be.put("key", b("a"), b("1"));
    await be.commit();
    assert.deepEqual(be.get("meta", b("seals")), b("1"));
    await be.commit(); // an empty batch: the hook still runs and its write is committed
    assert.deepEqual(be.get("meta", b("seals")), b("2"));
    remove();
    await be.commit();
    assert.equal(n, 2);
    const again = await harness.reopen(be);
    try {
      assert.deepEqual(again.get("meta", b("seals")), b("2"));
    } finally {
      await again.close();
    }
  });

  withBackend("keys LMDB cannot store are refused at put time, not at commit", async (be) => {
    assert.throws(() => be.put("key", Buffer.alloc(0), b("v")), RangeError);
    assert.throws(() => be.put("auth", Buffer.alloc(MAX_KEY_BYTES + 1, 1), b("v")), RangeError);
    assert.throws(() => be.delete("auth", Buffer.alloc(0)), RangeError);
    be.put("auth", Buffer.alloc(MAX_KEY_BYTES, 1), b("v"));
    await be.commit();
    assert.deepEqual(be.get("auth", Buffer.alloc(MAX_KEY_BYTES, 1)), b("v"));
    assert.equal(be.pendingOps(), 0);
  });

  withBackend("an empty commit resolves", async (be) => {
    await be.commit();
    be.put("key", b("a"), b("1"));
    const first = be.commit();
    await be.commit();
    await first;
    assert.deepEqual(be.get("key", b("a")), b("1"));
  });

  withBackend("hash is etcd's CRC-32C over bucket names, keys and values", async (be) => {
    assert.equal(crc32c(b("123456789")), 0xe3069283, "CRC-32C check value");
    const empty = be.hash([]);
    const expectedEmpty = crc32c(b("alarmauthauthRolesauthUsersclusterkeyleasemembersmembers_removedmeta"));
    assert.equal(empty, expectedEmpty, "empty buckets contribute their names, in name order");
    be.put("key", b("k1"), b("v1"));
    be.put("meta", META_KEYS.consistentIndex, Buffer.alloc(8, 1));
    const expected = crc32c(b("alarmauthauthRolesauthUserscluster" + "key" + "k1v1" + "leasemembersmembers_removedmeta"));
    assert.equal(be.hash(DEFAULT_HASH_IGNORES), expected, "the consistent index is ignored by default");
    assert.notEqual(be.hash([]), expected);
    const before = be.hash();
    await be.commit();
    assert.equal(be.hash(), before, "committing does not change the hash");
  });

  withBackend("defrag keeps every entry and the pending batch", async (be) => {
    for (let i = 0; i < 3_000; i++) be.put("key", b(`k${String(i).padStart(5, "0")}`), Buffer.alloc(100, i % 256));
    await be.commit();
    for (let i = 0; i < 3_000; i += 2) be.delete("key", b(`k${String(i).padStart(5, "0")}`));
    await be.commit();
    be.put("meta", b("during"), b("x"));
    const hashBefore = be.hash();
    await be.defrag();
    assert.equal(be.hash(), hashBefore);
    assert.equal(be.range("key").length, 1_500);
    assert.deepEqual(be.get("meta", b("during")), b("x"));
    be.put("key", b("after"), b("y"));
    await be.commit();
    const again = await harness.reopen(be);
    try {
      assert.equal(again.range("key").length, 1_501);
      assert.deepEqual(again.get("meta", b("during")), b("x"));
    } finally {
      await again.close();
    }
  });

  withBackend("size and size in use are reported in bytes", async (be) => {
    for (let i = 0; i < 1_000; i++) be.put("key", b(`k${i}`), Buffer.alloc(200));
    await be.commit();
    assert.ok(be.size() > 200_000, `size ${be.size()}`);
    assert.ok(be.sizeInUse() > 0 && be.sizeInUse() <= be.size(), `in use ${be.sizeInUse()} of ${be.size()}`);
  });
}
