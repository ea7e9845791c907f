/**
 * gRPC over HTTP/2 wire details (the PROTOCOL-HTTP2 spec): length-prefixed
 * messages, the grpc-timeout header, percent-encoded grpc-message, and the
 * header blocks of a response, built once.
 * @module
 */
import { gunzipSync, inflateSync } from "node:zlib";
import { encodeHeaders } from "../h2/hpack.js";
import { RpcError } from "../rpc/contract.js";

export const MESSAGE_PREFIX = 5;

/** gRPC status codes used by the transport itself. */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;


/** Response headers of every call: `:status: 200`, `content-type: application/grpc`. */
export const RESPONSE_HEADERS = encodeHeaders([
  [":status", "200"],
  ["content-type", "application/grpc"],
]);

/** Trailers of a call that ended OK. */
export const OK_TRAILERS = encodeHeaders([["grpc-status", "0"]]);

/** Trailers carrying a status; `trailersOnly` for a call that sent nothing before. */
export function statusBlock(code: number, details: string, trailersOnly: boolean): Buffer {
  const fields: [string, string][] = trailersOnly
    ? [
        [":status", "200"],
        ["content-type", "application/grpc"],
      ]
    : [];
  fields.push(["grpc-status", String(code)]);
  if (details !== "") fields.push(["grpc-message", percentEncode(details)]);
  return encodeHeaders(fields);
}

/**
 * grpc-message encoding: UTF-8, with bytes outside printable ASCII and '%' as %XX —
 * and a space at either end too: an HTTP/2 field value may not begin or end with
 * whitespace (RFC 9113 §8.2.1), and nghttp2 (so grpc-js) drops a field that does.
 */
export function percentEncode(text: string): string {
  const bytes = Buffer.from(text, "utf8");
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    const plain = byte === 0x20 ? i > 0 && i < bytes.length - 1 : byte > 0x20 && byte <= 0x7e && byte !== 0x25;
    out += plain ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** One message framed for the wire: flag 0 (uncompressed), 4-byte length, bytes. */
export function frameMessage(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(MESSAGE_PREFIX + body.length);
  out[0] = 0;
  out.writeUInt32BE(body.length, 1);
  out.set(body, MESSAGE_PREFIX);
  return out;
}

const TIMEOUT_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 };

/**
 * A grpc-timeout header that is not one. grpc-go answers it with
 * RST_STREAM(PROTOCOL_ERROR) and no status, before the call starts.
 */
export const MALFORMED_TIMEOUT = Symbol("malformed grpc-timeout");

/** A parsed grpc-timeout: milliseconds (zero or less: already past), or {@link MALFORMED_TIMEOUT}. */
export type Timeout = number | typeof MALFORMED_TIMEOUT;

/**
 * A grpc-timeout value ("100m", "5S") as grpc-go's decodeTimeout reads it:
 * at most 9 characters, an integer (Go's ParseInt: a sign is allowed, so
 * "-1S" is a deadline already past) and one of the units H M S m u n.
 */
export function parseTimeout(value: string): Timeout {
  if (value.length < 2 || value.length > 9) return MALFORMED_TIMEOUT;
  const m = /^([+-]?\d+)([HMSmun])$/.exec(value);
  if (m === null) return MALFORMED_TIMEOUT;
  return Number(m[1]) * TIMEOUT_UNIT_MS[m[2]!]!;
}

/** The request encodings we decode (grpc-encoding); anything else is refused when the call starts. */
export type RequestEncoding = "identity" | "gzip" | "deflate";

/**
 * The encoding of a call's request messages, or grpc-go's refusal of one it
 * has no decompressor for (UNIMPLEMENTED, before any message is read).
 */
export function requestEncoding(header: string | undefined): RequestEncoding | RpcError {
  if (header === undefined || header === "identity" || header === "gzip" || header === "deflate") return header ?? "identity";
  return new RpcError(Code.UNIMPLEMENTED, `grpc: Decompressor is not installed for grpc-encoding ${goQuote(header)}`);
}

const GO_ESCAPES: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", '"': '\\"', "\\": "\\\\" };

/** Go's %q of a header value (one character per byte): printable ASCII as is, Go's escapes, else \xNN. */
function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const c = ch.charCodeAt(0);
    out += GO_ESCAPES[ch] ?? (c >= 0x20 && c < 0x7f ? ch : `\\x${c.toString(16).padStart(2, "0")}`);
  }
  return `${out}"`;
}

const EMPTY = Buffer.alloc(0);

/**
 * A request body as a sequence of messages. Bytes go in as DATA arrives
 * (`push`); messages come out when the call wants one (`next`), so a call
 * that is not reading keeps raw bytes — bounded by the stream's flow-control
 * window — and never a pile of decoded messages.
 *
 * Bounds: a message over the limit is refused as soon as its length prefix
 * is read, before its bytes are gathered; a compressed message is refused
 * once inflating passes the limit (a gzip message whose trailer already says
 * it is too large is refused without inflating it), with grpc-go's words.
 * Bytes that must be joined across chunks go into one buffer that at most
 * doubles, so a message sent in many tiny DATA frames costs no object per
 * frame.
 */
