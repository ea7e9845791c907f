/**
 * A database file as etcdutl's commands open it: which engine wrote it
 * (`dbFormatOf` of the storage layer), with Go's words for a file that
 * cannot be opened or read, and how many of its bytes are the database.
 * @module
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { hasHashTrailer, SHA256_BYTES } from "../../server/restore/snapshot-file.js";
import { DB_FORMAT_HEAD_BYTES, dbFormatOf, type DbFormat } from "../../storage/backend/index.js";
import { CommandError, goFileError } from "./context.js";

export type { DbFormat } from "../../storage/backend/index.js";

/** The engine of the file at `path`, or undefined when it is neither; a file that cannot be read (a directory…) is a {@link CommandError}. */
export function dbFormat(path: string): DbFormat | undefined {
  const head = Buffer.alloc(DB_FORMAT_HEAD_BYTES);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw new CommandError(goFileError("open", path, err));
  }
  try {
    return dbFormatOf(head.subarray(0, readSync(fd, head, 0, head.length, 0)));
  } catch (err) {
    throw new CommandError(goFileError("read", path, err));
  } finally {
    closeSync(fd);
  }
}

/**
 * The bytes of the bbolt database in a snapshot file: all but the SHA-256
 * trailer when the size says one is there (etcd's rule: a size 32 past a
 * multiple of 512), else the whole file.
 */
export function boltBytes(path: string): number {
  const size = statSync(path).size;
  return hasHashTrailer(size) ? size - SHA256_BYTES : size;
}
