// gRPC wire details without sockets: message framing, decoding bounds, grpc-timeout, grpc-message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateSync, gzipSync } from "node:zlib";
import { RpcError } from "../rpc/contract.js";
import { Code, frameMessage, MALFORMED_TIMEOUT, MessageReader, parseTimeout, percentEncode, requestEncoding } from "./wire.js";

const MiB = 1024 * 1024;

/** A message with the compressed flag set. */
function compressedFrame(body: Buffer): Buffer {
  const out = frameMessage(body);
  out[0] = 1;
  return out;
}

/** Asserts that `fn` throws an RpcError with `code` and exactly `message`. */
function throwsRpc(fn: () => unknown, code: number, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RpcError, String(e));
    assert.equal(e.code, code);
    if (typeof message === "string") assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

/** Every complete message the reader holds now. */
function drain(reader: MessageReader): Buffer[] {
  const out: Buffer[] = [];
  for (let m = reader.next(); m !== undefined; m = reader.next()) out.push(Buffer.from(m));
  return out;
}

test("MessageReader splits messages at any chunk boundary", () => {
  const bodies = [Buffer.alloc(0), Buffer.from("a"), Buffer.alloc(70_000, 7), Buffer.from("last")];
  const stream = Buffer.concat(bodies.map((b) => frameMessage(b)));
  for (const size of [1, 2, 3, 4, 5, 6, 7, 4096, 16_384, stream.length]) {
    const reader = new MessageReader(1 << 20, "identity");
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i += size) {
      reader.push(stream.subarray(i, i + size));
      got.push(...drain(reader));
    }
    assert.equal(reader.partial, false);
    assert.equal(reader.buffered, 0);
    assert.deepEqual(got, bodies, `chunks of ${size}`);
  }
});

test("MessageReader holds messages it is not asked for as bytes; partial only when the bytes end mid-message", () => {
  const reader = new MessageReader(100, "identity");
  reader.push(Buffer.concat([frameMessage(Buffer.from("one")), frameMessage(Buffer.from("two"))]));
  assert.equal(reader.partial, false);
  reader.push(frameMessage(Buffer.from("three")).subarray(0, 7));
  assert.equal(reader.partial, true, "two whole messages and the start of a third");
  assert.equal(reader.buffered, 8 + 8 + 7);
  assert.deepEqual(drain(reader), [Buffer.from("one"), Buffer.from("two")]);
  assert.equal(reader.partial, true);
});

test("MessageReader: a message sent in one-byte pieces arrives whole; messages handed out are never written over", () => {
  const reader = new MessageReader(1 << 20, "identity");
  const first = Buffer.alloc(10_000, 1);
  const second = Buffer.alloc(10_000, 2);
  const bytes = Buffer.concat([frameMessage(first), frameMessage(second)]);
  const got: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) {
    reader.push(bytes.subarray(i, i + 1));
    for (let m = reader.next(); m !== undefined; m = reader.next()) got.push(m); // views, not copies
  }
  assert.equal(got.length, 2);
  assert.ok(got[0]!.equals(first), "the first message is intact after the second was gathered");
  assert.ok(got[1]!.equals(second));
});

test("MessageReader refuses an oversized message from its length prefix alone, with grpc-go's words", () => {
  const reader = new MessageReader(100, "identity");
  reader.push(frameMessage(Buffer.alloc(101)).subarray(0, 5));
  throwsRpc(() => reader.next(), Code.RESOURCE_EXHAUSTED, "grpc: received message larger than max (101 vs. 100)");
  const huge = new MessageReader(4 * MiB, "identity");
  huge.push(Buffer.from([0, 0xff, 0xff, 0xff, 0xff]));
  throwsRpc(() => huge.next(), Code.RESOURCE_EXHAUSTED, `grpc: received message larger than max (4294967295 vs. ${4 * MiB})`);
});

test("compressed messages: gzip and deflate are decoded; the bound applies after decompression", () => {
  const body = Buffer.alloc(50_000, 0x61);
  const gz = new MessageReader(50_000, "gzip");
  gz.push(compressedFrame(gzipSync(body)));
  assert.ok(gz.next()!.equals(body));
  const df = new MessageReader(50_000, "deflate");
  df.push(compressedFrame(deflateSync(body)));
  assert.ok(df.next()!.equals(body));
  // One byte more than the limit once inflated, though small on the wire.
  const over = Buffer.alloc(50_001, 0x61);
  const gzOver = new MessageReader(50_000, "gzip");
  gzOver.push(compressedFrame(gzipSync(over)));
  throwsRpc(() => gzOver.next(), Code.RESOURCE_EXHAUSTED, "grpc: received message larger than max (50001 vs. 50000)");
  const dfOver = new MessageReader(50_000, "deflate");
  dfOver.push(compressedFrame(deflateSync(over)));
  throwsRpc(() => dfOver.next(), Code.RESOURCE_EXHAUSTED, "grpc: received message larger than max (50001 vs. 50000)");
});

