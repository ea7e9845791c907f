/**
 * HPACK (RFC 7541) for the server side of our HTTP/2: a full decoder with
 * the dynamic table, and an encoder that never indexes — it writes literals
 * "without indexing" (or static-table references), so the client's decoder
 * table is never touched and no table-size update is ever needed. gRPC
 * responses have two or three header fields, so that costs a few bytes and
 * saves all encoder state; the hot blocks are built once as constants.
 * @module
 */
import { huffmanDecode, HuffmanError } from "./huffman.js";

export class HpackError extends Error {}

/** RFC 7541 Appendix A. Index 1 is at position 0. */
const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [":authority", ""], [":method", "GET"], [":method", "POST"], [":path", "/"], [":path", "/index.html"],
  [":scheme", "http"], [":scheme", "https"], [":status", "200"], [":status", "204"], [":status", "206"],
  [":status", "304"], [":status", "400"], [":status", "404"], [":status", "500"], ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"], ["accept-language", ""], ["accept-ranges", ""], ["accept", ""],
  ["access-control-allow-origin", ""], ["age", ""], ["allow", ""], ["authorization", ""], ["cache-control", ""],
  ["content-disposition", ""], ["content-encoding", ""], ["content-language", ""], ["content-length", ""],
  ["content-location", ""], ["content-range", ""], ["content-type", ""], ["cookie", ""], ["date", ""], ["etag", ""],
  ["expect", ""], ["expires", ""], ["from", ""], ["host", ""], ["if-match", ""], ["if-modified-since", ""],
  ["if-none-match", ""], ["if-range", ""], ["if-unmodified-since", ""], ["last-modified", ""], ["link", ""],
  ["location", ""], ["max-forwards", ""], ["proxy-authenticate", ""], ["proxy-authorization", ""], ["range", ""],
  ["referer", ""], ["refresh", ""], ["retry-after", ""], ["server", ""], ["set-cookie", ""],
  ["strict-transport-security", ""], ["transfer-encoding", ""], ["user-agent", ""], ["vary", ""], ["via", ""],
  ["www-authenticate", ""],
];

/** Per-entry overhead counted against the table size (RFC 7541 §4.1). */
const ENTRY_OVERHEAD = 32;

/**
 * A decoded header list: names and values alternating, in order
 * (`[name0, value0, name1, value1, …]`). Names are lower-case as HTTP/2
 * requires; values are latin1 strings, as they travel.
 */
export type HeaderList = string[];

export interface DecoderOptions {
  /** The SETTINGS_HEADER_TABLE_SIZE we advertise (the most the peer may make us keep). */
  maxTableSize: number;
  /** Largest decoded header list accepted (sum of name + value + 32 per field, RFC 7540 §6.5.2). */
  maxHeaderListSize: number;
}

export class HpackDecoder {
  /** Newest first: entry i is dynamic index 62 + i. */
  readonly #names: string[] = [];
  readonly #values: string[] = [];
  #size = 0;
  #maxSize: number;
  readonly #limit: number;
  readonly #maxListSize: number;

  constructor(options: DecoderOptions) {
    this.#limit = options.maxTableSize;
    this.#maxSize = options.maxTableSize;
    this.#maxListSize = options.maxHeaderListSize;
  }

