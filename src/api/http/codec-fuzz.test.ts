/**
 * Fuzzing the gateway's codecs with random and mutated JSON: the scanner,
 * the JSON → protobuf encoder, the protobuf → JSON writer and the stream
 * splitter. Properties: nothing but the codecs' own typed errors is ever
 * thrown; what the encoder accepts the writer writes, and that canonical
 * form reads back as itself; the splitter cuts a body into the same values and
 * fails with the same error however the body is chunked, and as scanning
 * the whole body value by value does; each input takes bounded time.
 *
 * Seeded: FUZZ_SEED=n replays a run, FUZZ_ITERATIONS=n makes it longer
 * (10^6 and more for a long run).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { SeededRandom } from "../../pkg/random.js";
import { JsonSyntaxError, parseWhole, scanNext } from "./go-json.js";
import { JsonValueSplitter } from "./json-splitter.js";
import { JsonDecodeError, jsonToProto } from "./json-to-proto.js";
import { ProtoSchema } from "./proto-schema.js";
import { protoToJson } from "./proto-to-json.js";

const seed = Number(process.env["FUZZ_SEED"] ?? 20261207);
const iterations = Number(process.env["FUZZ_ITERATIONS"] ?? 20_000);
/** Per input, on a loaded 2-core machine: inputs are at most a few KB. */
const MAX_MS_PER_INPUT = 1_000;

const schema = ProtoSchema.generated();
const types: DescMessage[] = [
  ...new Map(
    schema
      .methodNames()
      .flatMap((name) => [schema.method(name).input, schema.method(name).output])
      .map((t) => [t.typeName, t] as const),
  ).values(),
];

type Rnd = SeededRandom;
const pick = <T>(rnd: Rnd, items: readonly T[]): T => items[rnd.intn(items.length)]!;

const STRINGS = ["", "a", "foo/bar", "x<y>&", "é\n", "\u2028", "\\u0041", "\\ud83d\\ude00", "\\ud800", "\\x", "\t", "YWJj", "YWJj=", "YW", "-_", "\u0001"];
const NUMBERS = ["0", "-0", "1", "-1", "42", "1.5", "1e3", "-1E-2", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616", "4294967296", "01", "1.", ".5", "-", "2147483648", "1e400"];

function randomString(rnd: Rnd): string {
  return `"${pick(rnd, STRINGS)}"`;
}

/** Any JSON value (sometimes nonsense for the field it is given to). */
function randomValue(rnd: Rnd, depth: number): string {
  switch (rnd.intn(depth > 3 ? 5 : 8)) {
    case 0:
      return randomString(rnd);
    case 1:
      return pick(rnd, NUMBERS);
    case 2:
      return pick(rnd, ["true", "false", "null"]);
    case 3:
      return `"${pick(rnd, NUMBERS)}"`;
    case 4:
      return `"${Buffer.from(Array.from({ length: rnd.intn(8) }, () => rnd.intn(256))).toString("base64")}"`;
    case 5:
      return `[${Array.from({ length: rnd.intn(4) }, () => randomValue(rnd, depth + 1)).join(",")}]`;
    default:
      return `{${Array.from({ length: rnd.intn(4) }, () => `${randomString(rnd)}:${randomValue(rnd, depth + 1)}`).join(",")}}`;
  }
}

/** A value meant for `field`: usually of its type, sometimes not. */
function valueFor(rnd: Rnd, field: DescField, depth: number): string {
  if (rnd.intn(8) === 0) return randomValue(rnd, depth);
  const one = (): string => {
    const kind = field.fieldKind === "list" ? field.listKind : field.fieldKind;
    if (kind === "message" && field.message !== undefined) return depth > 4 ? "{}" : messageFor(rnd, field.message, depth + 1);
    if (kind === "enum" && field.enum !== undefined) {
      const values = field.enum.values;
      return rnd.intn(3) === 0 ? String(rnd.intn(values.length + 2)) : `"${pick(rnd, values).name}"`;
    }
    return rnd.intn(2) === 0 ? pick(rnd, NUMBERS) : randomString(rnd);
  };
  if (field.fieldKind === "list") return `[${Array.from({ length: rnd.intn(3) }, one).join(",")}]`;
  return one();
}

function messageFor(rnd: Rnd, type: DescMessage, depth: number): string {
  const entries: string[] = [];
  for (const field of type.fields) {
    if (rnd.intn(3) !== 0) continue;
    const name = rnd.intn(2) === 0 ? field.name : field.jsonName;
    entries.push(`"${name}":${valueFor(rnd, field, depth)}`);
  }
  if (rnd.intn(6) === 0) entries.push(`"unknown_field":${randomValue(rnd, depth)}`);
  return `{${entries.join(rnd.intn(4) === 0 ? " , " : ",")}}`;
}

const JSON_BYTES = Buffer.from('{}[]",:\\ \n\t01-+.eEtrufalsn"');

/** Byte-level damage: flips, insertions, deletions, cuts, repeats, deep nesting. */
function mutate(rnd: Rnd, input: Buffer): Buffer {
  let b: Buffer = input;
  for (let n = rnd.intn(4); n > 0; n--) {
    const at = rnd.intn(b.length + 1);
    switch (rnd.intn(7)) {
      case 0:
        if (at < b.length) b[at] = rnd.intn(3) === 0 ? rnd.intn(256) : JSON_BYTES[rnd.intn(JSON_BYTES.length)]!;
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, at), Buffer.of(JSON_BYTES[rnd.intn(JSON_BYTES.length)]!), b.subarray(at)]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rnd.intn(4))]);
        break;
      case 3:
        b = b.subarray(0, at);
        break;
      case 4: {
        const from = rnd.intn(b.length + 1);
        b = Buffer.concat([b.subarray(0, at), b.subarray(from, from + rnd.intn(16)), b.subarray(at)]);
        break;
      }
      case 5: {
        const depth = rnd.intn(3) === 0 ? 900 + rnd.intn(200) : rnd.intn(20);
        b = Buffer.concat([b.subarray(0, at), Buffer.from("[".repeat(depth)), b.subarray(at)]);
        break;
      }
      default:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(pick(rnd, [" ", "\n\n", "\u00e9", "\ufffd", "\\", '"']), "utf8"), b.subarray(at)]);
    }
  }
  return Buffer.from(b);
}

