import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LmdbBackend, backendPath, defragCopyPath } from "./lmdb-backend.js";

const key = (i: number): Buffer => Buffer.from(`k${String(i).padStart(7, "0")}`);

/** A backend in a fresh temp dir, removed after `body`. */
async function withBackend(body: (be: LmdbBackend, dir: string) => Promise<void>, options: { defragBacklogLimitBytes?: number } = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "etcd-ts-defrag-"));
  const be = new LmdbBackend({ path: backendPath(dir), ...options });
  try {
    await body(be, dir);
  } finally {
    await be.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `count` keys of `valueBytes` each, then every key but each `keepEvery`-th deleted: a file mostly free pages. */
async function fragment(be: LmdbBackend, count: number, valueBytes: number, keepEvery: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    be.put("key", key(i), Buffer.alloc(valueBytes, i % 251));
    if (i % 5_000 === 4_999) await be.commit();
  }
  await be.commit();
  for (let i = 0; i < count; i++) if (i % keepEvery !== 0) be.delete("key", key(i));
  await be.commit();
}

test("lmdb defrag: commits go on during the copy and land in the result, which survives a reopen", async () => {
  await withBackend(async (be) => {
    await fragment(be, 40_000, 1_000, 4);
    let done = false;
    const defrag = be.defrag().finally(() => {
      done = true;
    });
    // A writer that commits a batch at a time while the defrag runs, each batch also moving a counter.
    let written = 0;
    let commitsDuringDefrag = 0;
    while (!done) {
      for (let j = 0; j < 50; j++) be.put("lease", Buffer.from(`w${String(written + j).padStart(7, "0")}`), Buffer.alloc(100, 7));
      written += 50;
      be.put("meta", Buffer.from("written"), Buffer.from(String(written)));
      await be.commit();
      if (!done) commitsDuringDefrag++;
    }
    await defrag;
    assert.ok(commitsDuringDefrag >= 2, `only ${commitsDuringDefrag} commits finished while the defrag ran`);
    const report = be.lastDefrag!;
    assert.ok(report.replayedBatches >= 1, JSON.stringify(report));
    assert.equal(report.backlogOverflowed, false);
    assert.equal(be.range("lease").length, written);
    assert.equal(be.range("key").length, 10_000);
    assert.deepEqual(be.get("meta", Buffer.from("written")), Buffer.from(String(written)));
    const path = be.path;
    await be.close();
    const again = new LmdbBackend({ path });
    try {
      assert.equal(again.range("lease").length, written, "the replayed batches are in the file");
      assert.equal(again.range("key").length, 10_000);
    } finally {
      await again.close();
    }
  });
});

test("lmdb defrag: the file shrinks to what is in use", async () => {
  await withBackend(async (be) => {
    await fragment(be, 30_000, 1_000, 10);
    const before = be.size();
    const inUse = be.sizeInUse();
    assert.ok(inUse < before / 4, `in use ${inUse} of ${before}`);
    await be.defrag();
    // The copy holds the pages in use plus LMDB's few bookkeeping pages.
    assert.ok(be.size() <= inUse + 64 * 1024, `size after ${be.size()}, in use before ${inUse}`);
    assert.ok(be.size() >= be.sizeInUse(), `size ${be.size()} in use ${be.sizeInUse()}`);
    assert.equal(be.lastDefrag!.sizeBefore, before);
    assert.equal(be.lastDefrag!.sizeAfter, be.size());
    assert.equal(be.range("key").length, 3_000);
  });
});

