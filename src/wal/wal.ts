/**
 * The write-ahead log: raft's hard state and entries, appended to segment
 * files and made durable with fdatasync before a save resolves. See
 * README.md for the file format and the durability contract.
 * @module
 */
import fs from "node:fs";
import { dirname, join } from "node:path";
import { HardState } from "../gen/raftpb/raft.js";
import type { Entry } from "../gen/raftpb/raft.js";
import { Snapshot as WalSnapshotCodec } from "../gen/walpb/record.js";
import { SystemClock } from "../pkg/clock.js";
import type { Clock } from "../pkg/clock.js";
import { nullLogger } from "../pkg/logger.js";
import type { Logger } from "../pkg/logger.js";
import { DirLock } from "./dir-lock.js";
import { encodeEntry } from "./entry-codec.js";
import { WalError } from "./errors.js";
import { FilePipeline } from "./file-pipeline.js";
import { closeFile, fdatasync, fsyncDir, ftruncate, openFile, readAt, writeAllAt, zeroFill } from "../pkg/fsio.js";
import { isContiguous, searchIndex, segmentFileName, segmentNames } from "./names.js";
import type { SegmentName } from "./names.js";
import { RecordType, encodeFrames, recordBytes } from "./record.js";
import type { PendingRecord } from "./record.js";
import { readSnapshotMarkers, replay } from "./replay.js";
import type { WalSnapshot } from "./replay.js";
import type { ScanResult } from "./scan.js";

export type { WalSnapshot } from "./replay.js";

export interface WalOptions {
  /** Size a segment is cut at (and preallocated to). Default 64 MiB. */
  segmentBytes?: number;
  /** Write zeros over each segment before use, so appends overwrite allocated blocks. Default true. */
  preallocate?: boolean;
  /** Largest record accepted on write and believed on read. Default 10 MiB, as etcd. */
  maxRecordBytes?: number;
  /** etcd's --unsafe-no-fsync: skip fdatasync (data is lost on power failure). Default false. */
  unsafeNoFsync?: boolean;
  logger?: Logger;
  /** Times fdatasync for {@link WalOptions.onFsync} and the slow-sync warning. */
  clock?: Clock;
  /** Called with the duration of every WAL fdatasync (etcd_disk_wal_fsync_duration_seconds). */
  onFsync?: (seconds: number) => void;
}

export interface OpenResult {
  wal: Wal;
  metadata: Buffer;
  /** The last hard state saved (all zeros when none was). */
  hardState: HardState;
  /** Entries after the snapshot, consecutive from snapshot index + 1. */
  entries: Entry[];
}

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_RECORD_BYTES = 10 * 1024 * 1024;
const SLOW_FSYNC_MS = 1000;

interface ResolvedOptions {
  segmentBytes: number;
  preallocate: boolean;
  maxRecordBytes: number;
  unsafeNoFsync: boolean;
  logger: Logger;
  clock: Clock;
  onFsync: ((seconds: number) => void) | undefined;
}

function resolveOptions(o: WalOptions = {}): ResolvedOptions {
  return {
    segmentBytes: o.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
    preallocate: o.preallocate ?? true,
    maxRecordBytes: o.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
    unsafeNoFsync: o.unsafeNoFsync ?? false,
    logger: o.logger ?? nullLogger,
    clock: o.clock ?? new SystemClock(),
    onFsync: o.onFsync,
  };
}

/** Raft's rule: entries, or a new term or vote, must be on disk before anything is sent. */
export function mustSync(state: HardState, prev: HardState, entryCount: number): boolean {
  return entryCount !== 0 || state.vote !== prev.vote || state.term !== prev.term;
}

export function isEmptyHardState(s: HardState): boolean {
  return s.term === 0n && s.vote === 0n && s.commit === 0n;
}

