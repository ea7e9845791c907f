import { test } from "node:test";
import assert from "node:assert/strict";
import { JsonSyntaxError } from "./go-json.js";
import { JsonValueSplitter, JsonValueTooLarge } from "./json-splitter.js";

/** Everything the splitter gives for `chunks` (then the end), as text. */
function values(chunks: readonly string[], limit = 1 << 20): string[] {
  const splitter = new JsonValueSplitter(limit);
  const out: string[] = [];
  const drain = (): void => {
    for (let v = splitter.next(); v !== undefined; v = splitter.next()) out.push(v.bytes.subarray(v.node.start, v.node.end).toString());
  };
  for (const chunk of chunks) {
    splitter.push(Buffer.from(chunk));
    drain();
  }
  splitter.end();
  drain();
  return out;
}

test("values are cut wherever the chunks end: in strings, escapes, numbers, literals", () => {
  const body = ' {"a":"x\\"}y","b":[1,{"c":null}]}\n[1,2]"s\\\\"12 -3.5e+2 true false null {}';
  const expected = ['{"a":"x\\"}y","b":[1,{"c":null}]}', "[1,2]", '"s\\\\"', "12", "-3.5e+2", "true", "false", "null", "{}"];
  assert.deepEqual(values([body]), expected);
  for (let cut = 0; cut <= body.length; cut++) assert.deepEqual(values([body.slice(0, cut), body.slice(cut)]), expected, `cut at ${cut}`);
  assert.deepEqual(values(body.split("")), expected, "byte by byte (the body is ASCII)");
});

test("values that touch are separate, as json.Decoder reads them: 1-2, truefalse, {}[]", () => {
  assert.deepEqual(values(["1-2 truefalse{}[]"]), ["1", "-2", "true", "false", "{}", "[]"]);
});

test("a number at the end of a chunk waits for the next byte; at the end of the body it is complete", () => {
  const splitter = new JsonValueSplitter(100);
  splitter.push(Buffer.from("12"));
  assert.equal(splitter.next(), undefined);
  splitter.push(Buffer.from("3"));
  assert.equal(splitter.next(), undefined);
  splitter.end();
  assert.equal(splitter.next()?.bytes.toString(), "123");
  assert.ok(splitter.idle);
});

test("syntax errors get Go's words, and a bad byte in an open value is refused before the value ends", () => {
  assert.throws(() => values(['{"a":1]']), new JsonSyntaxError("invalid character ']' after object key:value pair"));
  assert.throws(() => values(["}"]), new JsonSyntaxError("invalid character '}' looking for beginning of value"));
  assert.throws(() => values(['{"a":1']), new JsonSyntaxError("unexpected EOF"));
  assert.throws(() => values(["tru "]), new JsonSyntaxError("invalid character ' ' in literal true (expecting 'e')"));
  const splitter = new JsonValueSplitter(1 << 20);
  splitter.push(Buffer.from('{"key": "\\q'));
  assert.throws(() => splitter.next(), new JsonSyntaxError("invalid character 'q' in string escape code"));
});

test("nesting past the depth cap is refused within a few KB of a '[[[[…' body, not at the size limit", () => {
  const splitter = new JsonValueSplitter(64 << 20);
  const chunk = Buffer.alloc(512, "[");
  let pushed = 0;
  assert.throws(() => {
    for (;;) {
      splitter.push(chunk);
      pushed += chunk.length;
      splitter.next();
    }
  }, new JsonSyntaxError("invalid character '[' exceeded max depth"));
  assert.ok(pushed <= 4096, `refused after ${pushed} bytes`);
});

test("a value past the limit is refused once the limit is passed: an unterminated string, digits forever", () => {
  for (const fill of ['"', "1"]) {
    const splitter = new JsonValueSplitter(1 << 20);
    const chunk = Buffer.alloc(64 << 10, fill === '"' ? "a" : "1");
    splitter.push(Buffer.from(fill));
    let pushed = 1;
    let refused: unknown;
    try {
      for (;;) {
        splitter.push(chunk);
        pushed += chunk.length;
        splitter.next();
      }
    } catch (err) {
      refused = err;
    }
    assert.ok(refused instanceof JsonValueTooLarge, String(refused));
    assert.ok(pushed <= (1 << 20) + chunk.length + 1, `refused after ${pushed} bytes`);
  }
  // A complete value over the limit too, unless it has a syntax error (Go's answer first).
  assert.throws(() => values([`"${"a".repeat(100)}"`], 50), JsonValueTooLarge);
  assert.throws(() => values([`"${"a".repeat(100)}\\q"`], 50), JsonSyntaxError);
});

test("whitespace between values is dropped as it is read: a body of whitespace forever holds nothing", () => {
  const splitter = new JsonValueSplitter(1024);
  const spaces = Buffer.alloc(64 << 10, " \n\t\r");
  for (let i = 0; i < 1600; i++) {
    splitter.push(spaces); // 100 MB in all, far past the per-value limit
    assert.equal(splitter.next(), undefined);
    assert.ok(splitter.idle);
  }
  splitter.push(Buffer.from("{}"));
  assert.equal(splitter.next()?.bytes.toString(), "{}");
});

test("a 64 MB body of small requests is cut in linear time", () => {
  const request = '{"create_request":{"key":"YWJj","range_end":"YWJk"}}\n';
  const body = Buffer.from(request.repeat(Math.ceil((64 << 20) / request.length)));
  const splitter = new JsonValueSplitter(1 << 20);
  const started = performance.now();
  let n = 0;
  for (let i = 0; i < body.length; i += 65536) {
    splitter.push(body.subarray(i, i + 65536));
    while (splitter.next() !== undefined) n++;
  }
  splitter.end();
  while (splitter.next() !== undefined) n++;
  const ms = performance.now() - started;
  assert.equal(n, body.length / request.length);
  // About 1 s here; quadratic cutting (the whole buffer rescanned per chunk) would take hours.
  assert.ok(ms < 60_000, `${ms.toFixed(0)} ms`);
});
