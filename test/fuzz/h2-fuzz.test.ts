/**
 * Fuzzes our HTTP/2 frame layer, HPACK decoder and gRPC message reader in
 * process, with no server: (a) random bytes, (b) valid frame sequences with
 * mutated lengths, flags, stream ids, settings values and padding, (c) valid
 * HPACK blocks with mutated bytes — each fed to a fresh H2Connection over a
 * fake socket in random chunk splits; and the HPACK decoder and gRPC
 * MessageReader on their own. Properties: no exception escapes (a bad
 * input ends the connection with GOAWAY, or is an HpackError / RpcError),
 * no input reaches the connection's internal-error path, every input
 * finishes in bounded time, and the heap stays bounded over the run.
 * FUZZ_SEED=n replays a run; FUZZ_ITERATIONS=n sets the inputs per target
 * (default 60,000 each, about 10 s; a long run of 10^6 each takes about
 * 2 minutes).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { gzipSync } from "node:zlib";
import { H2Connection, type H2Options } from "../../src/api/h2/connection.js";
import { encodeHeaders, HpackDecoder, HpackError } from "../../src/api/h2/hpack.js";
import { MessageReader, requestEncoding } from "../../src/api/grpc/wire.js";
import { RpcError } from "../../src/api/rpc/contract.js";
import { SeededRandom } from "../../src/pkg/random.js";
import { frame } from "../attack/raw-h2.js";

const seed = Number(process.env["FUZZ_SEED"] ?? 20261207);
const iterations = Number(process.env["FUZZ_ITERATIONS"] ?? 60_000);
/** The most CPU time one input may take (process CPU, so a loaded machine that deschedules us does not count; GC pauses do). */
const MAX_INPUT_MS = 1_000;
/** Growth of the retained heap (after a full GC) allowed over a target's whole run. */
const MAX_HEAP_GROWTH_MIB = 64;

const OPTIONS: H2Options = {
  maxConcurrentStreams: 100,
  streamWindow: 65_535,
  connectionWindow: 1 << 20,
  maxHeaderListSize: 16 * 1024,
  keepaliveIntervalMs: 0,
  keepaliveTimeoutMs: 0,
};

/** The part of a net.Socket that H2Connection uses: writes are counted and scanned for GOAWAY. */
class FakeSocket extends EventEmitter {
  written = 0;
  goaway = false;
  ended = false;
  destroyed = false;

  setNoDelay(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  write(data: Buffer): boolean {
    this.written += data.length;
    // Our own writes are frame-aligned: walk the frame headers.
    for (let at = 0; at + 9 <= data.length; at += 9 + data.readUIntBE(at, 3)) if (data[at + 3] === 0x7) this.goaway = true;
    return true;
  }
  end(cb?: () => void): this {
    this.ended = true;
    if (cb !== undefined) queueMicrotask(cb);
    return this;
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.emit("close");
    }
    return this;
  }
}

function bytes(r: SeededRandom, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = r.intn(256);
  return b;
}

const REQUEST_FIELDS: [string, string][] = [
  [":method", "POST"],
  [":scheme", "http"],
  [":path", "/etcdserverpb.KV/Range"],
  [":authority", "127.0.0.1:2379"],
  ["content-type", "application/grpc"],
  ["te", "trailers"],
  ["grpc-timeout", "5S"],
];

/** Valid header blocks: our encoder's literals, plus indexed and incrementally indexed fields and a table size update. */
function validBlock(r: SeededRandom): Buffer {
  const parts = [encodeHeaders(REQUEST_FIELDS)];
  if (r.intn(2) === 0) parts.unshift(Buffer.from([0x20 | r.intn(31)])); // dynamic table size update
  if (r.intn(2) === 0) parts.push(Buffer.from([0x40, 0x03, 0x61, 0x62, 0x63, 0x01, 0x78, 0xbe])); // add "abc: x", then index it
  if (r.intn(2) === 0) parts.push(Buffer.from([0x82, 0x84, 0x87])); // static :method GET, :path /, :scheme https
  return Buffer.concat(parts);
}

