/**
 * Gateway responses: the protobuf bytes of a response message → JSON as
 * grpc-gateway v1 writes it (jsonpb with OrigName, defaults omitted): field
 * names as declared, in declaration order; 64-bit integers as strings; enums
 * by name (a number without a name stays a bare number); bytes in standard
 * base64; zero scalars and empty lists left out; a message that is present
 * is written even when empty (`{}`); a oneof member is written whenever it
 * is set, zero or not; unknown fields are dropped.
 *
 * @bufbuild/protobuf decodes the bytes and says which fields are set (its
 * proto3 presence rules are jsonpb's omission rules). The text is written
 * here rather than by toJson + JSON.stringify because etcd's gateway differs
 * from those in two ways: Go's escaping (`<` → `\u003c`, …) and declaration
 * order (toJson writes number order). Re-serializing toJson's tree to fix
 * both measured twice the cost of this direct writer on a range answer
 * (toJson also base64-encodes in JavaScript, Buffer natively).
 *
 * One jsonpb quirk cannot show: it writes a bytes field that is on the wire
 * but empty as `""` (a non-nil Go slice), which a proto3 decoder cannot tell
 * from an absent one; but no encoder on either side (gogo's, ts-proto's, our
 * hand-written ones) puts an empty bytes field on the wire.
 * @module
 */
import { type DescEnum, type DescField, type DescMessage, fromBinary, ScalarType } from "@bufbuild/protobuf";
import { isReflectMessage, reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { GO_JSON_MAX_DEPTH, goJsonString } from "./go-json.js";

/**
 * The decoder nests as deep as a request the gateway accepts can make the
 * answer (the default limit, 100, would refuse a deeply nested Txn's answer).
 */
const READ_OPTIONS = { readUnknownFields: false, recursionLimit: GO_JSON_MAX_DEPTH };

/** JSON text of message `type` encoded in `data`. */
export function protoToJson(type: DescMessage, data: Uint8Array): string {
  return writeMessage(reflect(type, fromBinary(type, data, READ_OPTIONS)));
}

function writeMessage(message: ReflectMessage): string {
  let out = "{";
  let first = true;
  for (const field of message.fields) {
    if (!message.isSet(field)) continue;
    // A proto field name is an identifier: nothing in it needs escaping.
    out += `${first ? "" : ","}"${field.name}":${writeField(message, field)}`;
    first = false;
  }
  return `${out}}`;
}

function writeField(message: ReflectMessage, field: DescField): string {
  switch (field.fieldKind) {
    case "message":
      return writeMessage(message.get(field));
    case "enum":
      return writeEnum(field.enum, message.get(field));
    case "scalar":
      return writeScalar(field.scalar, message.get(field));
    case "list": {
      let out = "[";
      let first = true;
      for (const item of message.get(field)) {
        out += `${first ? "" : ","}${writeListItem(field, item)}`;
        first = false;
      }
      return `${out}]`;
    }
    case "map":
      throw new Error(`proto schema: map field ${field.toString()} cannot be transcoded`);
  }
}

function writeListItem(field: DescField & { fieldKind: "list" }, item: unknown): string {
  switch (field.listKind) {
    case "message":
      if (!isReflectMessage(item)) throw new Error(`${field.toString()}: expected a message`);
      return writeMessage(item);
    case "enum":
      return writeEnum(field.enum, item);
    case "scalar":
      return writeScalar(field.scalar, item);
  }
}

function writeEnum(type: DescEnum, value: unknown): string {
  if (typeof value !== "number") throw new Error(`${type.toString()}: expected a number`);
  const name = type.value[value]?.name;
  return name === undefined ? String(value) : goJsonString(name);
}

function writeScalar(scalar: ScalarType, value: unknown): string {
  switch (typeof value) {
    case "string":
      return goJsonString(value);
    case "boolean":
      return String(value);
    case "bigint":
      return `"${value}"`;
    case "number":
      return scalar === ScalarType.FLOAT || scalar === ScalarType.DOUBLE ? writeFloat(value) : String(value);
    default:
      if (value instanceof Uint8Array) return `"${Buffer.from(value.buffer, value.byteOffset, value.length).toString("base64")}"`;
      throw new Error(`${ScalarType[scalar]}: unexpected value ${String(value)}`);
  }
}

function writeFloat(f: number): string {
  if (Number.isNaN(f)) return '"NaN"';
  if (f === Infinity) return '"Infinity"';
  if (f === -Infinity) return '"-Infinity"';
  return String(f);
}
