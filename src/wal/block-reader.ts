/**
 * Sequential reads of a segment through a large window, so that replaying
 * many small records costs one read per MiB rather than two per record.
 * @module
 */
import { readAt } from "../pkg/fsio.js";

const WINDOW_BYTES = 1 << 20;

export class BlockReader {
  readonly #fd: number;
  readonly size: number;
  #window: Buffer = Buffer.alloc(0);
  #windowStart = 0;

  constructor(fd: number, size: number) {
    this.#fd = fd;
    this.size = size;
  }

  /**
   * Bytes `[pos, pos + len)`, cut short at end of file. The view stays valid
   * until the next call (a new window is a new buffer, so it actually stays
   * valid for as long as it is referenced).
   */
  async view(pos: number, len: number): Promise<Buffer> {
    const end = Math.min(pos + len, this.size);
    if (end <= pos) return this.#window.subarray(0, 0);
    const winEnd = this.#windowStart + this.#window.length;
    if (pos >= this.#windowStart && end <= winEnd) {
      return this.#window.subarray(pos - this.#windowStart, end - this.#windowStart);
    }
    const want = Math.min(Math.max(end - pos, WINDOW_BYTES), this.size - pos);
    const buf = Buffer.allocUnsafe(want);
    const got = await readAt(this.#fd, buf, 0, want, pos);
    this.#window = buf.subarray(0, got);
    this.#windowStart = pos;
    return this.#window.subarray(0, Math.min(end - pos, got));
  }
}
