/**
 * JSON as Go's encoding/json reads and writes it — what etcd's gateway is
 * built on, so that its answers to bad input (the exact error texts) and its
 * output escaping can be matched byte for byte. This file has the scanner
 * (one value at a time from a byte buffer, the way json.Decoder reads a
 * request body, or a whole document the way json.Unmarshal does), the
 * string unescaping and Go's quoting helpers used in error messages.
 * @module
 */

/** A syntax error with the message Go's scanner gives for the same input. */
export class JsonSyntaxError extends Error {
  override readonly name = "JsonSyntaxError";
}

export type JsonNode =
  | { readonly t: "object"; readonly start: number; readonly end: number; readonly entries: readonly (readonly [JsonNode, JsonNode])[] }
  | { readonly t: "array"; readonly start: number; readonly end: number; readonly items: readonly JsonNode[] }
  | { readonly t: "string" | "number" | "true" | "false" | "null"; readonly start: number; readonly end: number };

/** What json.Decoder finds next in a stream. */
export type ScanResult =
  | { kind: "value"; node: JsonNode; end: number }
  /** Only whitespace is left (io.EOF). */
  | { kind: "eof" }
  /** The value is cut off; more bytes may complete it. */
  | { kind: "incomplete" };

/** Go's scanner refuses deeper nesting than this. */
export const GO_JSON_MAX_DEPTH = 10000;

/**
 * Ours refuses deeper nesting than this, with Go's "exceeded max depth"
 * error. The scanner recurses, and a few thousand levels can exhaust the
 * stack (measured: a 4,000-deep body overflowed it, so one 8 KB request
 * could end the process). No etcd message nests more than a few levels, so
 * a body this deep fails in Go as well, only with another message.
 */
export const SCAN_MAX_DEPTH = 1000;

/** Thrown (one shared instance, no stack captured per throw) when the input ends inside a value. */
class Incomplete extends Error {}
const INCOMPLETE = new Incomplete("incomplete JSON value");

/**
 * Reads the next value of a stream from `pos`, as json.Decoder.Decode does.
 * With `final` (the body has ended) a cut-off value is Go's "unexpected EOF".
 */
export function scanNext(buf: Uint8Array, pos: number, final: boolean): ScanResult {
  const p = new Scanner(buf);
  const start = p.skipSpace(pos);
  if (start >= buf.length) return { kind: "eof" };
  try {
    const node = p.value(start, 0);
    if (node.t === "number" && node.end >= buf.length && !final) return { kind: "incomplete" };
    return { kind: "value", node, end: node.end };
  } catch (err) {
    if (err instanceof Incomplete) {
      if (final) throw new JsonSyntaxError("unexpected EOF");
      return { kind: "incomplete" };
    }
    throw err;
  }
}

/** Parses a whole document as json.Unmarshal does (one value, then only whitespace). */
export function parseWhole(buf: Uint8Array): JsonNode {
  const p = new Scanner(buf);
  const start = p.skipSpace(0);
  let node: JsonNode;
  try {
    node = p.value(start, 0);
  } catch (err) {
    if (err instanceof Incomplete) throw new JsonSyntaxError("unexpected end of JSON input");
    throw err;
  }
  const rest = p.skipSpace(node.end);
  if (rest < buf.length) throw syntaxError(buf[rest]!, "after top-level value");
  return node;
}

