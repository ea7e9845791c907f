/**
 * etcd 3.4's clients (etcdctl with `--endpoints http://…`, `--cluster`)
 * send the endpoint URL itself as the HTTP/2 `:authority`
 * ("http://127.0.0.1:2379"). Go's gRPC server lets that through; Node's
 * HTTP/2 (nghttp2) refuses the stream as a protocol error, because "/" is
 * not valid in an authority. For such connections the client's header
 * blocks are rewritten on the way in: the value keeps its length ("://"
 * becomes ".--") so both HPACK dynamic tables stay in step, and everything
 * else passes through untouched. Connections that send a valid authority —
 * every other client — are not touched at all.
 * @module
 */
import { encodeInt as writeInt } from "./hpack.js";
import { huffmanDecode } from "./huffman.js";

const FRAME_HEADER = 9;
const TYPE_HEADERS = 0x1;
const TYPE_CONTINUATION = 0x9;
const TYPE_SETTINGS = 0x4;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;
/** Static table index of `:authority`. */
const AUTHORITY_INDEX = 1;

// ---- integers and strings -----------------------------------------------------

interface Int {
  value: number;
  next: number;
}

function readInt(buf: Buffer, pos: number, prefixBits: number): Int {
  const max = (1 << prefixBits) - 1;
  let value = buf[pos]! & max;
  pos++;
  if (value < max) return { value, next: pos };
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error("hpack: truncated integer");
    const b = buf[pos++]!;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return { value, next: pos };
  }
}

interface Str {
  value: Buffer;
  raw: Buffer;
  next: number;
}

function readString(buf: Buffer, pos: number): Str {
  const huffman = (buf[pos]! & 0x80) !== 0;
  const len = readInt(buf, pos, 7);
  const end = len.next + len.value;
  if (end > buf.length) throw new Error("hpack: truncated string");
  const raw = buf.subarray(pos, end);
  const bytes = buf.subarray(len.next, end);
  return { value: huffman ? huffmanDecode(bytes) : Buffer.from(bytes), raw, next: end };
}

