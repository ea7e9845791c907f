/**
 * Raft snapshot files: `<term>-<index>.snap` (16 hex digits each) in the
 * snapshot directory (`<data-dir>/member/snap`), each an encoded
 * `snappb.snapshot { crc, data }` where `data` is the encoded
 * `raftpb.Snapshot` and `crc` its CRC-32C — etcd's format, so files move
 * between etcd and us.
 *
 * Files are written atomically (temporary file, fsync, rename, directory
 * fsync). Loading walks the files newest first and returns the first one
 * that reads back intact (and, with {@link Snapshotter.loadNewestAvailable},
 * matches a snapshot marker in the WAL); a damaged one is renamed
 * `<name>.broken` and skipped, as etcd does.
 * @module
 */
import fs from "node:fs/promises";
import { join } from "node:path";
import { Snapshot } from "../gen/raftpb/raft.js";
import { snapshot as SnapFile } from "../gen/snappb/snap.js";
import { crc32c } from "../pkg/crc32c.js";
import { nullLogger } from "../pkg/logger.js";
import type { Logger } from "../pkg/logger.js";
import { writeFileAtomic } from "../pkg/fsio.js";
import { hex16 } from "../pkg/hex.js";

export const SNAP_SUFFIX = ".snap";
const SNAP_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

export type SnapErrorKind =
  /** No snapshot file (or none intact / matching). */
  | "NoSnapshot"
  /** An empty file, or one with no data or a zero CRC. */
  | "EmptySnapshot"
  /** The stored CRC does not match the data. */
  | "CrcMismatch"
  /** The file or its payload is not valid protobuf. */
  | "Undecodable";

export class SnapError extends Error {
  override readonly name = "SnapError";
  readonly kind: SnapErrorKind;
  readonly file: string | undefined;

  constructor(kind: SnapErrorKind, detail: string, file?: string, cause?: unknown) {
    super(`snap: ${detail}${file === undefined ? "" : ` (${file})`}`, { cause });
    this.kind = kind;
    this.file = file;
  }
}

export function isSnapError(err: unknown, kind?: SnapErrorKind): err is SnapError {
  return err instanceof SnapError && (kind === undefined || err.kind === kind);
}

export function snapFileName(term: bigint, index: bigint): string {
  return `${hex16(term)}-${hex16(index)}${SNAP_SUFFIX}`;
}

/** A snapshot marker the WAL holds (`Wal.readSnapshotMarkers`): what the snapshotter needs of it. */
export interface SnapshotMarker {
  index: bigint;
  term: bigint;
}

/** A snapshot with index 0 is raft's "no snapshot". */
export function isEmptySnapshot(s: Snapshot): boolean {
  return (s.metadata?.index ?? 0n) === 0n;
}

export class Snapshotter {
  readonly dir: string;
  readonly #logger: Logger;

  constructor(dir: string, logger: Logger = nullLogger) {
    this.dir = dir;
    this.#logger = logger;
  }

  /** Writes `snap` durably as `<term>-<index>.snap`; an empty snapshot is not written. */
  async save(snap: Snapshot): Promise<void> {
    if (isEmptySnapshot(snap)) return;
    const data = Buffer.from(Snapshot.encode(snap).finish());
    const file = Buffer.from(SnapFile.encode({ crc: crc32c(data), data }).finish());
    const name = snapFileName(snap.metadata?.term ?? 0n, snap.metadata?.index ?? 0n);
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(this.dir, name), file);
  }

  /** The newest intact snapshot; `NoSnapshot` when there is none. */
  load(): Promise<Snapshot> {
    return this.#loadMatching(() => true);
  }

  /**
   * The newest intact snapshot that matches one of the WAL's snapshot markers
   * (see `Wal.readSnapshotMarkers`), so that the WAL can be opened at it.
   */
  loadNewestAvailable(walSnaps: readonly SnapshotMarker[]): Promise<Snapshot> {
    return this.#loadMatching((s) => walSnaps.some((w) => w.index === s.metadata?.index && w.term === s.metadata.term));
  }

  /** Deletes the oldest snapshot files while more than `max` exist (etcd's --max-snapshots; 0 = keep all). */
  async purge(max: number): Promise<string[]> {
    if (max <= 0) return [];
    const names = (await this.#names()).reverse(); // oldest first
    const removed: string[] = [];
    while (names.length > max) {
      const victim = names.shift()!;
      await fs.rm(join(this.dir, victim), { force: true });
      removed.push(victim);
      this.#logger.info({ path: join(this.dir, victim) }, "purged snapshot file");
    }
    return removed;
  }

  /** Snapshot file names, newest first. */
  async #names(): Promise<string[]> {
    let all: string[];
    try {
      all = await fs.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    // A crash during save leaves only a temporary file: never a snapshot.
    for (const n of all) if (n.endsWith(`${SNAP_SUFFIX}.tmp`)) await fs.rm(join(this.dir, n), { force: true });
    return all.filter((n) => SNAP_NAME.test(n)).sort().reverse();
  }

  async #loadMatching(match: (s: Snapshot) => boolean): Promise<Snapshot> {
    for (const name of await this.#names()) {
      const path = join(this.dir, name);
      let snap: Snapshot;
      try {
        snap = await readSnapFile(path);
      } catch (err) {
        if (!isSnapError(err)) throw err;
        this.#logger.warn({ path, err: err.message }, "snapshot file is damaged; renaming it .broken");
        await fs.rename(path, `${path}.broken`);
        continue;
      }
      if (match(snap)) return snap;
    }
    throw new SnapError("NoSnapshot", "no available snapshot", this.dir);
  }
}

/** Reads and verifies one snapshot file. */
export async function readSnapFile(path: string): Promise<Snapshot> {
  const bytes = await fs.readFile(path);
  if (bytes.length === 0) throw new SnapError("EmptySnapshot", "empty snapshot file", path);
  let file: SnapFile;
  try {
    file = SnapFile.decode(bytes);
  } catch (cause) {
    throw new SnapError("Undecodable", "not a snapshot file", path, cause);
  }
  if (file.data.length === 0 || file.crc === 0) throw new SnapError("EmptySnapshot", "snapshot file without data", path);
  const crc = crc32c(file.data);
  if (crc !== file.crc) throw new SnapError("CrcMismatch", `crc mismatch (stored ${file.crc}, computed ${crc})`, path);
  try {
    return Snapshot.decode(file.data);
  } catch (cause) {
    throw new SnapError("Undecodable", "snapshot payload does not decode", path, cause);
  }
}
