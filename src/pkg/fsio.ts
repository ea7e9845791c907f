/**
 * The few file operations the WAL and the snapshotter need, as promises over
 * node's callback API (cheaper than FileHandle): every call runs on libuv's
 * thread pool, so an fsync never blocks the event loop. Here rather than in
 * src/wal so that src/snap, a sibling of the WAL, can share them.
 * @module
 */
import fs from "node:fs";
import { dirname } from "node:path";

export function openFile(path: string, flags: string, mode = 0o600): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, flags, mode, (err, fd) => (err ? reject(err) : resolve(fd))));
}

export function closeFile(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())));
}

export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

export function fsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
}

export function ftruncate(fd: number, length: number): Promise<void> {
  return new Promise((resolve, reject) => fs.ftruncate(fd, length, (err) => (err ? reject(err) : resolve())));
}

export function fileSize(fd: number): Promise<number> {
  return new Promise((resolve, reject) => fs.fstat(fd, (err, st) => (err ? reject(err) : resolve(st.size))));
}

/** Reads up to `length` bytes at `position` into `buf[offset…]`; fewer only at end of file. */
export async function readAt(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const n = await new Promise<number>((resolve, reject) =>
      fs.read(fd, buf, offset + done, length - done, position + done, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead))),
    );
    if (n === 0) break;
    done += n;
  }
  return done;
}

const IOV_MAX = 1024;

/** Writes every buffer, in order, starting at `position` (retrying short writes). */
export async function writeAllAt(fd: number, buffers: readonly Buffer[], position: number): Promise<void> {
  let pending = buffers.filter((b) => b.length > 0);
  let pos = position;
  while (pending.length > 0) {
    const batch = pending.slice(0, IOV_MAX);
    const want = batch.reduce((n, b) => n + b.length, 0);
    const wrote = await new Promise<number>((resolve, reject) =>
      fs.writev(fd, batch, pos, (err, n) => (err ? reject(err) : resolve(n))),
    );
    pos += wrote;
    if (wrote === want) {
      pending = pending.slice(batch.length);
      continue;
    }
    // Short write (rare for regular files): drop what went out and go on.
    let skip = wrote;
    const rest: Buffer[] = [];
    for (const b of pending) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    pending = rest;
  }
}

const ZERO_CHUNK_BYTES = 1 << 20;
let zeroChunk: Buffer | undefined;

function zeros(): Buffer {
  zeroChunk ??= Buffer.alloc(ZERO_CHUNK_BYTES);
  return zeroChunk;
}

/**
 * Writes zeros over `[from, to)`: real blocks, so later overwrites need no
 * allocation. With `syncEveryBytes`, each piece of that size is flushed before
 * the next is written, so a background fill never queues tens of MiB in
 * front of the log's own fdatasyncs.
 */
export async function zeroFill(fd: number, from: number, to: number, syncEveryBytes = 0): Promise<void> {
  const z = syncEveryBytes > 0 ? zeros().subarray(0, Math.min(syncEveryBytes, ZERO_CHUNK_BYTES)) : zeros();
  for (let pos = from; pos < to; pos += z.length) {
    const n = Math.min(z.length, to - pos);
    await writeAllAt(fd, [n === z.length ? z : z.subarray(0, n)], pos);
    if (syncEveryBytes > 0) await fdatasync(fd);
  }
}

/** Offset just past the last non-zero byte in `[from, to)`, or `from` when all are zero. */
export async function endOfNonZero(fd: number, from: number, to: number): Promise<number> {
  const buf = Buffer.allocUnsafe(ZERO_CHUNK_BYTES);
  const z = zeros();
  let end = from;
  for (let pos = from; pos < to; pos += buf.length) {
    const n = await readAt(fd, buf, 0, Math.min(buf.length, to - pos), pos);
    if (n === 0) break;
    if (z.compare(buf, 0, n, 0, n) === 0) continue;
    let last = n - 1;
    while (buf[last] === 0) last--;
    end = pos + last + 1;
  }
  return end;
}

/** Makes a rename or unlink in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  await fsyncPath(dir);
}

/** fsync of the file (or directory) at `path`, opened read-only for it: what a file written by someone else needs to be durable. */
export async function fsyncPath(path: string): Promise<void> {
  const fd = await openFile(path, "r");
  try {
    await fsync(fd);
  } finally {
    await closeFile(fd);
  }
}

/**
 * Writes `data` to `path` atomically and durably: a temporary file in the
 * same directory, fsync, rename over `path`, fsync of the directory. A crash
 * leaves either the old file or the new one, never a partial one.
 */
export async function writeFileAtomic(path: string, data: Uint8Array, tmpSuffix = ".tmp"): Promise<void> {
  const tmp = `${path}${tmpSuffix}`;
  const fd = await openFile(tmp, "w", 0o600);
  try {
    await writeAllAt(fd, [Buffer.from(data.buffer, data.byteOffset, data.byteLength)], 0);
    await fsync(fd);
  } finally {
    await closeFile(fd);
  }
  await fs.promises.rename(tmp, path);
  await fsyncDir(dirname(path));
}
