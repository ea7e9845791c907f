/**
 * Receiving one MsgSnap (`POST /raft/snapshot`): the message frame, then the
 * backend bytes, written to a temp file as they arrive (the request is read
 * only as fast as the disk takes it, so memory stays bounded), checked
 * against the announced size and the sha-256 trailer, fsynced, and handed to
 * the server. The sender learns the outcome from the answer: 204 or an error.
 *
 * Against a hostile sender: only a known member passes the identity check;
 * one transfer per sender at a time; the announced size must be at most
 * `maxSnapshotBytes` and fit in the free space of the snapshot directory
 * (refused before a byte is written); a byte past the announced size ends
 * the transfer; a transfer that stalls for `stallTimeoutMs` is cut; and
 * whatever fails, the temp file is removed.
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import { open, rm, statfs } from "node:fs/promises";
import * as http2 from "node:http2";
import { join } from "node:path";
import { Message, MessageType } from "../../gen/raftpb/raft.js";
import { FRAME_HEADER_BYTES } from "./frame-codec.js";
import { idToHex } from "./identity.js";
import { HEADER_SNAPSHOT_SIZE, TRAILER_SNAPSHOT_SHA256 } from "./snapshot-sender.js";
import { admitPeer, refuse, type ReceiverContext } from "./stream-receiver.js";

export interface SnapshotReceiverContext extends ReceiverContext {
  readonly snapshotDir: string;
  readonly stallTimeoutMs: number;
  /** Largest announced size accepted. */
  readonly maxSnapshotBytes: number;
  onSnapshotReceived(m: Message, dbPath: string, size: number): Promise<void>;
  /** Senders with a transfer in progress (one at a time per sender). */
  readonly inProgress: Set<bigint>;
}

