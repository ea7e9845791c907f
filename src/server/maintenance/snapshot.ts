/**
 * Maintenance.Snapshot: a consistent view of the backend written as a bbolt
 * file (src/storage/bbolt) and streamed in etcd's snapshot format — the
 * database bytes in 32 KiB blobs with `remaining_bytes` counting down, then
 * their SHA-256 as a last blob — without stalling writes (etcd's
 * `maintenanceServer.Snapshot`, api/v3rpc/maintenance.go).
 *
 * The writer measures the layout before it writes the first page, and that
 * first page (bbolt's meta page) names the file's size: the first response
 * can count down from the total without a second run of the writer. Memory
 * stays bounded by one blob and the writer's own state whatever the
 * database's size; the bytes are made as the client reads them (the gRPC
 * handler awaits the sink's room before asking for the next response).
 * @module
 */
import { SystemClock, type Clock } from "../../pkg/clock.js";
import { humanBytes } from "../../pkg/human-bytes.js";
import { createHash } from "node:crypto";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { SnapshotResponse } from "../../gen/etcdserverpb/rpc.js";
import { nullLogger, type Logger } from "../../pkg/logger.js";
import type { BucketSource } from "../../storage/bbolt/source.js";
import { boltFileSize, writeBolt } from "../../storage/bbolt/writer.js";
import type { Backend } from "../../storage/backend/index.js";
import { SERVER_VERSION } from "../../version.js";

/** etcd's snapshotSendBufferSize: every blob but the last two is this long. */
export const SNAPSHOT_BLOB_BYTES = 32 * 1024;

/**
 * What etcd 3.6 sends in `version`: the storage version of the database
 * (schema.ReadStorageVersion), which for a member of our version is ours.
 */
export const SNAPSHOT_STORAGE_VERSION = SERVER_VERSION;

/** Longest stretch of generating bytes before other work gets the event loop. */
const MAX_BUSY_MS = 10;

/** How the database file is made from a view: its bytes, and its total size read from the first non-empty chunk. */
export interface SnapshotFormat {
  /** The file's bytes; empty chunks are only a chance to let other work run. */
  write(source: BucketSource): Iterable<Uint8Array>;
  /** The whole file's size, from the first non-empty chunk `write` gives. */
  sizeOf(firstChunk: Uint8Array): number;
}

/** etcd's snapshot file: bbolt (src/storage/bbolt). */
export const BOLT_FORMAT: SnapshotFormat = { write: (source) => writeBolt(source), sizeOf: boltFileSize };

export interface SnapshotDeps {
  backend: Backend;
  logger?: Logger;
  /** The member's clock: how long the stream took, and when to give the event loop back. */
  clock?: Clock;
  /** {@link BOLT_FORMAT} by default (tests give another). */
  format?: SnapshotFormat;
}

/**
 * The snapshot stream. The backend's view is opened on the first pull and
 * closed when the stream ends, fails, is abandoned by its consumer
 * (`return()`), or finds `signal` aborted.
 */
export async function* streamSnapshot(deps: SnapshotDeps, signal: AbortSignal): AsyncGenerator<SnapshotResponse, void, undefined> {
  const log = deps.logger ?? nullLogger;
  const format = deps.format ?? BOLT_FORMAT;
  const clock = deps.clock ?? new SystemClock();
  const pacer = new Pacer(clock);
  const view = await deps.backend.readView();
  try {
    const started = clock.nowMs();
    let total: number | undefined;
    let size = "";
    const sha = createHash("sha256");
    let sent = 0;
    const announce = (firstChunk: Uint8Array): void => {
      total = format.sizeOf(firstChunk);
      size = humanBytes(total);
      log.info({ "total-bytes": total, size, "storage-version": SNAPSHOT_STORAGE_VERSION }, "sending database snapshot to client");
    };
    for (const blob of blobs(format.write(view), SNAPSHOT_BLOB_BYTES, announce)) {
      if (signal.aborted) return;
      if (blob === undefined) {
        // The writer is still measuring: nothing to send yet, but others may run.
        if (pacer.due()) await pacer.pause();
        continue;
      }
      sent += blob.length;
      if (total === undefined || sent > total) break;
      sha.update(blob);
      yield { header: undefined, remainingBytes: BigInt(total - sent), blob, version: SNAPSHOT_STORAGE_VERSION };
      if (signal.aborted) return;
      if (pacer.due()) await pacer.pause();
    }
    if (total === undefined || sent !== total) throw new Error(`snapshot: the database came out as ${sent} bytes, announced as ${total ?? "nothing"}`);

    const digest = sha.digest();
    log.info({ "total-bytes": total, "checksum-size": digest.length }, "sending database sha256 checksum to client");
    yield { header: undefined, remainingBytes: 0n, blob: digest, version: SNAPSHOT_STORAGE_VERSION };
    const took = `${((clock.nowMs() - started) / 1000).toFixed(3)}s`;
    log.info({ "total-bytes": total, size, took, "storage-version": SNAPSHOT_STORAGE_VERSION }, "successfully sent database snapshot to client");
  } finally {
    view.close();
  }
}

/**
 * Re-cuts a byte stream into fresh buffers of `size` bytes (the last one
 * shorter). Each blob is its own buffer: the transport may still hold a
 * blob when the next is made, and the source may reuse its chunks. An empty
 * chunk comes out as `undefined` (a pause, no bytes); `first` sees the first
 * non-empty chunk before any of its bytes are cut.
 */
export function* blobs(chunks: Iterable<Uint8Array>, size: number, first?: (chunk: Uint8Array) => void): Iterable<Buffer | undefined> {
  // allocUnsafeSlow: never a slice of Node's shared pool, so a blob held by the transport pins only itself.
  let blob = Buffer.allocUnsafeSlow(size);
  let filled = 0;
  let seen = false;
  for (const chunk of chunks) {
    if (chunk.length === 0) {
      yield undefined;
      continue;
    }
    if (!seen) {
      seen = true;
      first?.(chunk);
    }
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(size - filled, chunk.length - offset);
      blob.set(chunk.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === size) {
        yield blob;
        blob = Buffer.allocUnsafeSlow(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield blob.subarray(0, filled);
}

/** Gives the event loop back after {@link MAX_BUSY_MS} of uninterrupted work, so that puts are served during a long snapshot. */
class Pacer {
  readonly #clock: Clock;
  #since: number;

  constructor(clock: Clock) {
    this.#clock = clock;
    this.#since = clock.nowMs();
  }

  due(): boolean {
    return this.#clock.nowMs() - this.#since >= MAX_BUSY_MS;
  }

  async pause(): Promise<void> {
    await nextTurn();
    this.#since = this.#clock.nowMs();
  }
}