test("lmdb defrag: readers see whole batches throughout, across the switch", async () => {
  await withBackend(async (be) => {
    await fragment(be, 30_000, 1_000, 3);
    const pair = (n: number): void => {
      be.put("meta", Buffer.from("a"), Buffer.from(String(n)));
      be.put("meta", Buffer.from("b"), Buffer.from(String(n)));
    };
    pair(0);
    await be.commit();
    let done = false;
    const defrag = be.defrag().finally(() => {
      done = true;
    });
    let n = 0;
    let reads = 0;
    const writer = (async () => {
      while (!done) {
        pair(++n);
        await be.commit();
      }
    })();
    // Reads interleave with commits and the switch: the pair always matches, the key count never moves.
    while (!done) {
      const a = be.get("meta", Buffer.from("a"))!.toString();
      const b = be.get("meta", Buffer.from("b"))!.toString();
      assert.equal(a, b, "a reader saw half a batch");
      assert.equal(be.range("key", { start: key(0), end: key(3_000) }).length, 1_000);
      reads++;
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all([defrag, writer]);
    assert.ok(reads >= 2, `${reads} reads during the defrag`);
    assert.equal(be.get("meta", Buffer.from("a"))!.toString(), String(n));
    assert.equal(be.range("key").length, 10_000);
  });
});

test("lmdb defrag: a backlog over its limit holds commits until the copy is done and loses nothing", async () => {
  await withBackend(
    async (be) => {
      await fragment(be, 30_000, 1_000, 2);
      let done = false;
      const defrag = be.defrag().finally(() => {
        done = true;
      });
      let written = 0;
      while (!done) {
        for (let j = 0; j < 20; j++) be.put("lease", Buffer.from(`w${String(written + j).padStart(7, "0")}`), Buffer.alloc(1_000, 1));
        written += 20;
        // Do not wait for the commit: the backlog must pass 16 kB while the copy is made.
        void be.commit();
        await new Promise((r) => setImmediate(r));
      }
      await defrag;
      await be.commit();
      assert.equal(be.lastDefrag!.backlogOverflowed, true, JSON.stringify(be.lastDefrag));
      assert.equal(be.range("lease").length, written);
      assert.equal(be.range("key").length, 15_000);
    },
    { defragBacklogLimitBytes: 16 * 1024 },
  );
});

test("lmdb defrag: defrags and their copies never overlap; repeated defrags keep everything", async () => {
  await withBackend(async (be) => {
    await fragment(be, 10_000, 500, 2);
    const hash = be.hash();
    await Promise.all([be.defrag(), be.defrag(), be.defrag()]);
    assert.equal(be.hash(), hash);
    be.put("key", Buffer.from("after"), Buffer.from("x"));
    await be.commit();
    await be.defrag();
    assert.deepEqual(be.get("key", Buffer.from("after")), Buffer.from("x"));
    assert.equal(existsSync(defragCopyPath(be.path)), false, "no copy left behind");
  });
});

test("lmdb defrag: a copy left by an interrupted defrag is removed at open, the data file untouched", async () => {
  const dir = mkdtempSync(join(tmpdir(), "etcd-ts-defrag-"));
  try {
    const path = backendPath(dir);
    const be = new LmdbBackend({ path });
    be.put("key", Buffer.from("k"), Buffer.from("v"));
    await be.close();
    writeFileSync(defragCopyPath(path), Buffer.alloc(8192, 1));
    writeFileSync(`${defragCopyPath(path)}-lock`, Buffer.alloc(16));
    const again = new LmdbBackend({ path });
    try {
      assert.equal(existsSync(defragCopyPath(path)), false);
      assert.equal(existsSync(`${defragCopyPath(path)}-lock`), false);
      assert.deepEqual(again.get("key", Buffer.from("k")), Buffer.from("v"));
    } finally {
      await again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lmdb defrag: reports its duration and logs etcd's lines", async () => {
  const dir = mkdtempSync(join(tmpdir(), "etcd-ts-defrag-"));
  const durations: number[] = [];
  const lines: { msg: string; fields: Record<string, unknown> }[] = [];
  const record = (fields: object, msg: string): void => {
    lines.push({ msg, fields: fields as Record<string, unknown> });
  };
  const logger = { debug: record, info: record, warn: record, error: record, child: () => logger };
  try {
    const be = new LmdbBackend({ path: backendPath(dir), logger, onDefragmented: (s) => durations.push(s) });
    await fragment(be, 5_000, 500, 2);
    await be.defrag();
    await be.close();
    assert.equal(durations.length, 1);
    assert.ok(durations[0]! >= 0 && durations[0]! < 600, String(durations));
    const start = lines.find((l) => l.msg === "defragmenting");
    const end = lines.find((l) => l.msg === "defragmented");
    assert.ok(start !== undefined && end !== undefined, JSON.stringify(lines.map((l) => l.msg)));
    for (const field of ["path", "current-db-size-bytes", "current-db-size", "current-db-size-in-use-bytes", "current-db-size-in-use"]) {
      assert.ok(field in start.fields, `defragmenting lacks ${field}`);
    }
    for (const field of ["current-db-size-bytes-diff", "current-db-size-in-use-bytes-diff", "took-ms", "commits-held-ms"]) {
      assert.ok(field in end.fields, `defragmented lacks ${field}`);
    }
    assert.ok((end.fields["current-db-size-bytes-diff"] as number) < 0, "the file shrank");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lmdb defrag: close waits for a running defrag, which finishes whole; a defrag after close is refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), "etcd-ts-defrag-"));
  try {
    const be = new LmdbBackend({ path: backendPath(dir) });
    await fragment(be, 10_000, 1_000, 2);
    const defrag = be.defrag();
    be.put("key", Buffer.from("last"), Buffer.from("x"));
    await be.close();
    await defrag;
    assert.ok(be.lastDefrag !== undefined);
    await assert.rejects(be.defrag(), /closed/);
    const again = new LmdbBackend({ path: be.path });
    try {
      assert.equal(again.range("key").length, 5_001);
      assert.equal(existsSync(defragCopyPath(be.path)), false);
    } finally {
      await again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lmdb defrag: kill -9 at random moments of back-to-back defrags keeps every batch reported durable, and whole batches only", async () => {
  const dir = mkdtempSync(join(tmpdir(), "etcd-ts-defrag-"));
  const path = backendPath(dir);
  const moduleUrl = new URL("./lmdb-backend.js", import.meta.url).href;
  // The child fragments its file once, then defragments back to back while it commits
  // batches of 200 keys plus a counter, printing each batch number once commit() says it is durable.
  const script = `
    const { LmdbBackend } = await import(${JSON.stringify(moduleUrl)});
    const be = new LmdbBackend({ path: ${JSON.stringify(path)} });
    const start = be.get("meta", Buffer.from("batch"))?.readUInt32BE(0) ?? 0;
    if (start === 0) {
      for (let i = 0; i < 20000; i++) be.put("lease", Buffer.from("f" + i), Buffer.alloc(1000, 1));
      await be.commit();
      for (let i = 0; i < 20000; i++) if (i % 4) be.delete("lease", Buffer.from("f" + i));
      await be.commit();
    }
    (async () => { for (;;) { await be.defrag(); process.stdout.write("defragged\\n"); } })();
    for (let batch = start + 1; ; batch++) {
      for (let i = 0; i < 200; i++) {
        const k = Buffer.alloc(8); k.writeUInt32BE(batch, 0); k.writeUInt32BE(i, 4);
        be.put("key", k, Buffer.alloc(64, batch & 0xff));
      }
      const n = Buffer.alloc(4); n.writeUInt32BE(batch, 0);
      be.put("meta", Buffer.from("batch"), n);
      await be.commit();
      process.stdout.write("durable " + batch + "\\n");
    }`;
  try {
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
      let durable = 0;
      let defrags = 0;
      child.stdout.on("data", (chunk: Buffer) => {
        const text = chunk.toString();
        for (const m of text.matchAll(/durable (\d+)/g)) durable = Math.max(durable, Number(m[1]));
        defrags += text.match(/defragged/g)?.length ?? 0;
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      // Kill in a defrag after two switches, with batches committed on both sides of them, a little later each round.
      const deadline = Date.now() + 60_000;
      while ((durable < 3 || defrags < 2 || !existsSync(defragCopyPath(path))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
      assert.ok(Date.now() < deadline, `round ${round}: no defrag under way after two finished`);
      await new Promise((r) => setTimeout(r, round * 7));
      child.kill("SIGKILL");
      await exited;
      const seenDurable = durable;
      const be = new LmdbBackend({ path });
      try {
        const batches = be.get("meta", Buffer.from("batch"))?.readUInt32BE(0) ?? 0;
        assert.ok(batches >= seenDurable, `round ${round}: ${batches} batches in the file, ${seenDurable} were reported durable`);
        assert.equal(be.range("key").length, batches * 200, `round ${round}: whole batches only`);
        assert.equal(be.range("lease").length, 5_000, `round ${round}: the data from before the defrags`);
        assert.equal(existsSync(defragCopyPath(path)), false, `round ${round}: the interrupted copy was removed at open`);
      } finally {
        await be.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lmdb defrag: a read view opened before a defrag reads the old file across the switch until it closes", async () => {
  await withBackend(async (be) => {
    await fragment(be, 10_000, 1_000, 2);
    const view = await be.readView();
    const keysOf = (): number => {
      const bucket = [...view.buckets()].find((x) => Buffer.from(x.name).toString() === "key")!;
      let n = 0;
      for (const _ of bucket.entries()) n++;
      return n;
    };
    const iterator = [...view.buckets()].find((x) => Buffer.from(x.name).toString() === "key")!.entries()[Symbol.iterator]();
    assert.equal(iterator.next().done, false, "a cursor open across the switch");
    be.put("key", Buffer.from("after-view"), Buffer.from("x"));
    await be.defrag();
    be.put("key", Buffer.from("after-defrag"), Buffer.from("y"));
    await be.commit();
    let rest = 0;
    for (let step = iterator.next(); step.done !== true; step = iterator.next()) rest++;
    assert.equal(rest, 4_999, "the open cursor finishes on the old file");
    assert.equal(keysOf(), 5_000, "the view still shows the moment it was opened");
    view.close();
    assert.equal(be.range("key").length, 5_002);
    const fresh = await be.readView();
    try {
      const bucket = [...fresh.buckets()].find((x) => Buffer.from(x.name).toString() === "key")!;
      let n = 0;
      for (const _ of bucket.entries()) n++;
      assert.equal(n, 5_002, "a view opened after the switch reads the new file");
    } finally {
      fresh.close();
    }
  });
});
