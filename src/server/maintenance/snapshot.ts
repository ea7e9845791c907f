/**
 * Maintenance.Snapshot: a consistent view of the backend written as a bbolt
 * file (src/storage/bbolt) and streamed in etcd's snapshot format — the
 * database bytes in 32 KiB blobs with `remaining_bytes` counting down, then
 * their SHA-256 as a last blob — without stalling writes (etcd's
 * `maintenanceServer.Snapshot`, api/v3rpc/maintenance.go).
 *
 * The file is generated twice from the same view: once to learn its size,
 * which the first response must already count down from, then to send it.
 * Nothing is kept between the passes, so memory stays bounded by one blob
 * and the writer's own state whatever the database's size; the bytes are
 * made as the client reads them (the gRPC handler awaits the sink's room
 * before asking for the next response).
 * @module
 */
import { createHash } from "node:crypto";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { SnapshotResponse } from "../../gen/etcdserverpb/rpc.js";
import { nullLogger, type Logger } from "../../pkg/logger.js";
import type { BucketSource } from "../../storage/bbolt/source.js";
import { writeBolt } from "../../storage/bbolt/writer.js";
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

export interface SnapshotDeps {
  backend: Backend;
  logger?: Logger;
  /** The database file's bytes from a view; bbolt's format by default (tests give another). */
  format?: (source: BucketSource) => Iterable<Uint8Array>;
}

/**
 * The snapshot stream. The backend's view is opened on the first pull and
 * closed when the stream ends, fails, is abandoned by its consumer
 * (`return()`), or finds `signal` aborted.
 */
export async function* streamSnapshot(deps: SnapshotDeps, signal: AbortSignal): AsyncGenerator<SnapshotResponse, void, undefined> {
  const log = deps.logger ?? nullLogger;
  const format = deps.format ?? ((source: BucketSource) => writeBolt(source));
  const pacer = new Pacer();
  const view = await deps.backend.readView();
  try {
    let total = 0;
    for (const chunk of format(view)) {
      total += chunk.length;
      if (pacer.due()) await pacer.pause();
      if (signal.aborted) return;
    }
    const size = humanBytes(total);
    const started = performance.now();
    log.info({ "total-bytes": total, size, "storage-version": SNAPSHOT_STORAGE_VERSION }, "sending database snapshot to client");

    const sha = createHash("sha256");
    let sent = 0;
    for (const blob of blobs(format(view), SNAPSHOT_BLOB_BYTES)) {
      sent += blob.length;
      if (sent > total) break;
      sha.update(blob);
      yield { header: undefined, remainingBytes: BigInt(total - sent), blob, version: SNAPSHOT_STORAGE_VERSION };
      if (signal.aborted) return;
      if (pacer.due()) await pacer.pause();
    }
    if (sent !== total) throw new Error(`snapshot: the database came out as ${sent} bytes after measuring ${total}`);

    const digest = sha.digest();
    log.info({ "total-bytes": total, "checksum-size": digest.length }, "sending database sha256 checksum to client");
    yield { header: undefined, remainingBytes: 0n, blob: digest, version: SNAPSHOT_STORAGE_VERSION };
    const took = `${((performance.now() - started) / 1000).toFixed(3)}s`;
    log.info({ "total-bytes": total, size, took, "storage-version": SNAPSHOT_STORAGE_VERSION }, "successfully sent database snapshot to client");
  } finally {
    view.close();
  }
}

/**
 * Re-cuts a byte stream into fresh buffers of `size` bytes (the last one
 * shorter). Each blob is its own buffer: the transport may still hold a
 * blob when the next is made, and the source may reuse its chunks.
 */
export function* blobs(chunks: Iterable<Uint8Array>, size: number): Iterable<Buffer> {
  // allocUnsafeSlow: never a slice of Node's shared pool, so a blob held by the transport pins only itself.
  let blob = Buffer.allocUnsafeSlow(size);
  let filled = 0;
  for (const chunk of chunks) {
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
  #since = performance.now();

  due(): boolean {
    return performance.now() - this.#since >= MAX_BUSY_MS;
  }

  async pause(): Promise<void> {
    await nextTurn();
    this.#since = performance.now();
  }
}

const SI_UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB"] as const;

/** A byte count as etcd logs it (go-humanize's `Bytes`: SI units, "33 MB", "4.1 kB"). */
export function humanBytes(bytes: number): string {
  if (bytes < 10) return `${bytes} B`;
  const e = Math.min(Math.floor(Math.log(bytes) / Math.log(1000)), SI_UNITS.length - 1);
  const value = Math.floor((bytes / 1000 ** e) * 10 + 0.5) / 10;
  return `${value < 10 ? value.toFixed(1) : roundHalfEven(value)} ${SI_UNITS[e]}`;
}

/** Go's `%.0f`: a half rounds to the even neighbour (20.5 → 20). */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}
