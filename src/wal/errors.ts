/**
 * Typed WAL failures. These are operator-facing (the server logs them and
 * refuses to start, or stops), never sent to clients, so they carry the file
 * and offset an operator needs rather than an etcd wire string.
 * @module
 */

export type WalErrorKind =
  /** A record in the middle of the log fails its CRC or does not parse, with valid data after it. */
  | "Corrupt"
  /** The CRC carried into a segment does not match the chain of the segment before it. */
  | "CrcMismatch"
  /** Two segments carry different metadata. */
  | "MetadataConflict"
  /** The snapshot marker to open at was not found in the log. */
  | "SnapshotNotFound"
  /** A snapshot marker at the requested index has a different term. */
  | "SnapshotMismatch"
  /** An entry skips ahead of the log (its index leaves a gap after the last entry read). */
  | "EntryGap"
  /** A record larger than the configured limit (on write: refused; on read: a damaged length). */
  | "RecordTooLarge"
  /** A record of a type this WAL does not know. */
  | "UnknownRecordType"
  /** No usable segment: none exists, none covers the snapshot, or their sequence has a hole. */
  | "FileNotFound"
  /** `create` on a directory that already holds segments. */
  | "Exists"
  /** Another process (or another Wal in this one) holds the directory. */
  | "Locked"
  /** The Wal was closed, or an earlier write failed and the log can no longer be trusted. */
  | "Closed";

export class WalError extends Error {
  override readonly name = "WalError";
  readonly kind: WalErrorKind;
  /** The segment file concerned, when there is one. */
  readonly file: string | undefined;
  /** The byte offset in `file` of the record concerned. */
  readonly offset: number | undefined;

  constructor(kind: WalErrorKind, detail: string, where?: { file?: string; offset?: number; cause?: unknown }) {
    const at = where?.file === undefined ? "" : ` (${where.file}${where.offset === undefined ? "" : ` at offset ${where.offset}`})`;
    super(`wal: ${detail}${at}`, { cause: where?.cause });
    this.kind = kind;
    this.file = where?.file;
    this.offset = where?.offset;
  }
}

export function isWalError(err: unknown, kind?: WalErrorKind): err is WalError {
  return err instanceof WalError && (kind === undefined || err.kind === kind);
}