export class MessageReader {
  readonly #maxLength: number;
  readonly #encoding: RequestEncoding;
  /**
   * Unread bytes are `#buf[#pos, #end)`: the last chunk itself (no copy) until
   * bytes must be joined across chunks, then `#owned`, a buffer of our own.
   * Bytes before `#pos` may back messages handed out: they are never written over.
   */
  #buf: Buffer = EMPTY;
  #pos = 0;
  #end = 0;
  #owned = false;

  constructor(maxLength: number, encoding: RequestEncoding) {
    this.#maxLength = maxLength;
    this.#encoding = encoding;
  }

  /** Takes in request body bytes, in order. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const unread = this.#end - this.#pos;
    if (unread === 0) {
      this.#buf = chunk;
      this.#pos = 0;
      this.#end = chunk.length;
      this.#owned = false;
      return;
    }
    if (!this.#owned || this.#end + chunk.length > this.#buf.length) this.#grow(unread + chunk.length);
    chunk.copy(this.#buf, this.#end);
    this.#end += chunk.length;
  }

  /**
   * The next complete message (decompressed), or undefined until more bytes
   * arrive; throws {@link RpcError} for a message that must be refused.
   */
  next(): Buffer | undefined {
    const unread = this.#end - this.#pos;
    if (unread < MESSAGE_PREFIX) return undefined;
    const buf = this.#buf;
    const at = this.#pos;
    const length = buf.readUInt32BE(at + 1);
    if (length > this.#maxLength) {
      throw new RpcError(Code.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${length} vs. ${this.#maxLength})`);
    }
    if (unread < MESSAGE_PREFIX + length) return undefined;
    const flag = buf[at]!;
    const body = buf.subarray(at + MESSAGE_PREFIX, at + MESSAGE_PREFIX + length);
    this.#pos += MESSAGE_PREFIX + length;
    if (this.#pos === this.#end) this.#clear();
    if (flag === 0) return body;
    if (flag === 1) return this.#decompress(body);
    throw new RpcError(Code.INTERNAL, `grpc: received unexpected payload format ${flag}`);
  }

  /** Whether the bytes held end in the middle of a message (read once, when the request ends). */
  get partial(): boolean {
    let at = this.#pos;
    while (this.#end - at >= MESSAGE_PREFIX) at += MESSAGE_PREFIX + this.#buf.readUInt32BE(at + 1);
    return at !== this.#end;
  }

  /** Bytes held, read or not yet. */
  get buffered(): number {
    return this.#end - this.#pos;
  }

  #clear(): void {
    this.#buf = EMPTY;
    this.#pos = 0;
    this.#end = 0;
    this.#owned = false;
  }

  /** Moves the unread bytes into a new buffer of our own with room for `needed`. */
  #grow(needed: number): void {
    const unread = this.#end - this.#pos;
    // Doubling keeps joining linear; a message whose size is known gets no more than it needs.
    let capacity = 2 * needed;
    if (unread >= MESSAGE_PREFIX) {
      const messageEnd = MESSAGE_PREFIX + this.#buf.readUInt32BE(this.#pos + 1);
      if (messageEnd >= needed) capacity = Math.min(capacity, messageEnd);
    }
    const next = Buffer.allocUnsafeSlow(capacity);
    this.#buf.copy(next, 0, this.#pos, this.#end);
    this.#buf = next;
    this.#pos = 0;
    this.#end = unread;
    this.#owned = true;
  }

  #decompress(body: Buffer): Buffer {
    const max = this.#maxLength;
    // grpc-go's words, including the size it reports: gzip's own trailer
    // (ISIZE) when that is already over the limit, else max + 1 (it reads
    // through a limit of max + 1 bytes).
    const tooLarge = (size: number): RpcError => new RpcError(Code.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${size} vs. ${max})`);
    const limit = { maxOutputLength: max + 1 };
    let out: Buffer;
    try {
      switch (this.#encoding) {
        case "identity":
          throw new RpcError(Code.INTERNAL, "grpc: compressed flag set with identity or empty encoding");
        case "gzip": {
          // Like grpc-go, trust the trailer only behind a valid gzip header (else inflating reports the error).
          const declared = isGzipHeader(body) ? body.readUInt32LE(body.length - 4) : 0;
          if (declared > max) throw tooLarge(declared);
          out = gunzipSync(body, limit);
          break;
        }
        case "deflate":
          out = inflateSync(body, limit);
          break;
      }
    } catch (err) {
      if (err instanceof RpcError) throw err;
      if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(max + 1);
      throw new RpcError(Code.INTERNAL, `grpc: failed to decompress the received message ${(err as Error).message}`);
    }
    if (out.length > max) throw tooLarge(out.length);
    return out;
  }
}

/** Whether `body` opens with a gzip header (magic 1f 8b, method deflate), as Go's gzip.Reader requires. */
function isGzipHeader(body: Buffer): boolean {
  return body.length >= 10 && body[0] === 0x1f && body[1] === 0x8b && body[2] === 8;
}
