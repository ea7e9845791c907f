/**
 * The protobuf wire format, just enough for schema-driven transcoding:
 * a writer of tagged fields and a reader that walks a message's fields.
 * (The generated ts-proto codecs work on typed objects; the gateway works
 * on whatever message the schema names, so it needs this untyped layer.)
 * @module
 */

export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  Fixed32: 5,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

export class ProtoWriter {
  readonly #chunks: Buffer[] = [];
  #bytes: number[] = [];

  #flush(): void {
    if (this.#bytes.length > 0) {
      this.#chunks.push(Buffer.from(this.#bytes));
      this.#bytes = [];
    }
  }

  #rawVarint(v: bigint): void {
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      this.#bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.#bytes.push(Number(x));
  }

  #tag(field: number, wire: WireType): void {
    this.#rawVarint(BigInt(field * 8 + wire));
  }

  /** int32/int64/uint32/uint64/bool/enum (negative numbers as 10-byte two's complement, as protobuf does). */
  varint(field: number, v: bigint): void {
    this.#tag(field, WireType.Varint);
    this.#rawVarint(v);
  }

  zigzag(field: number, v: bigint): void {
    this.#tag(field, WireType.Varint);
    this.#rawVarint(v >= 0n ? v << 1n : ((-v) << 1n) - 1n);
  }

  fixed32(field: number, v: number): void {
    this.#tag(field, WireType.Fixed32);
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.#bytes.push(...b);
  }

  fixed64(field: number, v: bigint): void {
    this.#tag(field, WireType.Fixed64);
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, v));
    this.#bytes.push(...b);
  }

  float(field: number, v: number): void {
    this.#tag(field, WireType.Fixed32);
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.#bytes.push(...b);
  }

  double(field: number, v: number): void {
    this.#tag(field, WireType.Fixed64);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.#bytes.push(...b);
  }

  bytes(field: number, data: Uint8Array): void {
    this.#tag(field, WireType.LengthDelimited);
    this.#rawVarint(BigInt(data.length));
    this.#flush();
    this.#chunks.push(Buffer.from(data.buffer, data.byteOffset, data.length));
  }

  finish(): Buffer {
    this.#flush();
    return Buffer.concat(this.#chunks);
  }
}

/** One field occurrence read from the wire. */
export type WireValue =
  | { wire: typeof WireType.Varint; value: bigint }
  | { wire: typeof WireType.Fixed64 | typeof WireType.LengthDelimited | typeof WireType.Fixed32; value: Uint8Array };

export class ProtoDecodeError extends Error {
  override readonly name = "ProtoDecodeError";
}

export class ProtoReader {
  readonly #buf: Uint8Array;
  #pos: number;
  readonly #end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#pos = start;
    this.#end = end;
  }

  get done(): boolean {
    return this.#pos >= this.#end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    // Fast path for small values without bigint work per byte.
    let small = 0;
    let i = 0;
    for (; i < 4; i++) {
      const b = this.#byte();
      small |= (b & 0x7f) << (7 * i);
      if (b < 0x80) return BigInt(small >>> 0);
    }
    result = BigInt(small >>> 0);
    shift = 28n;
    for (; i < 10; i++) {
      const b = this.#byte();
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new ProtoDecodeError("varint too long");
  }

  #byte(): number {
    if (this.#pos >= this.#end) throw new ProtoDecodeError("truncated message");
    return this.#buf[this.#pos++]!;
  }

  #take(n: number): Uint8Array {
    if (n < 0 || this.#pos + n > this.#end) throw new ProtoDecodeError("truncated message");
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** A value of a known wire type with no tag in front (an element of a packed list). */
  fieldOfWire(wire: WireType): WireValue {
    switch (wire) {
      case WireType.Varint:
        return { wire: WireType.Varint, value: this.varint() };
      case WireType.Fixed64:
        return { wire: WireType.Fixed64, value: this.#take(8) };
      case WireType.Fixed32:
        return { wire: WireType.Fixed32, value: this.#take(4) };
      default:
        throw new ProtoDecodeError(`wire type ${wire} cannot be packed`);
    }
  }

  /** The next field: its number and value. */
  field(): { number: number; value: WireValue } {
    const tag = Number(this.varint());
    const number = tag >>> 3;
    const wire = tag & 7;
    switch (wire) {
      case WireType.Varint:
        return { number, value: { wire: WireType.Varint, value: this.varint() } };
      case WireType.Fixed64:
        return { number, value: { wire: WireType.Fixed64, value: this.#take(8) } };
      case WireType.LengthDelimited:
        return { number, value: { wire: WireType.LengthDelimited, value: this.#take(Number(this.varint())) } };
      case WireType.Fixed32:
        return { number, value: { wire: WireType.Fixed32, value: this.#take(4) } };
      default:
        throw new ProtoDecodeError(`unsupported wire type ${wire}`);
    }
  }
}
