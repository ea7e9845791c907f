import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { runBackendConformance } from "./test-support.js";
import { LmdbBackend, backendPath } from "./lmdb-backend.js";
import { MemoryBackend } from "./memory-backend.js";

const dirs: string[] = [];

runBackendConformance("lmdb backend", {
  async create(options) {
    const dir = mkdtempSync(join(tmpdir(), "etcd-ts-backend-"));
    dirs.push(dir);
    return new LmdbBackend({ path: backendPath(dir), ...options });
  },
  async reopen(backend) {
    const be = backend as LmdbBackend;
    await be.close();
    return new LmdbBackend({ path: be.path, batchLimit: be.batchLimit });
  },
  async cleanup() {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  },
});

test("lmdb backend: the data file is <data-dir>/member/snap/db", async () => {
  const dir = mkdtempSync(join(tmpdir(), "etcd-ts-backend-"));
  try {
    const be = new LmdbBackend({ path: backendPath(dir) });
    be.put("key", Buffer.from("a"), Buffer.from("1"));
    await be.close();
    assert.ok(existsSync(join(dir, "member", "snap", "db")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lmdb backend: same content hashes the same as the memory backend", async () => {
  const dir = mkdtempSync(join(tmpdir(), "etcd-ts-backend-"));
  try {
    const lm = new LmdbBackend({ path: backendPath(dir) });
    const mem = new MemoryBackend();
    for (let i = 0; i < 500; i++) {
      const k = Buffer.from(`key-${i}`);
      const v = Buffer.alloc(i % 50, i);
      lm.put("key", k, v);
      mem.put("key", k, v);
      if (i % 7 === 0) {
        lm.put("lease", k, v);
        mem.put("lease", k, v);
      }
      if (i % 100 === 0) await lm.commit();
    }
    assert.equal(lm.hash(), mem.hash());
    await lm.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lmdb backend: defrag gives free pages back", async () => {
  const dir = mkdtempSync(join(tmpdir(), "etcd-ts-backend-"));
  try {
    const be = new LmdbBackend({ path: backendPath(dir) });
    for (let i = 0; i < 20_000; i++) be.put("key", Buffer.from(`k${String(i).padStart(6, "0")}`), Buffer.alloc(200, 1));
    await be.commit();
    for (let i = 0; i < 20_000; i++) if (i % 10 !== 0) be.delete("key", Buffer.from(`k${String(i).padStart(6, "0")}`));
    await be.commit();
    const before = be.size();
    const inUse = be.sizeInUse();
    assert.ok(inUse < before / 2, `in use ${inUse} of ${before}`);
    await be.defrag();
    assert.ok(be.size() < before / 2, `size after defrag ${be.size()} vs ${before}`);
    assert.equal(be.range("key").length, 2_000);
    await be.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lmdb backend: kill -9 during a write stream leaves whole batches only", async () => {
  const dir = mkdtempSync(join(tmpdir(), "etcd-ts-backend-"));
  const path = backendPath(dir);
  const moduleUrl = new URL("./lmdb-backend.js", import.meta.url).href;
  // The child commits batches of 1000 keys plus a batch counter, as fast as it can.
  const script = `
    const { LmdbBackend } = await import(${JSON.stringify(moduleUrl)});
    const be = new LmdbBackend({ path: ${JSON.stringify(path)} });
    for (let batch = 1; ; batch++) {
      for (let i = 0; i < 1000; i++) {
        const k = Buffer.alloc(8); k.writeUInt32BE(batch, 0); k.writeUInt32BE(i, 4);
        be.put("key", k, Buffer.alloc(64, batch & 0xff));
      }
      const n = Buffer.alloc(8); n.writeUInt32BE(batch, 4);
      be.put("meta", Buffer.from("batch"), n);
      const p = be.commit();
      if (batch % 4 === 0) await p;
      if (batch === 3) process.stdout.write("go\\n");
    }`;
  try {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.once("data", () => resolve());
      child.once("exit", (code) => reject(new Error(`child exited early: ${code}`)));
    });
    await new Promise((r) => setTimeout(r, 300));
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const be = new LmdbBackend({ path });
    const counter = be.get("meta", Buffer.from("batch"));
    assert.ok(counter !== undefined, "at least one batch committed");
    const batches = counter.readUInt32BE(4);
    assert.ok(batches >= 3, `only ${batches} batches before the kill`);
    assert.equal(be.range("key").length, batches * 1000, `${batches} whole batches`);
    await be.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lmdb backend: each batch that carries writes reports its commit duration once, also a batch sealed because it was full; an empty commit reports nothing", async () => {
  const dir = mkdtempSync(join(tmpdir(), "etcd-ts-backend-"));
  const durations: number[] = [];
  try {
    const be = new LmdbBackend({ path: backendPath(dir), batchLimit: 2, onCommitted: (s) => durations.push(s) });
    await be.commit();
    assert.deepEqual(durations, [], "nothing to commit");
    be.put("key", Buffer.from("a"), Buffer.from("1"));
    await be.commit();
    assert.equal(durations.length, 1);
    be.put("key", Buffer.from("b"), Buffer.from("2"));
    be.put("key", Buffer.from("c"), Buffer.from("3"));
    be.commitIfFull();
    await be.commit();
    assert.equal(durations.length, 2, "the full batch, sealed without an explicit commit");
    assert.ok(durations.every((s) => s >= 0 && s < 60), String(durations));
    await be.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
