/**
 * Test helpers shared by storage and txn tests: run the same table against
 * the in-memory and the LMDB backend, reopen a store to exercise restore,
 * and step compaction deterministically. Not used by production code.
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend } from "./backend/backend.js";
import { LmdbBackend, backendPath } from "./backend/lmdb-backend.js";
import { MemoryBackend } from "./backend/memory-backend.js";
import { KVStore, type KVStoreOptions } from "./mvcc/kvstore.js";
import type { Scheduler } from "./mvcc/types.js";

export type BackendKind = "memory" | "lmdb";
export const BACKEND_KINDS: readonly BackendKind[] = ["memory", "lmdb"];

/** A backend of one kind that can be reopened (clean close or crash) and cleaned up. */
export class BackendFixture {
  readonly kind: BackendKind;
  backend: Backend;
  readonly #dir: string | undefined;
  readonly #batchLimit: number | undefined;

  constructor(kind: BackendKind, options: { batchLimit?: number } = {}) {
    this.kind = kind;
    this.#batchLimit = options.batchLimit;
    if (kind === "lmdb") {
      this.#dir = mkdtempSync(join(tmpdir(), "etcd-ts-mvcc-"));
      this.backend = this.#openLmdb();
    } else {
      this.#dir = undefined;
      this.backend = new MemoryBackend(options);
    }
  }

  /** Closes cleanly (pending writes committed) and opens the same data again. */
  async reopen(): Promise<Backend> {
    await this.backend.close();
    this.backend = this.kind === "lmdb" ? this.#openLmdb() : (this.backend as MemoryBackend).crash();
    return this.backend;
  }

  /**
   * A kill: only committed batches survive. For LMDB this waits for
   * in-flight commits first (a real kill may lose them too; tests that need
   * the exact cut use the memory backend).
   */
  async crash(): Promise<Backend> {
    if (this.kind === "memory") {
      this.backend = (this.backend as MemoryBackend).crash();
      return this.backend;
    }
    return this.reopen();
  }

  async cleanup(): Promise<void> {
    await this.backend.close().catch(() => undefined);
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true });
  }

  #openLmdb(): LmdbBackend {
    const options: { path: string; batchLimit?: number } = { path: backendPath(this.#dir!) };
    if (this.#batchLimit !== undefined) options.batchLimit = this.#batchLimit;
    return new LmdbBackend(options);
  }
}

/** A scheduler that runs tasks only when the test says so. */
export class ManualScheduler {
  readonly #tasks: (() => void)[] = [];
  readonly schedule: Scheduler = (task) => {
    this.#tasks.push(task);
  };

  get pending(): number {
    return this.#tasks.length;
  }

  /** Runs the queued tasks (not the ones they queue); returns how many ran. */
  runPending(): number {
    const tasks = this.#tasks.splice(0);
    for (const t of tasks) t();
    return tasks.length;
  }

  /** Runs tasks, letting promises settle in between, until none is left. */
  async drain(): Promise<void> {
    for (let i = 0; i < 10_000; i++) {
      await new Promise((r) => setImmediate(r));
      if (this.runPending() === 0) {
        await new Promise((r) => setImmediate(r));
        if (this.#tasks.length === 0) return;
      }
    }
    throw new Error("ManualScheduler: tasks keep coming");
  }
}

/** Opens a store over the fixture's current backend. */
export function openStore(fx: BackendFixture, options: Omit<KVStoreOptions, "backend"> = {}): KVStore {
  return new KVStore({ ...options, backend: fx.backend });
}

/** Runs `body` against a fresh fixture of each backend kind, cleaning up after. */
export async function withEachBackend(body: (fx: BackendFixture) => Promise<void> | void, options: { batchLimit?: number } = {}): Promise<void> {
  for (const kind of BACKEND_KINDS) {
    const fx = new BackendFixture(kind, options);
    try {
      await body(fx);
    } catch (err) {
      if (err instanceof Error) err.message = `[${kind} backend] ${err.message}`;
      throw err;
    } finally {
      await fx.cleanup();
    }
  }
}

export const b = (s: string): Buffer => Buffer.from(s, "latin1");
