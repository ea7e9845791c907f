/**
 * The request stream of a bidi gateway route, cut into its top-level JSON
 * values as json.Decoder does for grpc-gateway (one value = one request),
 * incrementally: the string, escape and nesting state is carried from chunk
 * to chunk, so every byte is looked at once by the cutter and once more by
 * the scanner when its value is complete — a body costs O(n) however it is
 * chunked. Whitespace between values is dropped as it is read, and a value
 * under construction may not grow past a byte limit, so what a connection
 * holds stays bounded while the stream itself may run for days.
 * @module
 */
import { type JsonNode, scanNext } from "./go-json.js";

/** One complete top-level value: its bytes and its parsed tree (offsets into `bytes`). */
export interface JsonValue {
  readonly bytes: Buffer;
  readonly node: JsonNode;
}

/** A value that grew past the limit before it ended. */
export class JsonValueTooLarge extends Error {
  override readonly name = "JsonValueTooLarge";
  constructor(
    /** Bytes of the value read when it was refused. */
    readonly size: number,
    readonly limit: number,
  ) {
    super(`JSON value larger than ${limit} bytes`);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Bytes a number or literal (`true`, `false`, `null`) is made of: a run of them is cut as one scalar token. */
function isScalarByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x2b || c === 0x2e;
}

/**
 * What the cutter is inside of: nothing yet (whitespace is dropped); an
 * object, array or string (complete when the depth is back to 0 outside a
 * string); a number or literal (complete at the first byte that cannot
 * belong to it).
 */
type Mode = "between" | "nested" | "scalar";

/**
 * A run of scalar bytes with the byte after it (or the body's end): Go reads
 * `1-2` or `truefalse` as several values, so the run is scanned value by value.
 */
interface ScalarRun {
  readonly bytes: Buffer;
  readonly final: boolean;
  pos: number;
}

export class JsonValueSplitter {
  readonly #limit: number;
  /** Chunks not yet cut (the first from `#inputPos`). */
  readonly #input: Buffer[] = [];
  #inputPos = 0;
  /** The bytes of the value being cut, from its first byte. */
  #value: Buffer[] = [];
  #valueBytes = 0;
  /** Size of the value when it was last checked for a syntax error (checks happen on doubling: O(n) in all). */
  #checkedBytes = 0;
  #mode: Mode = "between";
  #depth = 0;
  #inString = false;
  #escaped = false;
  #run: ScalarRun | undefined;
  #ended = false;

  /** `limit`: the most bytes one value may have. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer): void {
    if (this.#ended) throw new Error("JsonValueSplitter: push after end");
    if (chunk.length > 0) this.#input.push(chunk);
  }

  /** The body has ended: a value still open is Go's "unexpected EOF". */
  end(): void {
    this.#ended = true;
  }

  /** No value is being cut and no byte is waiting: after `end()`, the stream is done. */
  get idle(): boolean {
    return this.#run === undefined && this.#input.length === 0 && this.#mode === "between";
  }

