/**
 * Shared by the WAL tests (and the crash test's child process): entries whose
 * content is a function of their index and term, so a reader can check every
 * byte it gets back.
 * @module
 */
import fs from "node:fs";
import { join } from "node:path";
import type { Entry } from "../gen/raftpb/raft.js";
import { SeededRandom } from "../pkg/random.js";

/** Deterministic payload for (index, term): never contains a run of zeros. */
export function payload(index: bigint, term: bigint, size: number): Buffer {
  const rnd = new SeededRandom(index * 1_000_003n + term);
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = 1 + rnd.intn(255);
  return b;
}

export function makeEntry(index: bigint, term: bigint, size = 300): Entry {
  return { Index: index, Term: term, Type: 0, Data: payload(index, term, size) };
}

export function makeEntries(from: bigint, to: bigint, term: bigint, size = 300): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(makeEntry(i, term, size));
  return out;
}

/** Asserts-free check used by tests: does `e` carry the payload for its index and term? */
export function entryIntact(e: Entry, size = 300): boolean {
  return e.Data.equals(payload(e.Index, e.Term, size));
}

/** Copies every file of `from` into a new temp directory (for trying many damages on one log). */
export function copyDir(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to, { recursive: true });
  for (const name of fs.readdirSync(from)) fs.copyFileSync(join(from, name), join(to, name));
}

/** Entry size used by the crash test: varies with the index, 40 to 2039 bytes. */
export function crashEntrySize(index: bigint): number {
  return 40 + Number((index * 7919n) % 2000n);
}