test("a gzip bomb (10 MiB of zeros in ~10 KiB) is refused without inflating it", () => {
  const bomb = gzipSync(Buffer.alloc(10 * MiB));
  assert.ok(bomb.length < 20_000, `compressed to ${bomb.length} bytes`);
  const reader = new MessageReader(4 * MiB, "gzip");
  reader.push(compressedFrame(bomb));
  // The size comes from gzip's own trailer, as grpc-go reports it.
  throwsRpc(() => reader.next(), Code.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${10 * MiB} vs. ${4 * MiB})`);
  // A trailer that lies (says 100 bytes): inflating stops one byte past the limit.
  const liar = Buffer.from(bomb);
  liar.writeUInt32LE(100, liar.length - 4);
  const fooled = new MessageReader(4 * MiB, "gzip");
  fooled.push(compressedFrame(liar));
  throwsRpc(() => fooled.next(), Code.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${4 * MiB + 1} vs. ${4 * MiB})`);
});

test("the compressed flag without an encoding, an unknown flag and corrupt data get grpc-go's answers", () => {
  const identity = new MessageReader(100, "identity");
  identity.push(compressedFrame(gzipSync(Buffer.from("x"))));
  throwsRpc(() => identity.next(), Code.INTERNAL, "grpc: compressed flag set with identity or empty encoding");
  const flagged = new MessageReader(100, "identity");
  const two = frameMessage(Buffer.from("x"));
  two[0] = 2;
  flagged.push(two);
  throwsRpc(() => flagged.next(), Code.INTERNAL, "grpc: received unexpected payload format 2");
  const corrupt = new MessageReader(100, "gzip");
  corrupt.push(compressedFrame(Buffer.from("not gzip at all")));
  throwsRpc(() => corrupt.next(), Code.INTERNAL, /^grpc: failed to decompress the received message /);
});

test("requestEncoding: identity, gzip and deflate are decoded; any other is UNIMPLEMENTED with grpc-go's words", () => {
  assert.equal(requestEncoding(undefined), "identity");
  assert.equal(requestEncoding("identity"), "identity");
  assert.equal(requestEncoding("gzip"), "gzip");
  assert.equal(requestEncoding("deflate"), "deflate");
  const snappy = requestEncoding("snappy");
  assert.ok(snappy instanceof RpcError);
  assert.equal(snappy.code, Code.UNIMPLEMENTED);
  assert.equal(snappy.message, 'grpc: Decompressor is not installed for grpc-encoding "snappy"');
  const odd = requestEncoding('a"b\t\u00e9');
  assert.ok(odd instanceof RpcError);
  assert.equal(odd.message, 'grpc: Decompressor is not installed for grpc-encoding "a\\"b\\t\\xe9"');
});

test("parseTimeout reads grpc-timeout as grpc-go does", () => {
  assert.equal(parseTimeout("100m"), 100);
  assert.equal(parseTimeout("5S"), 5000);
  assert.equal(parseTimeout("2M"), 120_000);
  assert.equal(parseTimeout("1H"), 3_600_000);
  assert.equal(parseTimeout("1000u"), 1);
  assert.equal(parseTimeout("1000000n"), 1);
  assert.equal(parseTimeout("12345678S"), 12_345_678_000); // 8 digits, the most the spec allows
  // Go's ParseInt takes a sign: "-1S" is a deadline already past.
  assert.equal(parseTimeout("-1S"), -1000);
  assert.equal(parseTimeout("+5m"), 5);
  for (const bad of ["123456789m", "10", "S", "", "1.5S", "5s", " 5S", "5S ", "abcS", "0x1S"]) {
    assert.equal(parseTimeout(bad), MALFORMED_TIMEOUT, JSON.stringify(bad));
  }
});

test("grpc-message encoding", () => {
  assert.equal(percentEncode("plain text: ok"), "plain text: ok");
  assert.equal(percentEncode("100%"), "100%25");
  assert.equal(percentEncode("é\n"), "%C3%A9%0A");
  assert.equal(percentEncode(" padded "), "%20padded%20");
});