  /**
   * The next complete value, or undefined until more bytes come. Throws
   * go-json's JsonSyntaxError with Go's words, or {@link JsonValueTooLarge}.
   * After an error the splitter is not used again.
   */
  next(): JsonValue | undefined {
    for (;;) {
      if (this.#run !== undefined) return this.#nextOfRun(this.#run);
      const chunk = this.#input[0];
      if (chunk === undefined) return this.#atInputEnd();
      const value = this.#cut(chunk);
      if (value !== undefined) return value;
    }
  }

  /** Scans `chunk` from `#inputPos`; returns a value when one completes inside it. */
  #cut(chunk: Buffer): JsonValue | undefined {
    let pos = this.#inputPos;
    const len = chunk.length;
    while (pos < len) {
      const c = chunk[pos]!;
      switch (this.#mode) {
        case "between":
          if (isSpace(c)) {
            pos++;
            continue;
          }
          if (c === 0x7b || c === 0x5b) {
            this.#mode = "nested";
            this.#depth = 1;
          } else if (c === QUOTE) {
            this.#mode = "nested";
            this.#inString = true;
          } else if (isScalarByte(c)) {
            this.#mode = "scalar";
          } else {
            // No value starts with this byte: the scanner words the error.
            scanNext(chunk.subarray(pos, pos + 1), 0, true);
            throw new Error(`JsonValueSplitter: byte ${c} was not refused`);
          }
          this.#inputPos = pos; // the value's first byte
          pos++;
          continue;
        case "nested":
          if (this.#inString) {
            if (this.#escaped) this.#escaped = false;
            else if (c === BACKSLASH) this.#escaped = true;
            else if (c === QUOTE) this.#inString = false;
          } else if (c === QUOTE) this.#inString = true;
          else if (c === 0x7b || c === 0x5b) this.#depth++;
          else if (c === 0x7d || c === 0x5d) this.#depth--;
          pos++;
          if (this.#depth === 0 && !this.#inString) return this.#complete(chunk, pos);
          continue;
        case "scalar":
          if (isScalarByte(c)) {
            pos++;
            continue;
          }
          // The byte after the run stays in the input: it begins what comes next.
          this.#startRun(chunk, pos, false);
          return undefined;
      }
    }
    this.#keep(chunk, len);
    return undefined;
  }

  /** Keeps `chunk[#inputPos, end)` as part of the value being cut and moves to the next chunk. */
  #keep(chunk: Buffer, end: number): void {
    if (this.#mode !== "between" && end > this.#inputPos) {
      this.#value.push(chunk.subarray(this.#inputPos, end));
      this.#valueBytes += end - this.#inputPos;
    }
    this.#input.shift();
    this.#inputPos = 0;
    if (this.#valueBytes > this.#limit) {
      this.#check(); // Go would have refused a syntax error where it occurred: that answer first
      throw new JsonValueTooLarge(this.#valueBytes, this.#limit);
    }
  }

  /** The value ends just before `end` in `chunk`. */
  #complete(chunk: Buffer, end: number): JsonValue {
    const bytes = this.#take(chunk, end);
    const scanned = scanNext(bytes, 0, false); // a syntax error is the answer even when the value is too large
    if (bytes.length > this.#limit) throw new JsonValueTooLarge(bytes.length, this.#limit);
    if (scanned.kind !== "value" || scanned.end !== bytes.length) throw new Error("JsonValueSplitter: cut and scan disagree on a value's end");
    return { bytes, node: scanned.node };
  }

  #startRun(chunk: Buffer, end: number, final: boolean): void {
    if (this.#valueBytes + end - this.#inputPos > this.#limit) throw new JsonValueTooLarge(this.#valueBytes + end - this.#inputPos, this.#limit);
    // The run and the byte after it, so that the scanner sees where a number ends.
    const withNext = final ? this.#take(chunk, end) : Buffer.concat([this.#take(chunk, end), chunk.subarray(end, end + 1)]);
    this.#run = { bytes: withNext, final, pos: 0 };
  }

  #nextOfRun(run: ScalarRun): JsonValue {
    const start = run.pos;
    const scanned = scanNext(run.bytes, start, run.final);
    if (scanned.kind !== "value") throw new Error("JsonValueSplitter: a scalar run did not scan as a value");
    run.pos = scanned.end;
    if (run.pos >= (run.final ? run.bytes.length : run.bytes.length - 1)) this.#run = undefined;
    return { bytes: run.bytes.subarray(start, scanned.end), node: shift(scanned.node, -start) };
  }

  /** The value's bytes: what was kept plus `chunk[#inputPos, end)`; the cutter is reset. */
  #take(chunk: Buffer, end: number): Buffer {
    const tail = chunk.subarray(this.#inputPos, end);
    const bytes = this.#value.length === 0 ? tail : Buffer.concat([...this.#value, tail]);
    this.#inputPos = end;
    if (end >= chunk.length) {
      this.#input.shift();
      this.#inputPos = 0;
    }
    this.#value = [];
    this.#valueBytes = 0;
    this.#checkedBytes = 0;
    this.#mode = "between";
    this.#depth = 0;
    this.#inString = false;
    this.#escaped = false;
    return bytes;
  }

  /** No input left: the value so far is checked (on doubling) and bounded; at the body's end it must be complete. */
  #atInputEnd(): JsonValue | undefined {
    if (this.#mode === "between") return undefined;
    if (this.#ended) {
      if (this.#mode === "scalar") {
        this.#startRun(Buffer.alloc(0), 0, true);
        return this.next();
      }
      scanNext(this.#joined(), 0, true);
      throw new Error("JsonValueSplitter: an open value scanned as complete");
    }
    if (this.#valueBytes >= 2 * this.#checkedBytes) this.#check();
    return undefined;
  }

  /** Go's decoder refuses a bad byte as soon as it reads it, however long the value would go on: so do we, a little later. */
  #check(): void {
    this.#checkedBytes = this.#valueBytes;
    const joined = this.#joined();
    scanNext(joined, 0, false);
  }

  #joined(): Buffer {
    if (this.#value.length !== 1) this.#value = [Buffer.concat(this.#value)];
    return this.#value[0]!;
  }
}

/** A node with its offsets moved by `delta` (a scalar node: no children). */
function shift(node: JsonNode, delta: number): JsonNode {
  if (node.t === "object" || node.t === "array") throw new Error("JsonValueSplitter: a scalar run gave a container");
  return { t: node.t, start: node.start + delta, end: node.end + delta };
}

