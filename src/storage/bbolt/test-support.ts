/**
 * Helpers for the bbolt tests; imported only by tests.
 * @module
 */
import { closeSync, openSync, writeSync } from "node:fs";
import type { BucketContents, BucketSource } from "./source.js";
import { writeBolt, type BoltWriteOptions } from "./writer.js";

export type Entries = ReadonlyArray<readonly [string | Uint8Array, string | Uint8Array]>;

const bytes = (s: string | Uint8Array): Uint8Array => (typeof s === "string" ? Buffer.from(s, "latin1") : s);

/** A source from plain arrays, buckets and entries given in order. */
export function arraySource(buckets: ReadonlyArray<readonly [string, Entries]>): BucketSource {
  const contents: BucketContents[] = buckets.map(([name, entries]) => ({
    name: bytes(name),
    entries: () => entries.map(([k, v]) => [bytes(k), bytes(v)] as const),
  }));
  return { buckets: () => contents };
}

/** A bucket of `count` generated entries, built on demand (nothing held in memory). */
export function generatedBucket(name: string, count: number, entry: (i: number) => readonly [Uint8Array, Uint8Array]): BucketContents {
  return {
    name: bytes(name),
    *entries() {
      for (let i = 0; i < count; i++) yield entry(i);
    },
  };
}

/** Writes `source` to `path`; returns the file's size. */
export function writeBoltFile(source: BucketSource, path: string, options?: BoltWriteOptions): number {
  const fd = openSync(path, "w");
  let size = 0;
  try {
    for (const chunk of writeBolt(source, options)) size += writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return size;
}

/** Everything a source holds, as strings (latin1), for deepEqual. */
export function dump(source: BucketSource): Array<[string, Array<[string, string]>]> {
  return [...source.buckets()].map((b) => [
    Buffer.from(b.name).toString("latin1"),
    [...b.entries()].map(([k, v]) => [Buffer.from(k).toString("latin1"), Buffer.from(v).toString("latin1")] as [string, string]),
  ]);
}

/** A big-endian 8-byte key, as etcd's revisions are stored. */
export function u64Key(n: number): Uint8Array {
  const key = Buffer.alloc(8);
  key.writeBigUInt64BE(BigInt(n));
  return key;
}