function mutateBytes(r: SeededRandom, input: Buffer): Buffer {
  const out = Buffer.from(input);
  switch (r.intn(5)) {
    case 0:
      for (let i = 0, n = 1 + r.intn(4); i < n && out.length > 0; i++) out[r.intn(out.length)]! ^= 1 << r.intn(8);
      return out;
    case 1:
      return out.subarray(0, r.intn(out.length + 1));
    case 2:
      return Buffer.concat([out, bytes(r, 1 + r.intn(16))]);
    case 3:
      if (out.length > 0) out[r.intn(out.length)] = [0xff, 0x80, 0x7f, 0x00, 0x3f][r.intn(5)]!;
      return out;
    default:
      return Buffer.concat([out.subarray(0, r.intn(out.length + 1)), bytes(r, r.intn(8)), out.subarray(r.intn(out.length + 1))]);
  }
}

/** One well-formed frame of a random type (ids and lengths plausible). */
function validFrame(r: SeededRandom, streamId: number): Buffer {
  switch (r.intn(11)) {
    case 0: {
      const p = Buffer.alloc(6 * r.intn(4));
      for (let at = 0; at < p.length; at += 6) {
        p.writeUInt16BE(1 + r.intn(6), at);
        p.writeUInt32BE([0, 1, 100, 16_384, 65_535, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1][r.intn(8)]!, at + 2);
      }
      return frame(0x4, 0, 0, p);
    }
    case 1:
    case 2: {
      const block = validBlock(r);
      if (r.intn(3) > 0) return frame(0x1, 0x4 | (r.intn(2) ? 0x1 : 0), streamId, block);
      // split over CONTINUATION
      const cut = r.intn(block.length + 1);
      return Buffer.concat([frame(0x1, 0, streamId, block.subarray(0, cut)), frame(0x9, 0x4, streamId, block.subarray(cut))]);
    }
    case 3: {
      const body = bytes(r, r.intn(40));
      if (r.intn(2) === 0) return frame(0x0, r.intn(2), streamId, body);
      const pad = r.intn(10);
      return frame(0x0, 0x8 | r.intn(2), streamId, Buffer.concat([Buffer.from([pad]), body, Buffer.alloc(pad)]));
    }
    case 4:
      return frame(0x6, r.intn(2), 0, bytes(r, 8));
    case 5:
      return frame(0x3, 0, streamId, Buffer.from([0, 0, 0, r.intn(14)]));
    case 6: {
      const p = Buffer.alloc(4);
      p.writeUInt32BE(1 + r.intn(70_000));
      return frame(0x8, 0, r.intn(2) === 0 ? 0 : streamId, p);
    }
    case 7:
      return frame(0x2, 0, streamId, Buffer.concat([Buffer.from([0, 0, 0, r.intn(8)]), Buffer.from([r.intn(256)])]));
    case 8:
      return frame(0x7, 0, 0, Buffer.concat([Buffer.alloc(8), bytes(r, r.intn(8))]));
    case 9:
      return frame(0x4, 0x1, 0, Buffer.alloc(0));
    default:
      return frame(10 + r.intn(246), r.intn(256), r.intn(8), bytes(r, r.intn(20)));
  }
}

/** Mutates a frame's header fields or padding. */
function mutateFrame(r: SeededRandom, f: Buffer): Buffer {
  const out = Buffer.from(f);
  switch (r.intn(6)) {
    case 0: // length field
      out.writeUIntBE([0, 1, 7, 8, 9, out.length - 9 + 1, out.length - 9 - 1, 16_385, 0xffffff][r.intn(9)]! & 0xffffff, 0, 3);
      return out;
    case 1: // flags
      out[4] = r.intn(256);
      return out;
    case 2: // stream id, reserved bit included
      out.writeUInt32BE([0, 1, 2, 3, 0x7fffffff, 0x80000001, r.intn(2 ** 31)][r.intn(7)]! >>> 0, 5);
      return out;
    case 3: // type
      out[3] = r.intn(12);
      return out;
    case 4: // first payload byte (padding length, settings id, …)
      if (out.length > 9) out[9] = r.intn(256);
      return out;
    default:
      return mutateBytes(r, out);
  }
}

