/**
 * Gateway requests: a JSON body → the protobuf bytes of the request message,
 * accepting what grpc-gateway v1 (golang/protobuf jsonpb, AllowUnknownFields)
 * accepts and refusing the rest with the same words: field names as
 * declared or in lowerCamel (camel wins when both are given), 64-bit numbers
 * as strings or numbers, enums by name or number, bytes in standard base64,
 * `null` meaning "not set", unknown fields ignored.
 * @module
 */
import type { EnumInfo, FieldInfo, MessageInfo, ScalarType } from "./proto-schema.js";
import { goKindOf, goQuote, type JsonNode, parseWhole, rawText, unescapeString } from "./go-json.js";
import { ProtoWriter } from "./proto-wire.js";

/** A request the gateway cannot turn into a message; the message is Go's. */
export class JsonDecodeError extends Error {
  override readonly name = "JsonDecodeError";
}

/** Encodes the JSON value `node` (from `buf`) as message `type`. */
export function jsonToProto(type: MessageInfo, buf: Uint8Array, node: JsonNode): Buffer {
  const w = new ProtoWriter();
  writeMessage(w, type, buf, node);
  return w.finish();
}

function typeError(node: JsonNode, goType: string): JsonDecodeError {
  return new JsonDecodeError(`json: cannot unmarshal ${goKindOf(node)} into Go value of type ${goType}`);
}

function writeMessage(w: ProtoWriter, type: MessageInfo, buf: Uint8Array, node: JsonNode): void {
  if (node.t === "null") return;
  if (node.t !== "object") throw typeError(node, "map[string]json.RawMessage");
  const given = new Map<string, JsonNode>();
  for (const [key, value] of node.entries) given.set(unescapeString(buf, key).toString("utf8"), value);
  // jsonpb visits ordinary fields first, in declaration order, then oneofs.
  for (const pass of [false, true]) {
    for (const field of type.fields) {
      if ((field.oneof !== undefined) !== pass) continue;
      const value = takeField(given, field);
      if (value !== undefined) writeField(w, field, buf, value);
    }
  }
}

function takeField(given: Map<string, JsonNode>, field: FieldInfo): JsonNode | undefined {
  const orig = given.get(field.name);
  const camel = given.get(field.jsonName);
  return camel ?? orig;
}

function writeField(w: ProtoWriter, field: FieldInfo, buf: Uint8Array, node: JsonNode): void {
  if (field.repeated) {
    if (node.t === "null") return;
    if (node.t !== "array") throw typeError(node, "[]json.RawMessage");
    for (const item of node.items) writeOne(w, field, buf, item, true);
    return;
  }
  writeOne(w, field, buf, node, field.oneof !== undefined);
}

/** One value of a field; `keepZero` for repeated elements and oneof members, which exist even when zero. */
function writeOne(w: ProtoWriter, field: FieldInfo, buf: Uint8Array, node: JsonNode, keepZero: boolean): void {
  const t = field.type;
  switch (t.kind) {
    case "message": {
      if (node.t === "null" && !field.repeated) return;
      const sub = new ProtoWriter();
      writeMessage(sub, t.message, buf, node);
      w.bytes(field.number, sub.finish());
      return;
    }
    case "enum": {
      const value = enumValue(t.enum, buf, node);
      if (value !== 0 || keepZero) w.varint(field.number, BigInt(value));
      return;
    }
    case "scalar":
      writeScalar(w, field.number, t.scalar, buf, node, keepZero);
  }
}

function enumValue(e: EnumInfo, buf: Uint8Array, node: JsonNode): number {
  if (node.t === "string") {
    // jsonpb looks the name up without unescaping it.
    const name = rawText(buf, node).slice(1, -1);
    const value = e.byName.get(name);
    if (value === undefined) throw new JsonDecodeError(`unknown value ${goQuote(Buffer.from(name, "latin1").toString("utf8"))} for enum ${e.goName}`);
    return value;
  }
  return Number(numberValue(buf, node, "int32", e.goName));
}