interface Tail {
  seg: SegmentName;
  fd: number;
  /** Bytes written to the file so far (the next write goes here). */
  offset: number;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

type Op = { kind: "write"; bytes: Buffer; sync: boolean; waiter: Waiter } | { kind: "cut"; next: SegmentName; header: Buffer };

export class Wal {
  readonly dir: string;
  readonly #o: ResolvedOptions;
  readonly #lock: DirLock;
  readonly #pipeline: FilePipeline;
  readonly #metadata: Buffer;
  /** Last non-empty hard state encoded: the mustSync baseline, repeated at the head of each segment. */
  #state: HardState;
  /** Highest entry (or snapshot) index encoded: names the next segment. */
  #lastIndex: bigint;
  /** Running CRC over everything encoded. */
  #crc: number;
  /** The segment new records are encoded into, and its encoded length. */
  #encodeSeg: SegmentName;
  #encodeOffset: number;
  /** Segments still needed, oldest first (releaseLockTo drops the head; purge spares these). */
  #held: SegmentName[];
  /** The segment the writer appends to (lags #encodeSeg while a cut is queued). */
  #tail: Tail;
  readonly #queue: Op[] = [];
  #draining: Promise<void> | undefined;
  #failure: Error | undefined;
  #closed = false;

  private constructor(dir: string, o: ResolvedOptions, lock: DirLock, init: { metadata: Buffer; state: HardState; lastIndex: bigint; crc: number; held: SegmentName[]; tail: Tail }) {
    this.dir = dir;
    this.#o = o;
    this.#lock = lock;
    this.#metadata = init.metadata;
    this.#state = init.state;
    this.#lastIndex = init.lastIndex;
    this.#crc = init.crc;
    this.#held = init.held;
    this.#tail = init.tail;
    this.#encodeSeg = init.tail.seg;
    this.#encodeOffset = init.tail.offset;
    this.#pipeline = new FilePipeline(dir, o.preallocate ? o.segmentBytes : 0);
  }

  /** True when `dir` holds at least one segment. */
  static exists(dir: string): boolean {
    try {
      return segmentNames(fs.readdirSync(dir)).length > 0;
    } catch {
      return false;
    }
  }

  /**
   * Creates a WAL in `dir` (made if missing; must hold no segment) whose
   * segments all carry `metadata`. The first segment appears atomically
   * (written under a temporary name, synced, renamed), so a crash leaves
   * either no WAL or a valid empty one.
   */
  static async create(dir: string, metadata: Buffer, options?: WalOptions): Promise<Wal> {
    const o = resolveOptions(options);
    if (Wal.exists(dir)) throw new WalError("Exists", "a WAL already exists", { file: dir });
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    await fsyncDir(dirname(dir));
    const lock = await DirLock.acquire(dir);
    let fd: number | undefined;
    try {
      await removeTemporaries(dir);
      const seg: SegmentName = { name: segmentFileName(0n, 0n), seq: 0n, index: 0n };
      const tmp = join(dir, `${seg.name}.tmp`);
      fd = await openFile(tmp, "w+");
      if (o.preallocate) await zeroFill(fd, 0, o.segmentBytes);
      const header: PendingRecord[] = [
        { type: RecordType.Crc, data: EMPTY },
        { type: RecordType.Metadata, data: metadata },
        { type: RecordType.Snapshot, data: WalSnapshotCodec.encode({ index: 0n, term: 0n, confState: undefined }).finish() },
      ];
      const { bytes, crc } = encodeFrames(header, 0);
      await writeAllAt(fd, [bytes], 0);
      await fdatasync(fd);
      await fs.promises.rename(tmp, join(dir, seg.name));
      await fsyncDir(dir);
      const tail: Tail = { seg, fd, offset: bytes.length };
      o.logger.info({ dir, segment: seg.name }, "created WAL");
      return new Wal(dir, o, lock, { metadata: Buffer.from(metadata), state: EMPTY_STATE, lastIndex: 0n, crc, held: [seg], tail });
    } catch (err) {
      if (fd !== undefined) await closeFile(fd).catch(() => undefined);
      await lock.release();
      throw err;
    }
  }

