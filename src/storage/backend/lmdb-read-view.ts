/**
 * {@link BackendReadView} on LMDB: one read transaction shared by every
 * bucket's database, so all buckets are seen as of the same commit. LMDB
 * readers never wait for the writer nor make it wait: commits go on while a
 * view is open; the pages the view still sees are kept (the file may grow
 * meanwhile) until it is closed.
 * @module
 */

import type { Database, Transaction } from "lmdb";
import type { BucketContents } from "../bbolt/source.js";
import type { BackendReadView } from "./backend.js";
import { ReadViewClosedError } from "./read-view-error.js";
import { BUCKETS, type Bucket } from "./schema.js";

type Db = Database<Buffer, Buffer>;

export class LmdbReadView implements BackendReadView {
  readonly #txn: Transaction;
  readonly #dbs: ReadonlyMap<Bucket, Db>;
  /** Whether the environment the transaction belongs to is still open (the backend may close it or switch files). */
  readonly #engineOpen: () => boolean;
  /** Called once when the view closes (lets go of the environment it pinned). */
  readonly #release: () => void;
  #closed = false;

  /** `txn` must come from `useReadTransaction()` of the environment holding `dbs`; the view owns it from here on. */
  constructor(txn: Transaction, dbs: ReadonlyMap<Bucket, Db>, engineOpen: () => boolean, release: () => void = () => undefined) {
    this.#txn = txn;
    this.#dbs = dbs;
    this.#engineOpen = engineOpen;
    this.#release = release;
  }

  *buckets(): Iterable<BucketContents> {
    for (const name of BUCKETS) {
      const db = this.#dbs.get(name)!;
      yield { name: Buffer.from(name), entries: () => this.#entries(db) };
    }
  }

  /** Releases the read transaction. Idempotent; reading the view afterwards throws. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Once the environment is closed its transactions are gone with it.
    if (this.#engineOpen()) this.#txn.done();
    this.#release();
  }

  *#entries(db: Db): Iterable<readonly [Uint8Array, Uint8Array]> {
    this.#check();
    const iterator = db.getRange({ transaction: this.#txn })[Symbol.iterator]();
    let finished = false;
    try {
      for (;;) {
        const step = iterator.next();
        if (step.done === true) {
          finished = true;
          return;
        }
        yield [step.value.key, step.value.value];
        // The consumer may have paused across event-loop turns: the
        // environment must still be open before the cursor is touched again.
        this.#check();
      }
    } finally {
      // Closing the cursor of a closed environment would touch freed memory.
      if (!finished && this.#engineOpen()) iterator.return?.();
    }
  }

  #check(): void {
    if (this.#closed) throw new ReadViewClosedError("closed");
    if (!this.#engineOpen()) throw new ReadViewClosedError("the database was closed or replaced while it was being read");
  }
}