/** Whether an authority value is one Node's HTTP/2 accepts (RFC 3986 authority characters). */
export function isValidAuthority(value: Buffer): boolean {
  for (const c of value) {
    const ok =
      (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
      "-._~!$&'()*+,;=:%@[]".includes(String.fromCharCode(c));
    if (!ok) return false;
  }
  return true;
}

/** A same-length valid authority: "http://h:p" → "http.--h:p"; other invalid characters → "-". */
export function fixAuthority(value: Buffer): Buffer {
  const text = value.toString("latin1").replace("://", ".--");
  const out = Buffer.from(text, "latin1");
  for (let i = 0; i < out.length; i++) if (!isValidAuthority(out.subarray(i, i + 1))) out[i] = 0x2d;
  return out;
}

/**
 * Rewrites the invalid `:authority` literals of one HPACK header block.
 * Returns the block unchanged (same Buffer) when nothing needed fixing.
 */
export function rewriteHeaderBlock(block: Buffer): Buffer {
  const out: number[] = [];
  let changed = false;
  let pos = 0;
  while (pos < block.length) {
    const first = block[pos]!;
    const start = pos;
    if (first & 0x80) {
      pos = readInt(block, pos, 7).next; // indexed field
    } else if ((first & 0xe0) === 0x20) {
      pos = readInt(block, pos, 5).next; // dynamic table size update
    } else {
      const prefix = (first & 0xc0) === 0x40 ? 6 : 4; // with incremental indexing, else without / never indexed
      const flags = first & (prefix === 6 ? 0xc0 : 0xf0);
      const index = readInt(block, pos, prefix);
      pos = index.next;
      let isAuthority = index.value === AUTHORITY_INDEX;
      let nameRaw: Buffer | undefined;
      if (index.value === 0) {
        const name = readString(block, pos);
        nameRaw = name.raw;
        isAuthority = name.value.toString("latin1") === ":authority";
        pos = name.next;
      }
      const value = readString(block, pos);
      pos = value.next;
      if (isAuthority && !isValidAuthority(value.value)) {
        const fixed = fixAuthority(value.value);
        writeInt(out, flags, prefix, index.value);
        if (nameRaw !== undefined) out.push(...nameRaw);
        writeInt(out, 0x00, 7, fixed.length); // a plain (not Huffman) string of the same length
        out.push(...fixed);
        changed = true;
        continue;
      }
    }
    for (let i = start; i < pos; i++) out.push(block[i]!);
  }
  return changed ? Buffer.from(out) : block;
}

/**
 * Rewrites the frames a client sends, chunk by chunk: whole frames out,
 * partial ones kept until complete; header blocks (HEADERS + CONTINUATION)
 * are rewritten as one HEADERS frame. Starts after the connection preface.
 */
export class AuthorityRewriter {
  #pending: Buffer = Buffer.alloc(0);
  /** SETTINGS ACKs still to drop (answers to SETTINGS the listener sent itself). */
  #acksToDrop: number;

  constructor(acksToDrop = 0) {
    this.#acksToDrop = acksToDrop;
  }
  /** A header block being collected: the HEADERS frame's stream, flags, priority bytes and fragments. */
  #block: { stream: number; flags: number; priority: Buffer; fragments: Buffer[] } | undefined;

  push(chunk: Buffer): Buffer[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const out: Buffer[] = [];
    let pos = 0;
    while (this.#pending.length - pos >= FRAME_HEADER) {
      const length = this.#pending.readUIntBE(pos, 3);
      if (this.#pending.length - pos < FRAME_HEADER + length) break;
      const frame = this.#pending.subarray(pos, pos + FRAME_HEADER + length);
      pos += FRAME_HEADER + length;
      const emitted = this.#frame(frame);
      if (emitted !== undefined) out.push(emitted);
    }
    this.#pending = this.#pending.subarray(pos);
    return out;
  }

  #frame(frame: Buffer): Buffer | undefined {
    const type = frame[3]!;
    const flags = frame[4]!;
    const stream = frame.readUInt32BE(5) & 0x7fffffff;
    if (type === TYPE_SETTINGS && flags & FLAG_ACK && this.#acksToDrop > 0) {
      this.#acksToDrop--;
      return undefined;
    }
    if (type === TYPE_HEADERS) {
      let p = FRAME_HEADER;
      let padLength = 0;
      if (flags & FLAG_PADDED) padLength = frame[p++]!;
      const priority = flags & FLAG_PRIORITY ? frame.subarray(p, p + 5) : Buffer.alloc(0);
      p += priority.length;
      this.#block = { stream, flags, priority: Buffer.from(priority), fragments: [Buffer.from(frame.subarray(p, frame.length - padLength))] };
    } else if (type === TYPE_CONTINUATION && this.#block !== undefined) {
      this.#block.fragments.push(Buffer.from(frame.subarray(FRAME_HEADER)));
    } else {
      return frame;
    }
    if ((flags & FLAG_END_HEADERS) === 0) return undefined;
    const block = this.#block;
    this.#block = undefined;
    const headerBlock = rewriteHeaderBlock(Buffer.concat(block.fragments));
    const payload = Buffer.concat([block.priority, headerBlock]);
    const out = Buffer.alloc(FRAME_HEADER + payload.length);
    out.writeUIntBE(payload.length, 0, 3);
    out[3] = TYPE_HEADERS;
    out[4] = (block.flags & ~FLAG_PADDED) | FLAG_END_HEADERS;
    out.writeUInt32BE(block.stream, 5);
    payload.copy(out, FRAME_HEADER);
    return out;
  }
}

/** An empty SETTINGS frame: what the listener answers the client's preface with while it looks. */
export const EMPTY_SETTINGS = Buffer.from([0, 0, 0, TYPE_SETTINGS, 0, 0, 0, 0, 0]);

export interface FirstLook {
  /** "fix": the first header block has an invalid authority; "native": it does not; "more": not decided yet. */
  verdict: "fix" | "native" | "more";
  /** The bytes seen so far with the first SETTINGS ACK removed (when `ackSeen`). */
  frames: Buffer;
  /** Whether the client acknowledged the listener's SETTINGS. */
  ackSeen: boolean;
}

/**
 * Looks at the frames a client sent after the preface, before the
 * connection is handed to Node's HTTP/2: finds the client's acknowledgement
 * of the listener's own SETTINGS (which must not reach nghttp2, it never
 * sent them) and the first header block.
 */
export function firstLook(afterPreface: Buffer): FirstLook {
  let pos = 0;
  const fragments: Buffer[] = [];
  let ack: { start: number; end: number } | undefined;
  let verdict: FirstLook["verdict"] = "more";
  while (afterPreface.length - pos >= FRAME_HEADER && verdict === "more") {
    const length = afterPreface.readUIntBE(pos, 3);
    const end = pos + FRAME_HEADER + length;
    if (afterPreface.length < end) break;
    const type = afterPreface[pos + 3]!;
    const flags = afterPreface[pos + 4]!;
    if (type === TYPE_SETTINGS && flags & FLAG_ACK && ack === undefined) {
      ack = { start: pos, end };
    } else if (type === TYPE_HEADERS || (type === TYPE_CONTINUATION && fragments.length > 0)) {
      let p = pos + FRAME_HEADER;
      let stop = end;
      if (type === TYPE_HEADERS) {
        if (flags & FLAG_PADDED) stop -= afterPreface[p++]!;
        if (flags & FLAG_PRIORITY) p += 5;
      }
      fragments.push(afterPreface.subarray(p, stop));
      if (flags & FLAG_END_HEADERS) {
        try {
          const block = Buffer.concat(fragments);
          verdict = rewriteHeaderBlock(block) === block ? "native" : "fix";
        } catch {
          verdict = "native"; // let nghttp2 judge what we cannot parse
        }
      }
    }
    pos = end;
  }
  if (ack === undefined) return { verdict, frames: afterPreface, ackSeen: false };
  // Keep looking past the ACK for the first header block if it is not there yet.
  const frames = Buffer.concat([afterPreface.subarray(0, ack.start), afterPreface.subarray(ack.end)]);
  if (verdict === "more") {
    const again = firstLook(frames);
    return { verdict: again.verdict, frames, ackSeen: true };
  }
  return { verdict, frames, ackSeen: true };
}
