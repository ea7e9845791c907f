/**
 * Gateway responses: the protobuf bytes of a response message → JSON as
 * grpc-gateway v1 writes it (jsonpb with OrigName, defaults omitted): field
 * names as declared, in declaration order; 64-bit integers as strings;
 * enums by name (a number without a name stays a bare number); bytes in
 * standard base64; zero scalars and empty lists left out; a message that is
 * present is written even when empty (`{}`); a oneof member is written
 * whenever it is set, zero or not; unknown fields are dropped.
 * @module
 */
import type { FieldInfo, MessageInfo } from "./proto-schema.js";
import { goJsonString } from "./go-json.js";
import { ProtoReader, WireType, type WireValue } from "./proto-wire.js";

/** JSON text of message `type` encoded in `data`. */
export function protoToJson(type: MessageInfo, data: Uint8Array): string {
  return writeMessage(type, data);
}

interface Seen {
  values: WireValue[];
  /** Wire position of the last occurrence (decides which oneof member is set). */
  last: number;
}

function writeMessage(type: MessageInfo, data: Uint8Array): string {
  const seen = new Map<number, Seen>();
  const reader = new ProtoReader(data);
  for (let i = 0; !reader.done; i++) {
    const { number, value } = reader.field();
    if (!type.byNumber.has(number)) continue;
    const s = seen.get(number);
    if (s === undefined) seen.set(number, { values: [value], last: i });
    else {
      s.values.push(value);
      s.last = i;
    }
  }
  const oneofWinner = new Map<string, FieldInfo>();
  for (const field of type.fields) {
    if (field.oneof === undefined) continue;
    const s = seen.get(field.number);
    if (s === undefined) continue;
    const current = oneofWinner.get(field.oneof);
    if (current === undefined || seen.get(current.number)!.last < s.last) oneofWinner.set(field.oneof, field);
  }
  let out = "{";
  let first = true;
  for (const field of type.fields) {
    const s = seen.get(field.number);
    if (s === undefined) continue;
    if (field.oneof !== undefined && oneofWinner.get(field.oneof) !== field) continue;
    const text = field.repeated ? writeRepeated(field, s.values) : writeSingle(field, s.values);
    if (text === undefined) continue;
    out += `${first ? "" : ","}"${field.name}":${text}`;
    first = false;
  }
  return `${out}}`;
}

function writeRepeated(field: FieldInfo, values: WireValue[]): string | undefined {
  const items: string[] = [];
  const packable = field.type.kind === "enum" || (field.type.kind === "scalar" && field.type.scalar !== "string" && field.type.scalar !== "bytes");
  for (const v of values) {
    if (packable && v.wire === WireType.LengthDelimited) {
      const r = new ProtoReader(v.value);
      const wire = packedWire(field);
      while (!r.done) items.push(formatValue(field, readPacked(r, wire)));
    } else {
      const text = formatValue(field, v);
      if (text !== "") items.push(text);
    }
  }
  return items.length === 0 ? undefined : `[${items.join(",")}]`;
}

function packedWire(field: FieldInfo): WireType {
  if (field.type.kind !== "scalar") return WireType.Varint;
  switch (field.type.scalar) {
    case "fixed32":
    case "sfixed32":
    case "float":
      return WireType.Fixed32;
    case "fixed64":
    case "sfixed64":
    case "double":
      return WireType.Fixed64;
    default:
      return WireType.Varint;
  }
}

function readPacked(r: ProtoReader, wire: WireType): WireValue {
  // A packed run is just the values back to back; read each with a fake tag-less reader.
  switch (wire) {
    case WireType.Varint:
      return { wire: WireType.Varint, value: r.varint() };
    default:
      return r.fieldOfWire(wire);
  }
}

function writeSingle(field: FieldInfo, values: WireValue[]): string | undefined {
  const isOneof = field.oneof !== undefined;
  if (field.type.kind === "message") {
    const parts: Uint8Array[] = [];
    for (const v of values) if (v.wire === WireType.LengthDelimited) parts.push(v.value);
    if (parts.length === 0) return undefined;
    // Several occurrences of one message field merge, which is what decoding their concatenation does.
    return writeMessage(field.type.message, parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  }
  const last = values[values.length - 1]!;
  const text = formatValue(field, last);
  if (text === "") return undefined;
  if (!isOneof && isZero(field, last)) return undefined;
  return text;
}

function isZero(field: FieldInfo, v: WireValue): boolean {
  if (field.type.kind === "scalar" && field.type.scalar === "bytes") return false; // present bytes are non-nil in Go
  if (v.wire === WireType.Varint) return v.value === 0n;
  if (v.wire === WireType.LengthDelimited) return v.value.length === 0;
  return v.value.every((b) => b === 0);
}

/** One value as JSON; "" when the wire type does not fit the field (dropped, as a decoder would). */
function formatValue(field: FieldInfo, v: WireValue): string {
  const t = field.type;
  if (t.kind === "message") return v.wire === WireType.LengthDelimited ? writeMessage(t.message, v.value) : "";
  if (t.kind === "enum") {
    if (v.wire !== WireType.Varint) return "";
    const n = Number(BigInt.asIntN(32, v.value));
    const name = t.enum.byNumber.get(n);
    return name === undefined ? String(n) : `"${name}"`;
  }
  switch (t.scalar) {
    case "string":
      return v.wire === WireType.LengthDelimited ? goJsonString(Buffer.from(v.value).toString("utf8")) : "";
    case "bytes":
      return v.wire === WireType.LengthDelimited ? `"${Buffer.from(v.value).toString("base64")}"` : "";
    case "bool":
      return v.wire === WireType.Varint ? String(v.value !== 0n) : "";
    case "int64":
      return v.wire === WireType.Varint ? `"${BigInt.asIntN(64, v.value)}"` : "";
    case "uint64":
      return v.wire === WireType.Varint ? `"${BigInt.asUintN(64, v.value)}"` : "";
    case "int32":
      return v.wire === WireType.Varint ? String(BigInt.asIntN(32, v.value)) : "";
    case "uint32":
      return v.wire === WireType.Varint ? String(BigInt.asUintN(32, v.value)) : "";
    case "sint32":
    case "sint64": {
      if (v.wire !== WireType.Varint) return "";
      const n = (v.value >> 1n) ^ -(v.value & 1n);
      return t.scalar === "sint64" ? `"${n}"` : String(n);
    }
    case "fixed32":
      return v.wire === WireType.Fixed32 ? String(Buffer.from(v.value).readUInt32LE(0)) : "";
    case "sfixed32":
      return v.wire === WireType.Fixed32 ? String(Buffer.from(v.value).readInt32LE(0)) : "";
    case "fixed64":
      return v.wire === WireType.Fixed64 ? `"${Buffer.from(v.value).readBigUInt64LE(0)}"` : "";
    case "sfixed64":
      return v.wire === WireType.Fixed64 ? `"${Buffer.from(v.value).readBigInt64LE(0)}"` : "";
    case "float":
      return v.wire === WireType.Fixed32 ? formatFloat(Buffer.from(v.value).readFloatLE(0)) : "";
    case "double":
      return v.wire === WireType.Fixed64 ? formatFloat(Buffer.from(v.value).readDoubleLE(0)) : "";
  }
}

function formatFloat(f: number): string {
  if (Number.isNaN(f)) return '"NaN"';
  if (f === Infinity) return '"Infinity"';
  if (f === -Infinity) return '"-Infinity"';
  return String(f);
}