class ReceiveError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function receiveSnapshot(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, ctx: SnapshotReceiverContext): Promise<void> {
  const admitted = admitPeer(stream, headers, ctx, "snapshot");
  if (admitted === undefined) return;
  const { from, local, answerHeaders } = admitted;
  const fromHex = idToHex(from);
  const sizeText = headers[HEADER_SNAPSHOT_SIZE];
  const size = typeof sizeText === "string" && /^\d+$/.test(sizeText) ? Number(sizeText) : NaN;
  if (!Number.isSafeInteger(size)) {
    refuse(stream, 400, `missing or bad ${HEADER_SNAPSHOT_SIZE} header`, answerHeaders);
    return;
  }
  if (size > ctx.maxSnapshotBytes) {
    ctx.remoteWarnings.warn({ "remote-peer-id": fromHex, "size-bytes": size, limit: ctx.maxSnapshotBytes }, "refused a database snapshot larger than the limit");
    refuse(stream, 413, `snapshot of ${size} bytes exceeds the limit of ${ctx.maxSnapshotBytes}`, answerHeaders);
    return;
  }
  if (ctx.inProgress.has(from)) {
    refuse(stream, 503, `a snapshot from member ${fromHex} is already being received`, answerHeaders);
    return;
  }
  ctx.inProgress.add(from);
  ctx.holdConnection(stream);
  let trailerSha: string | undefined;
  stream.on("trailers", (t: http2.IncomingHttpHeaders) => {
    const v = t[TRAILER_SNAPSHOT_SHA256];
    trailerSha = Array.isArray(v) ? v[0] : v;
  });
  stream.setTimeout(ctx.stallTimeoutMs, () => {
    ctx.remoteWarnings.warn({ "remote-peer-id": fromHex, "timeout-ms": ctx.stallTimeoutMs }, "cut a stalled database snapshot transfer");
    stream.close(http2.constants.NGHTTP2_CANCEL);
  });
  const started = ctx.clock.nowMs();
  let path: string | undefined;
  let handedOver = false;
  try {
    const free = await freeBytes(ctx.snapshotDir);
    if (size > free) throw new ReceiveError(507, `snapshot of ${size} bytes does not fit in the ${free} bytes free in the snapshot directory`);
    const { m, rest, chunks } = await readMessageFrame(stream, ctx.maxFrameBytes);
    if (m.type !== MessageType.MsgSnap || m.snapshot === undefined) throw new ReceiveError(400, "the first frame is not a MsgSnap");
    if (m.to !== local.memberId || m.from !== from) throw new ReceiveError(400, "the MsgSnap's sender or recipient does not match the request");
    const index = m.snapshot.metadata?.index ?? 0n;
    ctx.logger.info({ "remote-peer-id": fromHex, "snapshot-index": index.toString(), "size-bytes": size }, "receiving database snapshot");
    path = join(ctx.snapshotDir, `.receiving-${fromHex}-${index.toString(16)}-${randomBytes(4).toString("hex")}.snap.db`);
    const file = await open(path, "wx", 0o600);
    const hash = createHash("sha256");
    let received = 0;
    try {
      const write = async (chunk: Buffer): Promise<void> => {
        received += chunk.length;
        if (received > size) throw new ReceiveError(400, `more than the announced ${size} bytes`);
        hash.update(chunk);
        await file.write(chunk);
      };
      if (rest.length > 0) await write(rest);
      // Pulled one chunk at a time (not for-await, which would reset the
      // stream on an early exit before we could answer with the reason).
      for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) {
        ctx.metrics.receivedBytes(fromHex, next.value.length);
        await write(next.value);
      }
      if (received !== size) throw new ReceiveError(400, `received ${received} of ${size} bytes`);
      if (trailerSha !== hash.digest("hex")) throw new ReceiveError(400, "snapshot checksum mismatch");
      // The body is all here: fsync and installing may take long, and the sender waits for the answer.
      stream.setTimeout(0);
      await file.sync();
    } finally {
      await file.close();
    }
    handedOver = true;
    await ctx.onSnapshotReceived(m, path, size);
    ctx.logger.info(
      { "remote-peer-id": fromHex, "snapshot-index": index.toString(), "size-bytes": size, "took-ms": Math.round(ctx.clock.nowMs() - started) },
      "received and saved database snapshot",
    );
    if (!stream.destroyed) {
      stream.respond({ ":status": 204, ...answerHeaders }, { endStream: true });
    }
  } catch (err) {
    const status = err instanceof ReceiveError ? err.status : 500;
    const message = err instanceof Error ? err.message : String(err);
    ctx.remoteWarnings.warn({ "remote-peer-id": fromHex, error: message, "handed-over": handedOver }, "failed to receive database snapshot");
    if (path !== undefined) await rm(path, { force: true });
    refuse(stream, status, `snapshot not accepted: ${message}`, answerHeaders);
  } finally {
    ctx.inProgress.delete(from);
  }
}

/** Bytes an unprivileged process may still write on the file system holding `dir`. */
async function freeBytes(dir: string): Promise<number> {
  const fs = await statfs(dir);
  return fs.bavail * fs.bsize;
}

/**
 * Reads the leading frame (bounded by `maxFrameBytes`) and returns the
 * decoded message, the bytes of the body already read past it, and the
 * iterator for the rest.
 */
async function readMessageFrame(
  stream: http2.ServerHttp2Stream,
  maxFrameBytes: number,
): Promise<{ m: Message; rest: Buffer; chunks: AsyncIterator<Buffer> }> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const parts: Buffer[] = [];
  let have = 0;
  let need = -1;
  for (;;) {
    if (need < 0 && have >= FRAME_HEADER_BYTES) {
      need = Buffer.concat(parts).readUInt32BE(0);
      if (need > maxFrameBytes) throw new ReceiveError(413, `snapshot message of ${need} bytes exceeds ${maxFrameBytes}`);
    }
    if (need >= 0 && have >= FRAME_HEADER_BYTES + need) break;
    const next = await iterator.next();
    if (next.done === true) throw new ReceiveError(400, "the request ended inside the snapshot message");
    parts.push(next.value);
    have += next.value.length;
  }
  const all = Buffer.concat(parts);
  const m = Message.decode(all.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + need));
  const rest = all.subarray(FRAME_HEADER_BYTES + need);
  return { m, rest, chunks: iterator };
}