function randomInput(r: SeededRandom): Buffer {
  const kind = r.intn(3);
  if (kind === 0) return bytes(r, r.intn(200));
  const frames: Buffer[] = [frame(0x4, 0, 0, Buffer.alloc(0))];
  let streamId = 1;
  for (let i = 0, n = 1 + r.intn(8); i < n; i++) {
    if (r.intn(3) === 0) streamId += 2;
    let f = validFrame(r, streamId);
    if (kind === 1 && r.intn(3) === 0) f = mutateFrame(r, f);
    if (kind === 2 && f[3] === 0x1) f = Buffer.concat([f.subarray(0, 9), mutateBytes(r, f.subarray(9))]);
    if (kind === 2) f.writeUIntBE(f.length - 9 > 0xffffff ? 0 : f.length - 9, 0, 3);
    frames.push(f);
  }
  return Buffer.concat(frames);
}

/** Splits `input` into 1 to 6 chunks at random points. */
function chunks(r: SeededRandom, input: Buffer): Buffer[] {
  const cuts = Array.from({ length: r.intn(6) }, () => r.intn(input.length + 1)).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts, input.length]) {
    out.push(input.subarray(at, cut));
    at = cut;
  }
  return out;
}

/** CPU milliseconds (user + system) this process used since `start`. */
const cpuMs = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1_000;
};

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// The heap is measured after a full collection, so garbage not yet collected is not taken for a leak.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;
const retainedHeap = (): number => {
  collectGarbage();
  return process.memoryUsage().heapUsed;
};

/** Tracks the slowest input and the retained heap's growth over a run. */
class Limits {
  readonly #heapStart = retainedHeap();
  #heapPeak = this.#heapStart;
  slowestMs = 0;
  slowestInput = -1;

  time(i: number, ms: number): void {
    if (ms > this.slowestMs) {
      this.slowestMs = ms;
      this.slowestInput = i;
    }
    if (i % 10_000 === 9_999) this.#heapPeak = Math.max(this.#heapPeak, retainedHeap());
  }

  check(t: { diagnostic(s: string): void }, what: string): void {
    const growth = (this.#heapPeak - this.#heapStart) / 2 ** 20;
    t.diagnostic(`${what}: seed ${seed}, ${iterations} inputs, slowest ${this.slowestMs.toFixed(1)} ms of CPU (input ${this.slowestInput}), retained heap growth ${growth.toFixed(1)} MiB`);
    assert.ok(this.slowestMs <= MAX_INPUT_MS, `input ${this.slowestInput} took ${this.slowestMs.toFixed(0)} ms of CPU (FUZZ_SEED=${seed})`);
    assert.ok(growth <= MAX_HEAP_GROWTH_MIB, `heap grew by ${growth.toFixed(0)} MiB`);
  }
}

test("H2Connection: random, mutated-frame and mutated-HPACK inputs in random chunks never escape as exceptions", { timeout: 600_000 }, async (t) => {
  const r = new SeededRandom(seed);
  const limits = new Limits();
  let goaways = 0;
  for (let i = 0; i < iterations; i++) {
    const input = randomInput(r);
    const socket = new FakeSocket();
    const internal: unknown[] = [];
    const conn = new H2Connection(socket as unknown as Socket, { ...OPTIONS, onInternalError: (err) => internal.push(err) }, (stream) => {
      // Answer some streams at once, leave others open: both send paths and stream bookkeeping get exercised.
      stream.listener = { onData() {}, onEnd() {}, onReset() {}, onDrain() {} };
      if (stream.id % 3 === 1) stream.respond(Buffer.from([0x88]), Buffer.alloc(stream.id % 50), Buffer.from([0x88]));
    });
    const started = process.cpuUsage();
    try {
      conn.start(Buffer.alloc(0));
      for (const chunk of chunks(r, input)) socket.emit("data", chunk);
    } catch (err) {
      assert.fail(`input ${i} (FUZZ_SEED=${seed}) threw out of the connection: ${(err as Error).stack}\ninput: ${input.toString("hex")}`);
    }
    limits.time(i, cpuMs(started));
    assert.deepEqual(internal, [], `input ${i} (FUZZ_SEED=${seed}) reached the internal-error path; input: ${input.toString("hex")}`);
    // Let the scheduled flush run, then tear down as a client hanging up would.
    await nextTurn();
    if (socket.goaway) goaways++;
    socket.destroy();
  }
  t.diagnostic(`${goaways} of ${iterations} inputs ended their connection with GOAWAY`);
  limits.check(t, "H2Connection");
});

test("HpackDecoder: mutated blocks decode or throw HpackError, and the table survives", { timeout: 600_000 }, async (t) => {
  const r = new SeededRandom(seed + 1);
  const limits = new Limits();
  let decoder = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 16 * 1024 });
  let refused = 0;
  for (let i = 0; i < iterations; i++) {
    const input = r.intn(4) === 0 ? bytes(r, r.intn(100)) : mutateBytes(r, validBlock(r));
    const started = process.cpuUsage();
    try {
      const list = decoder.decode(input);
      assert.equal(list.length % 2, 0, "a header list alternates names and values");
    } catch (err) {
      if (!(err instanceof HpackError)) assert.fail(`input ${i} (FUZZ_SEED=${seed}) threw ${(err as Error).stack}\ninput: ${input.toString("hex")}`);
      refused++;
      // A connection would be closed after a decoding error: start over with a fresh table.
      decoder = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 16 * 1024 });
    }
    limits.time(i, cpuMs(started));
    if (i % 1_000 === 998) await nextTurn();
  }
  t.diagnostic(`${refused} of ${iterations} blocks refused`);
  limits.check(t, "HpackDecoder");
});