  /**
   * Opens the WAL in `dir` at a snapshot marker previously saved (index 0,
   * term 0 for a log without snapshots), reads everything after it, repairs a
   * torn tail, and positions for appending. Fails with a {@link WalError}
   * naming file and offset when a record in the middle is damaged.
   */
  static async open(dir: string, snap: WalSnapshot, options?: WalOptions): Promise<OpenResult> {
    const o = resolveOptions(options);
    const selected = await selectSegments(dir, snap.index);
    const lock = await DirLock.acquire(dir);
    let fd: number | undefined;
    try {
      await removeTemporaries(dir);
      const r = await replay(dir, selected, snap, o.maxRecordBytes);
      fd = await openFile(join(dir, r.scan.last.name), "r+");
      await repairTail(fd, dir, r.scan, o);
      const tail: Tail = { seg: r.scan.last, fd, offset: r.scan.validEnd };
      const state = isEmptyHardState(r.hardState) ? EMPTY_STATE : r.hardState;
      const wal = new Wal(dir, o, lock, { metadata: r.metadata, state, lastIndex: r.lastIndex, crc: r.scan.crc, held: selected, tail });
      o.logger.info({ dir, segments: selected.length, entries: r.entries.length, snapshotIndex: snap.index.toString() }, "opened WAL");
      return { wal, metadata: r.metadata, hardState: r.hardState, entries: r.entries };
    } catch (err) {
      if (fd !== undefined) await closeFile(fd).catch(() => undefined);
      await lock.release();
      throw err;
    }
  }

  /**
   * The snapshot markers in the WAL whose index is committed, oldest first:
   * the server restores from the newest snapshot file matching one of them.
   * Read-only; does not take the lock or repair anything.
   */
  static async readSnapshotMarkers(dir: string, options?: WalOptions): Promise<WalSnapshot[]> {
    const o = resolveOptions(options);
    return readSnapshotMarkers(dir, await selectSegments(dir, 0n, true), o.maxRecordBytes);
  }