function writeScalar(w: ProtoWriter, num: number, scalar: ScalarType, buf: Uint8Array, node: JsonNode, keepZero: boolean): void {
  switch (scalar) {
    case "string": {
      if (node.t === "null") return keepZero ? w.bytes(num, Buffer.alloc(0)) : undefined;
      if (node.t !== "string") throw typeError(node, "string");
      const bytes = unescapeString(buf, node);
      // Go replaces invalid UTF-8 with U+FFFD when it decodes into a string.
      const text = Buffer.from(bytes.toString("utf8"), "utf8");
      if (text.length > 0 || keepZero) w.bytes(num, text);
      return;
    }
    case "bytes": {
      if (node.t === "null") return keepZero ? w.bytes(num, Buffer.alloc(0)) : undefined;
      const bytes = bytesValue(buf, node);
      if (bytes.length > 0 || keepZero) w.bytes(num, bytes);
      return;
    }
    case "bool": {
      if (node.t === "null") return keepZero ? w.varint(num, 0n) : undefined;
      if (node.t !== "true" && node.t !== "false") throw typeError(node, "bool");
      if (node.t === "true" || keepZero) w.varint(num, node.t === "true" ? 1n : 0n);
      return;
    }
    default: {
      const value = numberValue(buf, node, goNumberType(scalar), goNumberType(scalar));
      if (value === 0n && !keepZero) return;
      writeNumber(w, num, scalar, value);
    }
  }
}

function writeNumber(w: ProtoWriter, num: number, scalar: ScalarType, value: bigint | number): void {
  switch (scalar) {
    case "int64":
    case "uint64":
    case "int32":
    case "uint32":
      w.varint(num, BigInt(value));
      return;
    case "sint32":
    case "sint64":
      w.zigzag(num, BigInt(value));
      return;
    case "fixed32":
    case "sfixed32":
      w.fixed32(num, Number(value));
      return;
    case "fixed64":
    case "sfixed64":
      w.fixed64(num, BigInt(value));
      return;
    case "float":
      w.float(num, Number(value));
      return;
    case "double":
      w.double(num, Number(value));
      return;
    default:
      throw new Error(`not a number type: ${scalar}`);
  }
}

type GoNumberType = "int64" | "uint64" | "int32" | "uint32" | "float64" | "float32";

function goNumberType(scalar: ScalarType): GoNumberType {
  switch (scalar) {
    case "int64":
    case "sint64":
    case "sfixed64":
      return "int64";
    case "uint64":
    case "fixed64":
      return "uint64";
    case "int32":
    case "sint32":
    case "sfixed32":
      return "int32";
    case "uint32":
    case "fixed32":
      return "uint32";
    case "double":
      return "float64";
    case "float":
      return "float32";
    default:
      throw new Error(`not a number type: ${scalar}`);
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
function numberValue(buf: Uint8Array, node: JsonNode, kind: GoNumberType, goType: string): bigint | number {
  let src = buf;
  let n = node;
  if (node.t === "string") {
    src = buf.subarray(node.start + 1, node.end - 1);
    n = parseWhole(src);
  }
  if (n.t === "null") return kind.startsWith("float") ? 0 : 0n;
  if (n.t !== "number") throw typeError(n, goType);
  const text = rawText(src, n);
  if (kind === "float64" || kind === "float32") {
    const f = Number(text);
    if (!Number.isFinite(f) || (kind === "float32" && Math.abs(f) > 3.4028234663852886e38)) {
      throw new JsonDecodeError(`json: cannot unmarshal number ${text} into Go value of type ${goType}`);
    }
    return f;
  }
  // strconv.ParseInt/ParseUint: plain decimal digits only, within the type's range.
  const ok = kind.startsWith("u") ? /^[0-9]+$/.test(text) : /^-?[0-9]+$/.test(text);
  const value = ok ? BigInt(text) : undefined;
  const [min, max] = LIMITS[kind];
  if (value === undefined || value < min || value > max) {
    throw new JsonDecodeError(`json: cannot unmarshal number ${text} into Go value of type ${goType}`);
  }
  return value;
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
