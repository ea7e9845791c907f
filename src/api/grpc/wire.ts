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

/** Milliseconds of a grpc-timeout value ("100m", "5S"), or undefined when it is not one. */
export function parseTimeout(value: string): number | undefined {
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (m === null) return undefined;
  return Number(m[1]) * TIMEOUT_UNIT_MS[m[2]!]!;
}

/**
 * Splits a request body into messages as its chunks arrive. A message over
 * the limit is refused as soon as its length prefix is read, before its
 * bytes are buffered.
 */
export class MessageReader {
  readonly #maxLength: number;
  readonly #encoding: string | undefined;
  /** Bytes of an incomplete message, kept as chunks: joined once, when it is complete (not once per chunk). */
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Bytes the buffered message needs before it can be read (its prefix, then prefix + body). */
  #needed = 0;

  constructor(maxLength: number, encoding: string | undefined) {
    this.#maxLength = maxLength;
    this.#encoding = encoding;
  }

  /** Calls `onMessage` for each complete message; throws {@link RpcError} for a bad one. */
  push(chunk: Buffer, onMessage: (message: Buffer) => void): void {
    let buf = chunk;
    if (this.#buffered > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered < this.#needed) return;
      buf = Buffer.concat(this.#chunks, this.#buffered);
      this.#chunks = [];
      this.#buffered = 0;
    }
    while (buf.length >= MESSAGE_PREFIX) {
      const length = buf.readUInt32BE(1);
      if (length > this.#maxLength) {
        throw new RpcError(Code.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${length} vs. ${this.#maxLength})`);
      }
      const end = MESSAGE_PREFIX + length;
      if (buf.length < end) break;
      const compressed = buf[0] !== 0;
      const body = buf.subarray(MESSAGE_PREFIX, end);
      onMessage(compressed ? this.#decompress(body) : body);
      buf = buf.subarray(end);
    }
    if (buf.length > 0) {
      this.#chunks.push(buf);
      this.#buffered = buf.length;
      this.#needed = buf.length < MESSAGE_PREFIX ? MESSAGE_PREFIX : MESSAGE_PREFIX + buf.readUInt32BE(1);
    }
  }

  /** Whether part of a message is still waiting for its bytes. */
  get partial(): boolean {
    return this.#buffered > 0;
  }

  #decompress(body: Buffer): Buffer {
    const limit = { maxOutputLength: this.#maxLength + 1 };
    let out: Buffer;
    try {
      if (this.#encoding === "gzip") out = gunzipSync(body, limit);
      else if (this.#encoding === "deflate") out = inflateSync(body, limit);
      else if (this.#encoding === undefined || this.#encoding === "identity") {
        throw new RpcError(Code.INTERNAL, "grpc: compressed flag set with identity or empty encoding");
      } else throw new RpcError(Code.UNIMPLEMENTED, `grpc: Decompressor is not installed for grpc-encoding "${this.#encoding}"`);
    } catch (err) {
      if (err instanceof RpcError) throw err;
      if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
        throw new RpcError(Code.RESOURCE_EXHAUSTED, `grpc: received message after decompression larger than max (${this.#maxLength})`);
      }
      throw new RpcError(Code.INTERNAL, `grpc: failed to decompress the received message: ${(err as Error).message}`);
    }
    if (out.length > this.#maxLength) {
      throw new RpcError(Code.RESOURCE_EXHAUSTED, `grpc: received message after decompression larger than max (${out.length} vs. ${this.#maxLength})`);
    }
    return out;
  }
}