  /**
   * Appends `entries` then `hardState` (when given and not empty). Resolves
   * once the records are written and — when `sync` is true — fdatasynced.
   * `sync` defaults to raft's rule ({@link mustSync}). Calls are applied in
   * call order; concurrent calls share one write and one fdatasync.
   */
  save(hardState: HardState | undefined, entries: readonly Entry[], sync?: boolean): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const hasState = hardState !== undefined && !isEmptyHardState(hardState);
    if (!hasState && entries.length === 0) return Promise.resolve();
    let records: PendingRecord[];
    try {
      records = entries.map((e) => ({ type: RecordType.Entry, data: encodeEntry(e) }));
      if (hasState) records.push({ type: RecordType.State, data: HardState.encode(hardState).finish() });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const tooBig = this.#checkSize(records);
    if (tooBig !== undefined) return Promise.reject(tooBig);
    const needSync = sync ?? mustSync(hasState ? hardState : this.#state, this.#state, entries.length);
    if (entries.length > 0) this.#lastIndex = entries[entries.length - 1]!.Index;
    if (hasState) this.#state = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
    const done = this.#append(records, needSync);
    if (this.#encodeOffset >= this.#o.segmentBytes) this.#scheduleCut();
    else if (this.#encodeOffset >= this.#o.segmentBytes / 2) this.#pipeline.warm();
    return done;
  }

  /** Records a snapshot marker (the log may later be opened from it) and syncs. */
  saveSnapshot(snap: WalSnapshot): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const data = WalSnapshotCodec.encode({ index: snap.index, term: snap.term, confState: snap.confState }).finish();
    if (snap.index > this.#lastIndex) this.#lastIndex = snap.index;
    return this.#append([{ type: RecordType.Snapshot, data }], true);
  }

  /** Resolves once everything saved so far is written and fdatasynced. */
  sync(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return this.#enqueue({ bytes: EMPTY, sync: true });
  }

  /**
   * Marks segments holding only entries below `index` as no longer needed,
   * except the newest of them (it may hold entries up to `index`). Call after
   * a snapshot at `index` is durable; {@link purge} may then delete them.
   */
  releaseLockTo(index: bigint): void {
    let keepFrom = this.#held.length - 1;
    for (let i = 0; i < this.#held.length; i++) {
      if (this.#held[i]!.index >= index) {
        keepFrom = i - 1;
        break;
      }
    }
    if (keepFrom > 0) this.#held = this.#held.slice(keepFrom);
  }

  /**
   * Deletes the oldest segment files while more than `maxWals` exist
   * (etcd's --max-wals; 0 = keep all), stopping at the first one still
   * needed. Returns the names removed.
   */
  async purge(maxWals: number): Promise<string[]> {
    if (maxWals <= 0) return [];
    const held = new Set(this.#held.map((s) => s.name));
    const names = segmentNames(await fs.promises.readdir(this.dir));
    const removed: string[] = [];
    while (names.length > maxWals && !held.has(names[0]!.name)) {
      const victim = names.shift()!;
      await fs.promises.rm(join(this.dir, victim.name), { force: true });
      removed.push(victim.name);
      this.#o.logger.info({ path: join(this.dir, victim.name) }, "purged WAL segment");
    }
    return removed;
  }

  /** Names of the segments still needed, oldest first. */
  get segments(): string[] {
    return this.#held.map((s) => s.name);
  }

  /**
   * Waits for pending writes, syncs, and releases the files and the
   * directory lock. Rejects (after releasing) if that last sync fails.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true; // later saves are refused; the sync below is still queued
    let syncFailure: { error: unknown } | undefined;
    if (this.#failure === undefined) await this.sync().catch((error: unknown) => (syncFailure = { error }));
    while (this.#draining !== undefined) await this.#draining;
    this.#failure ??= new WalError("Closed", "the WAL is closed");
    try {
      await closeFile(this.#tail.fd);
      await this.#pipeline.close();
    } finally {
      await this.#lock.release();
    }
    if (syncFailure !== undefined) throw syncFailure.error;
  }

  #checkSize(records: readonly PendingRecord[]): WalError | undefined {
    for (const r of records) {
      // The CRC field takes at most 5 bytes; measure with the largest.
      if (recordBytes(r.type, 0xffffffff, r.data.length) > this.#o.maxRecordBytes) {
        return new WalError("RecordTooLarge", `record of ${r.data.length} bytes is over the limit ${this.#o.maxRecordBytes}`);
      }
    }
    return undefined;
  }

  #append(records: readonly PendingRecord[], sync: boolean): Promise<void> {
    const { bytes, crc } = encodeFrames(records, this.#crc);
    this.#crc = crc;
    this.#encodeOffset += bytes.length;
    return this.#enqueue({ bytes, sync });
  }

  #enqueue(w: { bytes: Buffer; sync: boolean }): Promise<void> {
    if (this.#closed && w.bytes.length > 0) return Promise.reject(new WalError("Closed", "the WAL is closed"));
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ kind: "write", bytes: w.bytes, sync: w.sync, waiter: { resolve, reject } });
      this.#kick();
    });
  }

  #scheduleCut(): void {
    const next: SegmentName = { name: "", seq: this.#encodeSeg.seq + 1n, index: this.#lastIndex + 1n };
    next.name = segmentFileName(next.seq, next.index);
    const header: PendingRecord[] = [
      { type: RecordType.Crc, data: EMPTY },
      { type: RecordType.Metadata, data: this.#metadata },
    ];
    if (!isEmptyHardState(this.#state)) header.push({ type: RecordType.State, data: HardState.encode(this.#state).finish() });
    const { bytes, crc } = encodeFrames(header, this.#crc);
    this.#crc = crc;
    this.#queue.push({ kind: "cut", next, header: bytes });
    this.#encodeSeg = next;
    this.#encodeOffset = bytes.length;
    this.#held.push(next);
    this.#kick();
  }

  #kick(): void {
    if (this.#draining !== undefined || this.#failure !== undefined) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#queue.length > 0) this.#kick();
    });
  }

  /** The single writer: takes queued writes in order, one write + one fdatasync per group. */
  async #drain(): Promise<void> {
    while (this.#queue.length > 0 && this.#failure === undefined) {
      const head = this.#queue[0]!;
      if (head.kind === "cut") {
        this.#queue.shift();
        try {
          await this.#cut(head.next, head.header);
        } catch (err) {
          this.#fail(err, []);
        }
        continue;
      }
      let n = 1;
      while (n < this.#queue.length && this.#queue[n]!.kind === "write") n++;
      const group = this.#queue.splice(0, n) as Extract<Op, { kind: "write" }>[];
      try {
        const buffers = group.map((w) => w.bytes);
        await writeAllAt(this.#tail.fd, buffers, this.#tail.offset);
        this.#tail.offset += buffers.reduce((s, b) => s + b.length, 0);
        if (group.some((w) => w.sync)) await this.#fdatasync(this.#tail.fd);
      } catch (err) {
        this.#fail(err, group);
        return;
      }
      for (const w of group) w.waiter.resolve();
    }
  }

  async #cut(next: SegmentName, header: Buffer): Promise<void> {
    const old = this.#tail;
    // Trim the unused preallocated space, then make the finished segment durable.
    await ftruncate(old.fd, old.offset);
    await this.#fdatasync(old.fd);
    await closeFile(old.fd);
    const file = await this.#pipeline.next();
    this.#tail = { seg: next, fd: file.fd, offset: header.length };
    await writeAllAt(file.fd, [header], 0);
    await this.#fdatasync(file.fd);
    const path = join(this.dir, next.name);
    await fs.promises.rename(file.path, path);
    await fsyncDir(this.dir);
    this.#o.logger.info({ path }, "created a new WAL segment");
  }

  async #fdatasync(fd: number): Promise<void> {
    if (this.#o.unsafeNoFsync) return;
    const start = this.#o.clock.nowMs();
    await fdatasync(fd);
    const tookMs = this.#o.clock.nowMs() - start;
    this.#o.onFsync?.(tookMs / 1000);
    if (tookMs > SLOW_FSYNC_MS) this.#o.logger.warn({ tookMs, expectedMs: SLOW_FSYNC_MS }, "slow fdatasync");
  }

  /** A write failed: nothing after it can be trusted to be on disk, so every later call fails too. */
  #fail(err: unknown, inFlight: readonly Extract<Op, { kind: "write" }>[]): void {
    const cause = err instanceof Error ? err : new Error(String(err));
    this.#failure = new WalError("Closed", `a write failed, the WAL is unusable: ${cause.message}`, { cause });
    this.#o.logger.error({ err: cause }, "WAL write failed");
    for (const w of inFlight) w.waiter.reject(cause);
    for (const op of this.#queue.splice(0)) if (op.kind === "write") op.waiter.reject(this.#failure);
  }
}

const EMPTY = Buffer.alloc(0);
const EMPTY_STATE: HardState = { term: 0n, vote: 0n, commit: 0n };

/** The segments to read for a snapshot at `index`: from the one covering it to the newest. */
async function selectSegments(dir: string, index: bigint, all = false): Promise<SegmentName[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch (cause) {
    throw new WalError("FileNotFound", "cannot read the WAL directory", { file: dir, cause });
  }
  const segments = segmentNames(names);
  if (segments.length === 0) throw new WalError("FileNotFound", "no segment files", { file: dir });
  const from = all ? 0 : searchIndex(segments, index);
  if (from < 0) throw new WalError("FileNotFound", `no segment covers index ${index}`, { file: dir });
  const selected = segments.slice(from);
  if (!isContiguous(selected)) throw new WalError("FileNotFound", "segment sequence numbers have a hole", { file: dir });
  return selected;
}

/** Leftovers of an interrupted create or cut: never part of the log. */
async function removeTemporaries(dir: string): Promise<void> {
  for (const name of await fs.promises.readdir(dir)) {
    if (name.endsWith(".tmp")) await fs.promises.rm(join(dir, name), { force: true });
  }
}

/**
 * Makes the last segment end exactly at the last valid record: bytes after
 * it (a torn record, or pieces of an unsynced write) are copied to
 * `<segment>.broken` for inspection and zeroed, so later appends can never
 * be followed by stale data. Restores preallocation if the file is short.
 */
async function repairTail(fd: number, dir: string, scan: ScanResult, o: ResolvedOptions): Promise<void> {
  const path = join(dir, scan.last.name);
  const dirtyEnd = scan.dirtyEnd;
  if (dirtyEnd > scan.validEnd) {
    const junk = Buffer.alloc(dirtyEnd - scan.validEnd);
    await readAt(fd, junk, 0, junk.length, scan.validEnd);
    await fs.promises.writeFile(`${path}.broken`, junk, { mode: 0o600 });
    await zeroFill(fd, scan.validEnd, dirtyEnd);
    await fdatasync(fd);
  }
  if (scan.torn !== undefined || dirtyEnd > scan.validEnd) {
    o.logger.warn(
      { path, offset: scan.validEnd, discardedBytes: dirtyEnd - scan.validEnd, reason: scan.torn?.reason ?? "unsynced bytes after the end of the log" },
      "repaired the torn tail of the WAL",
    );
  }
  if (o.preallocate && scan.size < o.segmentBytes) {
    await zeroFill(fd, scan.size, o.segmentBytes);
    await fdatasync(fd);
  }
}
