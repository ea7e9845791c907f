/**
 * Framing of raft messages on a peer stream: each frame is a 4-byte
 * big-endian length followed by that many bytes of an encoded
 * `raftpb.Message`. A zero-length frame is a keep-alive and carries nothing.
 * The decoder is a push parser (feed it chunks, it hands back whole frames)
 * with no socket and no timer, so it is tested chunk by chunk.
 * @module
 */
import { Message } from "../../gen/raftpb/raft.js";

export const FRAME_HEADER_BYTES = 4;

/** A frame header announced more bytes than the receiver accepts. */
export class FrameTooLargeError extends Error {
  override readonly name = "FrameTooLargeError";
  constructor(readonly length: number, readonly limit: number) {
    super(`transport: frame of ${length} bytes exceeds the limit of ${limit}`);
  }
}

/** Encodes one message body (the protobuf bytes, without the header). */
export function encodeMessageBody(m: Message): Buffer {
  const bytes = Message.encode(m).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Concatenates already-encoded bodies into one buffer of frames (one write on the wire). */
export function frameBodies(bodies: readonly Buffer[]): Buffer {
  let total = 0;
  for (const b of bodies) total += FRAME_HEADER_BYTES + b.length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const b of bodies) {
    out.writeUInt32BE(b.length, at);
    at += FRAME_HEADER_BYTES;
    b.copy(out, at);
    at += b.length;
  }
  return out;
}

/** One frame holding `m`. */
export function encodeFrame(m: Message): Buffer {
  return frameBodies([encodeMessageBody(m)]);
}

/** The keep-alive frame: a zero length and no body. */
export const KEEPALIVE_FRAME: Buffer = Buffer.alloc(FRAME_HEADER_BYTES);

/**
 * Reassembles frames from arbitrary chunks. Memory held is at most one
 * partial frame (bounded by `maxFrameBytes`) plus the current chunk.
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Length of the frame being assembled, or -1 while its header is incomplete. */
  #need = -1;
  #completed = 0;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Frames completed so far, keep-alives included (progress, for a stall timer). */
  get completed(): number {
    return this.#completed;
  }

  /**
   * Feeds a chunk; returns the bodies of the frames it completed, in order.
   * Keep-alive frames are consumed and not returned. Throws
   * {@link FrameTooLargeError} on an oversized header (the stream is then unusable).
   */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (chunk.length === 0) return out;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#need < 0) {
        if (this.#buffered < FRAME_HEADER_BYTES) break;
        const length = this.#take(FRAME_HEADER_BYTES).readUInt32BE(0);
        if (length > this.#maxFrameBytes) throw new FrameTooLargeError(length, this.#maxFrameBytes);
        this.#need = length;
      }
      if (this.#buffered < this.#need) break;
      const body = this.#take(this.#need);
      this.#need = -1;
      this.#completed++;
      if (body.length > 0) out.push(body);
    }
    return out;
  }

  /** Removes and returns the first n buffered bytes (n ≤ buffered). */
  #take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.#chunks[0]!;
    let result: Buffer;
    if (first.length >= n) {
      // Common case: the bytes are in one chunk; share its memory.
      result = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      result = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const c = this.#chunks[0]!;
        const k = Math.min(c.length, n - at);
        c.copy(result, at, 0, k);
        at += k;
        if (k === c.length) this.#chunks.shift();
        else this.#chunks[0] = c.subarray(k);
      }
    }
    this.#buffered -= n;
    return result;
  }
}