/** A body for a stream: a few requests (some damaged), whitespace between, sometimes garbage. */
function randomBody(rnd: Rnd, type: DescMessage): Buffer {
  const parts: Buffer[] = [];
  for (let n = 1 + rnd.intn(4); n > 0; n--) {
    let value: Buffer = Buffer.from(rnd.intn(5) === 0 ? randomValue(rnd, 0) : messageFor(rnd, type, 0));
    if (rnd.intn(3) === 0) value = mutate(rnd, value);
    parts.push(value, Buffer.from(pick(rnd, ["", " ", "\n", "\r\n\t  "])));
  }
  return Buffer.concat(parts);
}

const isCodecError = (err: unknown): boolean => err instanceof JsonSyntaxError || err instanceof JsonDecodeError;

/** What a body splits into: the values' text, then "!" and the error that ended it (or "end"). */
function split(body: Buffer, cuts: readonly number[]): string[] {
  const splitter = new JsonValueSplitter(1 << 30);
  const out: string[] = [];
  try {
    let from = 0;
    for (const cut of [...cuts, body.length]) {
      splitter.push(body.subarray(from, cut));
      from = cut;
      for (let v = splitter.next(); v !== undefined; v = splitter.next()) out.push(v.bytes.subarray(v.node.start, v.node.end).toString("latin1"));
    }
    splitter.end();
    for (let v = splitter.next(); v !== undefined; v = splitter.next()) out.push(v.bytes.subarray(v.node.start, v.node.end).toString("latin1"));
    assert.ok(splitter.idle, "a finished splitter holds nothing");
    out.push("!end");
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    out.push(`!${err.message}`);
  }
  return out;
}

/** The reference: the whole body in memory, scanned value by value (what the gateway did before it streamed). */
function scanAll(body: Buffer): string[] {
  const out: string[] = [];
  try {
    for (let pos = 0; ; ) {
      const r = scanNext(body, pos, true);
      if (r.kind !== "value") break;
      out.push(body.subarray(r.node.start, r.node.end).toString("latin1"));
      pos = r.end;
    }
    out.push("!end");
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    out.push(`!${err.message}`);
  }
  return out;
}

function randomCuts(rnd: Rnd, length: number): number[] {
  const cuts = Array.from({ length: rnd.intn(6) }, () => rnd.intn(length + 1));
  if (rnd.intn(8) === 0) return Array.from({ length }, (_, i) => i); // byte by byte
  return cuts.sort((a, b) => a - b);
}

/** One request through the encoder and, when accepted, the writer and back. */
function transcode(type: DescMessage, body: Buffer): void {
  let proto: Buffer;
  try {
    const node = parseWhole(body);
    proto = jsonToProto(type, body, node);
  } catch (err) {
    if (isCodecError(err)) return;
    throw err;
  }
  // The canonical form reads back as itself. (Not the bytes: two members of one oneof are both
  // written, as Go picks either of them in map order; the canonical form has one.)
  const json = protoToJson(type, proto);
  const again = Buffer.from(json);
  assert.equal(protoToJson(type, jsonToProto(type, again, parseWhole(again))), json, `${type.typeName}: ${body.toString("latin1")}`);
}

test(`gateway codecs under ${iterations} random and mutated inputs (seed ${seed})`, { timeout: 30 * 60_000 }, () => {
  const rnd = new SeededRandom(seed);
  let slowest = 0;
  let accepted = 0;
  for (let i = 0; i < iterations; i++) {
    const type = pick(rnd, types);
    const body = randomBody(rnd, type);
    const started = performance.now();
    const context = `iteration ${i} (FUZZ_SEED=${seed}), ${type.typeName}: ${JSON.stringify(body.toString("latin1"))}`;
    try {
      transcode(type, body);
      const first = scanNext(body, 0, true);
      if (first.kind === "value") {
        transcode(type, body.subarray(first.node.start, first.node.end));
        accepted++;
      }
    } catch (err) {
      if (!isCodecError(err)) assert.fail(`${context}: ${String(err)}`);
    }
    const whole = scanAll(body);
    assert.deepEqual(split(body, []), whole, `${context}: one chunk`);
    const cuts = randomCuts(rnd, body.length);
    assert.deepEqual(split(body, cuts), whole, `${context}: cut at ${cuts.join(",")}`);
    slowest = Math.max(slowest, performance.now() - started);
  }
  console.log(`${iterations} inputs, ${accepted} began with a value, slowest ${slowest.toFixed(1)} ms`);
  assert.ok(slowest < MAX_MS_PER_INPUT, `an input took ${slowest.toFixed(0)} ms`);
});