function syntaxError(c: number, context: string): JsonSyntaxError {
  return new JsonSyntaxError(`invalid character ${quoteChar(c)} ${context}`);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** A recursive scanner whose errors read like the states of Go's scanner. */
class Scanner {
  readonly #b: Uint8Array;

  constructor(buf: Uint8Array) {
    this.#b = buf;
  }

  skipSpace(pos: number): number {
    const b = this.#b;
    while (pos < b.length && isSpace(b[pos]!)) pos++;
    return pos;
  }

  #at(pos: number): number {
    const c = this.#b[pos];
    if (c === undefined) throw INCOMPLETE;
    return c;
  }

  value(pos: number, depth: number): JsonNode {
    const c = this.#at(pos);
    switch (c) {
      case 0x7b: // {
        return this.#object(pos, depth + 1);
      case 0x5b: // [
        return this.#array(pos, depth + 1);
      case 0x22: // "
        return { t: "string", start: pos, end: this.#string(pos) };
      case 0x74:
        return { t: "true", start: pos, end: this.#literal(pos, "true") };
      case 0x66:
        return { t: "false", start: pos, end: this.#literal(pos, "false") };
      case 0x6e:
        return { t: "null", start: pos, end: this.#literal(pos, "null") };
      default:
        if (c === 0x2d || isDigit(c)) return { t: "number", start: pos, end: this.#number(pos) };
        throw syntaxError(c, "looking for beginning of value");
    }
  }

  #object(start: number, depth: number): JsonNode {
    if (depth > SCAN_MAX_DEPTH) throw syntaxError(0x7b, "exceeded max depth");
    const entries: [JsonNode, JsonNode][] = [];
    let pos = this.skipSpace(start + 1);
    if (this.#at(pos) === 0x7d) return { t: "object", start, end: pos + 1, entries };
    for (;;) {
      const c = this.#at(pos);
      if (c !== 0x22) throw syntaxError(c, "looking for beginning of object key string");
      const key: JsonNode = { t: "string", start: pos, end: this.#string(pos) };
      pos = this.skipSpace(key.end);
      const colon = this.#at(pos);
      if (colon !== 0x3a) throw syntaxError(colon, "after object key");
      const value = this.value(this.skipSpace(pos + 1), depth);
      entries.push([key, value]);
      pos = this.skipSpace(value.end);
      const next = this.#at(pos);
      if (next === 0x7d) return { t: "object", start, end: pos + 1, entries };
      if (next !== 0x2c) throw syntaxError(next, "after object key:value pair");
      pos = this.skipSpace(pos + 1);
    }
  }

  #array(start: number, depth: number): JsonNode {
    if (depth > SCAN_MAX_DEPTH) throw syntaxError(0x5b, "exceeded max depth");
    const items: JsonNode[] = [];
    let pos = this.skipSpace(start + 1);
    if (this.#at(pos) === 0x5d) return { t: "array", start, end: pos + 1, items };
    for (;;) {
      const item = this.value(pos, depth);
      items.push(item);
      pos = this.skipSpace(item.end);
      const next = this.#at(pos);
      if (next === 0x5d) return { t: "array", start, end: pos + 1, items };
      if (next !== 0x2c) throw syntaxError(next, "after array element");
      pos = this.skipSpace(pos + 1);
    }
  }

  /** From the opening quote; returns the index after the closing one. */
  #string(start: number): number {
    let pos = start + 1;
    for (;;) {
      const c = this.#at(pos);
      if (c === 0x22) return pos + 1;
      if (c === 0x5c) {
        const e = this.#at(pos + 1);
        if (e === 0x75) {
          for (let i = 2; i < 6; i++) {
            const h = this.#at(pos + i);
            if (!isHex(h)) throw syntaxError(h, "in \\u hexadecimal character escape");
          }
          pos += 6;
        } else if ('bfnrt\\/"'.includes(String.fromCharCode(e))) {
          pos += 2;
        } else {
          throw syntaxError(e, "in string escape code");
        }
      } else if (c < 0x20) {
        throw syntaxError(c, "in string literal");
      } else {
        pos++;
      }
    }
  }

  #literal(start: number, word: string): number {
    for (let i = 1; i < word.length; i++) {
      const c = this.#at(start + i);
      if (c !== word.charCodeAt(i)) throw syntaxError(c, `in literal ${word} (expecting ${quoteChar(word.charCodeAt(i))})`);
    }
    return start + word.length;
  }

  #number(start: number): number {
    const b = this.#b;
    let pos = start;
    if (b[pos] === 0x2d) {
      pos++;
      const c = this.#at(pos);
      if (!isDigit(c)) throw syntaxError(c, "in numeric literal");
    }
    if (b[pos] === 0x30) pos++;
    else while (pos < b.length && isDigit(b[pos]!)) pos++;
    if (b[pos] === 0x2e) {
      pos++;
      const c = this.#at(pos);
      if (!isDigit(c)) throw syntaxError(c, "after decimal point in numeric literal");
      while (pos < b.length && isDigit(b[pos]!)) pos++;
    }
    if (b[pos] === 0x65 || b[pos] === 0x45) {
      pos++;
      let c = this.#at(pos);
      if (c === 0x2b || c === 0x2d) c = this.#at(++pos);
      if (!isDigit(c)) throw syntaxError(c, "in exponent of numeric literal");
      while (pos < b.length && isDigit(b[pos]!)) pos++;
    }
    return pos;
  }
}

/** The value kind Go names in "cannot unmarshal X into …" errors. */
export function goKindOf(node: JsonNode): string {
  switch (node.t) {
    case "object":
      return "object";
    case "array":
      return "array";
    case "string":
      return "string";
    case "number":
      return "number";
    case "true":
    case "false":
      return "bool";
    case "null":
      return "null";
  }
}

/** The raw text of a node (for numbers; for strings, quotes included). */
export function rawText(buf: Uint8Array, node: JsonNode): string {
  return Buffer.from(buf.buffer, buf.byteOffset + node.start, node.end - node.start).toString("latin1");
}

/**
 * The bytes a JSON string stands for, as Go decodes it: escapes resolved,
 * `\u` surrogate pairs joined, a lone surrogate replaced by U+FFFD.
 */
export function unescapeString(buf: Uint8Array, node: JsonNode): Buffer {
  const start = node.start + 1;
  const end = node.end - 1;
  let simple = true;
  for (let i = start; i < end; i++) {
    if (buf[i] === 0x5c) {
      simple = false;
      break;
    }
  }
  if (simple) return Buffer.from(buf.subarray(start, end));
  const out: number[] = [];
  const pushRune = (r: number): void => {
    for (const byte of Buffer.from(String.fromCodePoint(r), "utf8")) out.push(byte);
  };
  for (let i = start; i < end; ) {
    const c = buf[i]!;
    if (c !== 0x5c) {
      out.push(c);
      i++;
      continue;
    }
    const e = buf[i + 1]!;
    i += 2;
    switch (e) {
      case 0x62: out.push(0x08); break;
      case 0x66: out.push(0x0c); break;
      case 0x6e: out.push(0x0a); break;
      case 0x72: out.push(0x0d); break;
      case 0x74: out.push(0x09); break;
      case 0x75: {
        let r = hex4(buf, i);
        i += 4;
        if (r >= 0xd800 && r < 0xdc00) {
          if (buf[i] === 0x5c && buf[i + 1] === 0x75) {
            const r2 = hex4(buf, i + 2);
            if (r2 >= 0xdc00 && r2 < 0xe000) {
              r = 0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00);
              i += 6;
            } else {
              r = 0xfffd;
            }
          } else {
            r = 0xfffd;
          }
        } else if (r >= 0xdc00 && r < 0xe000) {
          r = 0xfffd;
        }
        pushRune(r);
        break;
      }
      default:
        out.push(e); // \" \\ \/
    }
  }
  return Buffer.from(out);
}

function hex4(buf: Uint8Array, at: number): number {
  return Number.parseInt(Buffer.from(buf.subarray(at, at + 4)).toString("latin1"), 16);
}

/** Go's quoteChar: how the scanner shows an offending byte. */
export function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return "'\"'";
  const quoted = goQuote(String.fromCodePoint(c));
  return `'${quoted.slice(1, -1)}'`;
}

/** Go's strconv.Quote (what %q prints) for a string. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const r = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (r === 0x07) out += "\\a";
    else if (r === 0x08) out += "\\b";
    else if (r === 0x0c) out += "\\f";
    else if (r === 0x0a) out += "\\n";
    else if (r === 0x0d) out += "\\r";
    else if (r === 0x09) out += "\\t";
    else if (r === 0x0b) out += "\\v";
    else if (r < 0x20 || r === 0x7f) out += `\\x${r.toString(16).padStart(2, "0")}`;
    else if (isGoPrintable(ch)) out += ch;
    else if (r < 0x10000) out += `\\u${r.toString(16).padStart(4, "0")}`;
    else out += `\\U${r.toString(16).padStart(8, "0")}`;
  }
  return `${out}"`;
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function isGoPrintable(ch: string): boolean {
  return PRINTABLE.test(ch);
}

/**
 * A string as Go's json.Marshal writes it: HTML-safe (`<`, `>`, `&`
 * escaped), U+2028/U+2029 escaped, control characters as \n \r \t or \u00XX.
 */
export function goJsonString(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20) {
      esc = c === 0x0a ? "\\n" : c === 0x0d ? "\\r" : c === 0x09 ? "\\t" : `\\u00${c.toString(16).padStart(2, "0")}`;
    } else if (c === 0x22) {
      esc = '\\"';
    } else if (c === 0x5c) {
      esc = "\\\\";
    } else if (c === 0x3c || c === 0x3e || c === 0x26) {
      esc = `\\u00${c.toString(16)}`;
    } else if (c === 0x2028 || c === 0x2029) {
      esc = `\\u${c.toString(16)}`;
    } else if (c >= 0xd800 && c < 0xe000) {
      // A lone surrogate cannot be valid UTF-8: Go writes U+FFFD.
      const pair = c < 0xdc00 && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) < 0xe000;
      if (pair) {
        i++;
        continue;
      }
      esc = "\\ufffd";
    }
    if (esc !== undefined) {
      out += s.slice(from, i) + esc;
      from = i + 1;
    }
  }
  return `${out}${s.slice(from)}"`;
}
