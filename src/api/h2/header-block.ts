/**
 * A request header block that arrives in pieces (HEADERS, then
 * CONTINUATION frames), collected until END_HEADERS. Fragments are copied:
 * a view would pin the whole socket chunk it came in. The block is bounded
 * by bytes, counting each frame's 9-byte header so that empty CONTINUATION
 * frames use up the budget too, and by frame count.
 * @module
 */
import { FRAME_HEADER_LENGTH } from "./frames.js";

/** More frames than this for one header block is a flood, not a request (a 1 MiB block needs 65). */
export const MAX_HEADER_BLOCK_FRAMES = 256;

export class PendingHeaderBlock {
  readonly streamId: number;
  readonly endStream: boolean;
  /** The HEADERS frame's priority made the stream depend on itself (a stream error once decoded). */
  readonly selfDependent: boolean;
  readonly #maxBytes: number;
  #buf: Buffer;
  #length = 0;
  /** Bytes counted against the limit: fragments plus frame headers. */
  #counted = 0;
  #frames = 0;

  /** Starts a block; its HEADERS fragment goes in with {@link add} like the rest. */
  constructor(streamId: number, endStream: boolean, selfDependent: boolean, maxBytes: number) {
    this.streamId = streamId;
    this.endStream = endStream;
    this.selfDependent = selfDependent;
    this.#maxBytes = maxBytes;
    this.#buf = Buffer.allocUnsafe(4096);
  }

  /** Appends a fragment; false when the block is now over its byte or frame limit. */
  add(fragment: Buffer): boolean {
    this.#frames++;
    this.#counted += FRAME_HEADER_LENGTH + fragment.length;
    if (this.#counted > this.#maxBytes || this.#frames > MAX_HEADER_BLOCK_FRAMES) return false;
    if (this.#length + fragment.length > this.#buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.#maxBytes, Math.max(this.#buf.length * 2, this.#length + fragment.length)));
      this.#buf.copy(grown, 0, 0, this.#length);
      this.#buf = grown;
    }
    fragment.copy(this.#buf, this.#length);
    this.#length += fragment.length;
    return true;
  }

  /** The whole block. */
  block(): Buffer {
    return this.#buf.subarray(0, this.#length);
  }
}
