/**
 * Gateway requests: a JSON body → the protobuf bytes of the request message,
 * accepting what grpc-gateway v1 (golang/protobuf jsonpb, AllowUnknownFields)
 * accepts and refusing the rest with the same words: field names as
 * declared or in lowerCamel (camel wins when both are given), 64-bit numbers
 * as strings or numbers, enums by name or number, bytes in standard base64
 * (or as an array of byte values), `null` meaning "not set", unknown fields
 * ignored. This side is ours rather than @bufbuild/protobuf's fromJson:
 * the canonical mapping accepts some of what Go refuses (unpadded or
 * URL-safe base64), refuses some of what Go accepts (bytes as an array of
 * numbers) and words its errors its own way, while etcd's clients see Go's
 * texts (the differential test compares them). The message shapes come from
 * the descriptors; the bytes are written with the library's BinaryWriter.
 * @module
 */
import { type DescEnum, type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { goKindOf, goQuote, type JsonNode, parseWhole, rawText, unescapeString } from "./go-json.js";
import { goEnumName } from "./proto-schema.js";

/** A request the gateway cannot turn into a message; the message is Go's. */
export class JsonDecodeError extends Error {
  override readonly name = "JsonDecodeError";
}

/** Encodes the JSON value `node` (from `buf`) as message `type`. */
export function jsonToProto(type: DescMessage, buf: Uint8Array, node: JsonNode): Buffer {
  const w = new BinaryWriter();
  writeMessage(w, type, buf, node);
  const bytes = w.finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

function typeError(node: JsonNode, goType: string): JsonDecodeError {
  return new JsonDecodeError(`json: cannot unmarshal ${goKindOf(node)} into Go value of type ${goType}`);
}

function writeMessage(w: BinaryWriter, type: DescMessage, buf: Uint8Array, node: JsonNode): void {
  if (node.t === "null") return;
  if (node.t !== "object") throw typeError(node, "map[string]json.RawMessage");
  const given = new Map<string, JsonNode>();
  for (const [key, value] of node.entries) given.set(unescapeString(buf, key).toString("utf8"), value);
  // jsonpb visits ordinary fields first, in declaration order, then oneofs.
  for (const pass of [false, true]) {
    for (const field of type.fields) {
      if ((field.oneof !== undefined) !== pass) continue;
      const value = given.get(field.jsonName) ?? given.get(field.name);
      if (value !== undefined) writeField(w, field, buf, value);
    }
  }
}

function writeField(w: BinaryWriter, field: DescField, buf: Uint8Array, node: JsonNode): void {
  if (field.fieldKind === "list") {
    if (node.t === "null") return;
    if (node.t !== "array") throw typeError(node, "[]json.RawMessage");
    for (const item of node.items) writeOne(w, field, buf, item, true);
    return;
  }
  writeOne(w, field, buf, node, field.oneof !== undefined);
}

/** One value of a field; `keepZero` for list elements and oneof members, which exist even when zero. */
function writeOne(w: BinaryWriter, field: DescField, buf: Uint8Array, node: JsonNode, keepZero: boolean): void {
  const repeated = field.fieldKind === "list";
  const kind = repeated ? field.listKind : field.fieldKind;
  if (kind === "message" && field.message !== undefined) {
    if (node.t === "null" && !repeated) return;
    w.tag(field.number, WireType.LengthDelimited).fork();
    writeMessage(w, field.message, buf, node);
    w.join();
    return;
  }
  if (kind === "enum" && field.enum !== undefined) {
    const value = enumValue(field.enum, buf, node);
    if (value !== 0 || keepZero) w.tag(field.number, WireType.Varint).int32(value);
    return;
  }
  if (field.scalar === undefined) throw new Error(`proto schema: ${field.toString()} cannot be transcoded`);
  writeScalar(w, field.number, field.scalar, buf, node, keepZero);
}

function enumValue(e: DescEnum, buf: Uint8Array, node: JsonNode): number {
  if (node.t === "string") {
    // jsonpb looks the name up without unescaping it.
    const name = rawText(buf, node).slice(1, -1);
    const value = e.values.find((v) => v.name === name);
    if (value === undefined) throw new JsonDecodeError(`unknown value ${goQuote(Buffer.from(name, "latin1").toString("utf8"))} for enum ${goEnumName(e)}`);
    return value.number;
  }
  return Number(numberValue(buf, node, "int32", e));
}

function writeScalar(w: BinaryWriter, num: number, scalar: ScalarType, buf: Uint8Array, node: JsonNode, keepZero: boolean): void {
  switch (scalar) {
    case ScalarType.STRING: {
      if (node.t === "null") {
        if (keepZero) w.tag(num, WireType.LengthDelimited).string("");
        return;
      }
      if (node.t !== "string") throw typeError(node, "string");
      // Go replaces invalid UTF-8 with U+FFFD when it decodes into a string.
      const text = unescapeString(buf, node).toString("utf8");
      if (text.length > 0 || keepZero) w.tag(num, WireType.LengthDelimited).string(text);
      return;
    }
    case ScalarType.BYTES: {
      if (node.t === "null") {
        if (keepZero) w.tag(num, WireType.LengthDelimited).bytes(new Uint8Array(0));
        return;
      }
      const bytes = bytesValue(buf, node);
      if (bytes.length > 0 || keepZero) w.tag(num, WireType.LengthDelimited).bytes(bytes);
      return;
    }
    case ScalarType.BOOL: {
      if (node.t === "null") {
        if (keepZero) w.tag(num, WireType.Varint).bool(false);
        return;
      }
      if (node.t !== "true" && node.t !== "false") throw typeError(node, "bool");
      if (node.t === "true" || keepZero) w.tag(num, WireType.Varint).bool(node.t === "true");
      return;
    }
    default: {
      const goType = goNumberType(scalar);
      const value = numberValue(buf, node, goType, goType);
      if (!keepZero && (value === 0n || value === 0)) return;
      writeNumber(w, num, scalar, value);
    }
  }
}

function writeNumber(w: BinaryWriter, num: number, scalar: ScalarType, value: bigint | number): void {
  switch (scalar) {
    case ScalarType.INT64:
      w.tag(num, WireType.Varint).int64(BigInt(value));
      return;
    case ScalarType.UINT64:
      w.tag(num, WireType.Varint).uint64(BigInt(value));
      return;
    case ScalarType.SINT64:
      w.tag(num, WireType.Varint).sint64(BigInt(value));
      return;
    case ScalarType.INT32:
      w.tag(num, WireType.Varint).int32(Number(value));
      return;
    case ScalarType.UINT32:
      w.tag(num, WireType.Varint).uint32(Number(value));
      return;
    case ScalarType.SINT32:
      w.tag(num, WireType.Varint).sint32(Number(value));
      return;
    case ScalarType.FIXED32:
      w.tag(num, WireType.Bit32).fixed32(Number(value));
      return;
    case ScalarType.SFIXED32:
      w.tag(num, WireType.Bit32).sfixed32(Number(value));
      return;
    case ScalarType.FLOAT:
      w.tag(num, WireType.Bit32).float(Number(value));
      return;
    case ScalarType.FIXED64:
      w.tag(num, WireType.Bit64).fixed64(BigInt(value));
      return;
    case ScalarType.SFIXED64:
      w.tag(num, WireType.Bit64).sfixed64(BigInt(value));
      return;
    case ScalarType.DOUBLE:
      w.tag(num, WireType.Bit64).double(Number(value));
      return;
    default:
      throw new Error(`not a number type: ${ScalarType[scalar]}`);
  }
}

type GoNumberType = "int64" | "uint64" | "int32" | "uint32" | "float64" | "float32";

function goNumberType(scalar: ScalarType): GoNumberType {
  switch (scalar) {
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return "int64";
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return "uint64";
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return "int32";
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return "uint32";
    case ScalarType.DOUBLE:
      return "float64";
    case ScalarType.FLOAT:
      return "float32";
    default:
      throw new Error(`not a number type: ${ScalarType[scalar]}`);
  }
}

const LIMITS: Record<Exclude<GoNumberType, "float64" | "float32">, [bigint, bigint]> = {
  int64: [-(1n << 63n), (1n << 63n) - 1n],
  uint64: [0n, (1n << 64n) - 1n],
  int32: [-(1n << 31n), (1n << 31n) - 1n],
  uint32: [0n, (1n << 32n) - 1n],
};

/**
 * A number field: jsonpb strips the quotes of a quoted number and hands the
 * inside to json.Unmarshal, so `"12"` works and `"abc"` fails as a syntax error.
 */
function numberValue(buf: Uint8Array, node: JsonNode, kind: GoNumberType, goType: string | DescEnum): bigint | number {
  let src = buf;
  let n = node;
  if (node.t === "string") {
    src = buf.subarray(node.start + 1, node.end - 1);
    n = parseWhole(src);
  }
  if (n.t === "null") return kind.startsWith("float") ? 0 : 0n;
  if (n.t !== "number") throw typeError(n, goTypeName(goType));
  const text = rawText(src, n);
  if (kind === "float64" || kind === "float32") {
    const f = Number(text);
    if (!Number.isFinite(f) || (kind === "float32" && Math.abs(f) > 3.4028234663852886e38)) {
      throw new JsonDecodeError(`json: cannot unmarshal number ${text} into Go value of type ${goTypeName(goType)}`);
    }
    return f;
  }
  // strconv.ParseInt/ParseUint: plain decimal digits only, within the type's range.
  const ok = kind.startsWith("u") ? /^[0-9]+$/.test(text) : /^-?[0-9]+$/.test(text);
  const value = ok ? BigInt(text) : undefined;
  const [min, max] = LIMITS[kind];
  if (value === undefined || value < min || value > max) {
    throw new JsonDecodeError(`json: cannot unmarshal number ${text} into Go value of type ${goTypeName(goType)}`);
  }
  return value;
}

/** The Go type a number is decoded into, as errors name it (an enum's name is only built for an error). */
function goTypeName(goType: string | DescEnum): string {
  return typeof goType === "string" ? goType : goEnumName(goType);
}

/** A bytes field: a base64 string (Go's StdEncoding) or, as encoding/json allows, an array of byte values. */
function bytesValue(buf: Uint8Array, node: JsonNode): Buffer {
  if (node.t === "string") return decodeStdBase64(unescapeString(buf, node));
  if (node.t === "array") {
    return Buffer.from(node.items.map((item) => {
      if (item.t === "null") return 0;
      if (item.t !== "number") throw typeError(item, "uint8");
      const text = rawText(buf, item);
      if (!/^[0-9]+$/.test(text) || Number(text) > 255) throw new JsonDecodeError(`json: cannot unmarshal number ${text} into Go value of type uint8`);
      return Number(text);
    }));
  }
  throw typeError(node, "[]uint8");
}

const B64 = (() => {
  const map = new Int16Array(256).fill(-1);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < alphabet.length; i++) map[alphabet.charCodeAt(i)] = i;
  return map;
})();

/**
 * Standard base64 with padding, as Go's base64.StdEncoding.Decode reads it:
 * CR and LF are skipped, anything else out of place is reported at its byte
 * offset ("illegal base64 data at input byte N").
 */
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeStdBase64(src: Uint8Array): Buffer {
  // Well-formed input (the usual case) decodes natively; anything else takes the slow path for Go's error offsets.
  const text = Buffer.from(src.buffer, src.byteOffset, src.length).toString("latin1");
  if (CANONICAL_BASE64.test(text)) return Buffer.from(text, "base64");
  const out: number[] = [];
  const corrupt = (at: number): JsonDecodeError => new JsonDecodeError(`illegal base64 data at input byte ${at}`);
  const isNewline = (c: number | undefined): boolean => c === 0x0a || c === 0x0d;
  let si = 0;
  for (;;) {
    const quantum: number[] = [];
    let done = false;
    while (quantum.length < 4) {
      if (si === src.length) {
        if (quantum.length === 0) return Buffer.from(out);
        throw corrupt(si - quantum.length);
      }
      const c = src[si++]!;
      const v = B64[c]!;
      if (v >= 0) {
        quantum.push(v);
        continue;
      }
      if (isNewline(c)) continue;
      if (c !== 0x3d) throw corrupt(si - 1);
      // Padding: only after two or three symbols.
      if (quantum.length < 2) throw corrupt(si - 1);
      if (quantum.length === 2) {
        while (si < src.length && isNewline(src[si])) si++;
        if (si === src.length) throw corrupt(src.length);
        if (src[si] !== 0x3d) throw corrupt(si - 1);
        si++;
      }
      while (si < src.length && isNewline(src[si])) si++;
      if (si < src.length) throw corrupt(si);
      done = true;
      break;
    }
    const [a = 0, b = 0, c = 0, d = 0] = quantum;
    const n = quantum.length;
    const bits = (a << 18) | (b << 12) | (c << 6) | d;
    out.push((bits >> 16) & 0xff);
    if (n >= 3) out.push((bits >> 8) & 0xff);
    if (n === 4) out.push(bits & 0xff);
    if (done) return Buffer.from(out);
  }
}
