/**
 * The snapshot file's integrity, checked as etcd checks it before anything
 * is written: a file whose size modulo 512 is 32 ends with the SHA-256 of
 * everything before it (what `etcdctl snapshot save` appends); any other
 * size has no trailer (a copied member/snap/db), accepted only with
 * --skip-hash-check.
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";

export const SHA256_BYTES = 32;
/** etcd's rule: 512 is the smallest disk sector, so a bare database file never leaves 32 bytes over. */
const SECTOR_BYTES = 512;

export interface CheckedSnapshot {
  /** Bytes of the bbolt database (the file without its trailer). */
  readonly dbBytes: number;
  readonly hasHash: boolean;
}

/** What went wrong, in etcd's words; the caller wraps it into its own error type. */
export class SnapshotFileError extends Error {
  override readonly name = "SnapshotFileError";
}

/** etcd's rule for a snapshot file: its size is 32 bytes past a multiple of 512 when a SHA-256 trailer follows the database. */
export function hasHashTrailer(fileBytes: number): boolean {
  return fileBytes % SECTOR_BYTES === SHA256_BYTES;
}

/**
 * Reads the file once (streamed: memory stays bounded) and compares the
 * trailer with the SHA-256 of the database part, unless `skipHashCheck`.
 */
export async function checkSnapshotFile(path: string, skipHashCheck: boolean): Promise<CheckedSnapshot> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    throw new SnapshotFileError(`open ${path}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : String(err)}`);
  }
  const hasHash = hasHashTrailer(size);
  const dbBytes = hasHash ? size - SHA256_BYTES : size;
  if (!hasHash && !skipHashCheck) throw new SnapshotFileError("snapshot missing hash but --skip-hash-check=false");
  if (!hasHash || skipHashCheck) return { dbBytes, hasHash };

  const hash = createHash("sha256");
  let trailer: Buffer = Buffer.alloc(0);
  let offset = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    const dbPart = Math.max(0, Math.min(chunk.length, dbBytes - offset));
    if (dbPart > 0) hash.update(chunk.subarray(0, dbPart));
    if (dbPart < chunk.length) trailer = Buffer.concat([trailer, chunk.subarray(dbPart)]);
    offset += chunk.length;
  }
  const actual = hash.digest();
  if (trailer.length !== SHA256_BYTES || offset !== size) throw new SnapshotFileError(`snapshot file ${path} changed while it was read`);
  if (!actual.equals(trailer)) throw new SnapshotFileError(`expected sha256 ${goBytes(trailer)}, got ${goBytes(actual)}`);
  return { dbBytes, hasHash };
}

/** A byte slice as Go's %v prints it: [1 2 3]. */
function goBytes(b: Uint8Array): string {
  return `[${Array.from(b).join(" ")}]`;
}