  /** Decodes one complete header block. Any error leaves the connection unusable (a COMPRESSION_ERROR). */
  decode(block: Buffer): HeaderList {
    const out: HeaderList = [];
    let listSize = 0;
    let pos = 0;
    let fieldsSeen = false;
    while (pos < block.length) {
      const first = block[pos]!;
      let name: string;
      let value: string;
      if (first & 0x80) {
        // Indexed field.
        pos = this.#readInt(block, pos, 7);
        const entry = this.#entry(this.#int);
        name = entry[0];
        value = entry[1];
      } else if ((first & 0xe0) === 0x20) {
        // Dynamic table size update: only at the start of a block (RFC 7541 §4.2).
        if (fieldsSeen) throw new HpackError("hpack: table size update after a header field");
        pos = this.#readInt(block, pos, 5);
        if (this.#int > this.#limit) throw new HpackError("hpack: table size update above the advertised limit");
        this.#maxSize = this.#int;
        this.#evict(0);
        continue;
      } else {
        const incremental = (first & 0xc0) === 0x40;
        pos = this.#readInt(block, pos, incremental ? 6 : 4);
        const index = this.#int;
        if (index === 0) {
          pos = this.#readString(block, pos);
          name = this.#str;
        } else {
          name = this.#entry(index)[0];
        }
        pos = this.#readString(block, pos);
        value = this.#str;
        if (incremental) this.#add(name, value);
      }
      fieldsSeen = true;
      listSize += name.length + value.length + ENTRY_OVERHEAD;
      if (listSize > this.#maxListSize) throw new HpackError("hpack: header list too large");
      out.push(name, value);
    }
    return out;
  }

  // Results of the readers, kept in fields so reading allocates nothing.
  #int = 0;
  #str = "";

  #readInt(buf: Buffer, pos: number, prefixBits: number): number {
    const max = (1 << prefixBits) - 1;
    let value = buf[pos]! & max;
    pos++;
    if (value === max) {
      let shift = 0;
      for (;;) {
        if (pos >= buf.length) throw new HpackError("hpack: truncated integer");
        const b = buf[pos++]!;
        value += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if ((b & 0x80) === 0) break;
        if (shift > 28) throw new HpackError("hpack: integer too large");
      }
    }
    this.#int = value;
    return pos;
  }

  #readString(buf: Buffer, pos: number): number {
    if (pos >= buf.length) throw new HpackError("hpack: truncated string");
    const huffman = (buf[pos]! & 0x80) !== 0;
    pos = this.#readInt(buf, pos, 7);
    const end = pos + this.#int;
    if (end > buf.length) throw new HpackError("hpack: truncated string");
    const bytes = buf.subarray(pos, end);
    if (huffman) {
      try {
        this.#str = huffmanDecode(bytes).toString("latin1");
      } catch (err) {
        throw err instanceof HuffmanError ? new HpackError(err.message) : err;
      }
    } else {
      this.#str = bytes.toString("latin1");
    }
    return end;
  }

  #entry(index: number): readonly [string, string] {
    if (index === 0) throw new HpackError("hpack: index 0");
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
    const i = index - STATIC_TABLE.length - 1;
    if (i >= this.#names.length) throw new HpackError(`hpack: index ${index} out of range`);
    return [this.#names[i]!, this.#values[i]!];
  }

  #add(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    this.#evict(size);
    // An entry larger than the table empties it and is not added (RFC 7541 §4.4).
    if (size > this.#maxSize) return;
    this.#names.unshift(name);
    this.#values.unshift(value);
    this.#size += size;
  }

  /** Evicts oldest entries until `incoming` more bytes fit. */
  #evict(incoming: number): void {
    while (this.#size + incoming > this.#maxSize && this.#names.length > 0) {
      const name = this.#names.pop()!;
      const value = this.#values.pop()!;
      this.#size -= name.length + value.length + ENTRY_OVERHEAD;
    }
  }
}

// ---- encoding ----------------------------------------------------------------

/** An HPACK integer (RFC 7541 §5.1) with `flags` in the first byte's high bits. */
export function encodeInt(out: number[], flags: number, prefixBits: number, value: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  value -= max;
  while (value >= 128) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

function encodeString(out: number[], text: string): void {
  const bytes = Buffer.from(text, "latin1");
  encodeInt(out, 0x00, 7, bytes.length);
  for (const b of bytes) out.push(b);
}

const STATIC_NAME_INDEX = new Map<string, number>();
STATIC_TABLE.forEach(([name], i) => {
  if (!STATIC_NAME_INDEX.has(name)) STATIC_NAME_INDEX.set(name, i + 1);
});

/**
 * Encodes fields as literals without indexing (static-table names where
 * there is one), and `:status: 200` as its static entry. Values are latin1.
 */
export function encodeHeaders(fields: readonly (readonly [string, string])[]): Buffer {
  const out: number[] = [];
  for (const [name, value] of fields) {
    if (name === ":status" && value === "200") {
      out.push(0x88);
      continue;
    }
    const index = STATIC_NAME_INDEX.get(name);
    if (index !== undefined) {
      encodeInt(out, 0x00, 4, index);
    } else {
      out.push(0x00);
      encodeString(out, name);
    }
    encodeString(out, value);
  }
  return Buffer.from(out);
}