test("MessageReader: random and mutated gRPC message streams yield messages or RpcError, never more than the limit", { timeout: 600_000 }, async (t) => {
  const r = new SeededRandom(seed + 2);
  const limits = new Limits();
  const maxLength = 4_096;
  const gzipped = gzipSync(Buffer.alloc(2_000, 0x61));
  const bomb = gzipSync(Buffer.alloc(1 << 20));
  let refused = 0;
  for (let i = 0; i < iterations; i++) {
    const header = [undefined, "identity", "gzip", "deflate", "snappy"][r.intn(5)];
    const encoding = requestEncoding(header);
    if (encoding instanceof RpcError) {
      // An encoding we cannot decode is refused when the call starts, before any message is read.
      refused++;
      continue;
    }
    const reader = new MessageReader(maxLength, encoding);
    const messages: Buffer[] = [];
    for (let m = 0, n = 1 + r.intn(4); m < n; m++) {
      const compressed = encoding === "gzip" && r.intn(2) === 0;
      const body = compressed ? (r.intn(4) === 0 ? bomb : gzipped) : bytes(r, r.intn(100));
      const prefix = Buffer.alloc(5);
      prefix[0] = compressed ? 1 : r.intn(8) === 0 ? 1 : 0;
      prefix.writeUInt32BE(body.length, 1);
      messages.push(prefix, body);
    }
    let input: Buffer = Buffer.concat(messages);
    if (r.intn(2) === 0) input = mutateBytes(r, input);
    const started = process.cpuUsage();
    try {
      for (const chunk of chunks(r, input)) {
        reader.push(chunk);
        for (let message = reader.next(); message !== undefined; message = reader.next()) {
          assert.ok(message.length <= maxLength, `a message of ${message.length} bytes passed the limit`);
        }
      }
    } catch (err) {
      if (!(err instanceof RpcError)) assert.fail(`input ${i} (FUZZ_SEED=${seed}) threw ${(err as Error).stack}`);
      refused++;
    }
    limits.time(i, cpuMs(started));
    // As on a server, where each chunk arrives in its own turn: zlib frees a failed inflate's native handle only after the turn ends.
    if (i % 1_000 === 998) await nextTurn();
  }
  t.diagnostic(`${refused} of ${iterations} streams refused`);
  limits.check(t, "MessageReader");
});
