/**
 * The attacks that the suite runs against ours and against real etcd:
 * each builds its hostile bytes or connections; the test files assert.
 * @module
 */
import { request } from "node:http";
import { createGzip } from "node:zlib";
import { HpackDecoder } from "../../src/api/h2/hpack.js";
import { PutRequest, RangeRequest } from "../../src/gen/etcdserverpb/rpc.js";
import { connect, mustCall } from "../harness/grpc-clients.js";
import { Code, continuation, data, flood, Flags, grpcMessage, grpcRequestBlock, headers, RawConnection, rstStream, Type } from "./raw-h2.js";

export const FLOOD_MS = 3_000;
/** Streams opened and reset at most, per rapid-reset case. */
export const MAX_STREAMS = 20_000;
/** The most body a client sends before giving up on being refused. */
export const HUGE_BODY = 64 * 2 ** 20;

/** Opens a header block on stream 1 and never ends it: CONTINUATION frames with `fragment` until the server gives up. */
export async function continuationFlood(conn: RawConnection, fragment: Buffer): Promise<{ bytes: number; frames: number }> {
  const first = headers(1, grpcRequestBlock("/etcdserverpb.KV/Range"), 0);
  const frame = continuation(1, fragment, false);
  return flood(conn, (i) => (i === 0 ? first : frame), FLOOD_MS);
}

/** HEADERS + DATA (the whole request) + RST_STREAM CANCEL on streams 1, 3, 5, … */
export function resetStorm(path: string, message: Uint8Array, endStream: boolean): (i: number) => Buffer | undefined {
  const block = grpcRequestBlock(path);
  const body = grpcMessage(message);
  return (i) => {
    if (i >= MAX_STREAMS) return undefined;
    const id = 1 + 2 * i;
    return Buffer.concat([headers(id, block, Flags.EndHeaders), data(id, body, endStream), rstStream(id, Code.CANCEL)]);
  };
}

const BIG_RANGE = grpcMessage(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from("big/"), rangeEnd: Buffer.from("big0") })).finish());
const RANGE_BLOCK = grpcRequestBlock("/etcdserverpb.KV/Range");
/** Puts the ten 8 KiB values under big/ that {@link bigRange} reads. */
export async function putBigValues(endpoint: string): Promise<void> {
  const clients = connect(endpoint);
  try {
    for (let i = 0; i < 10; i++) {
      await mustCall(clients.kv, clients.kv.put, PutRequest.fromPartial({ key: Buffer.from(`big/${i}`), value: Buffer.alloc(8_192, 0x61) }));
    }
  } finally {
    clients.close();
  }
}

/** A Range of the ten 8 KiB values under big/ (see putBigValues): about 80 KiB to answer. */
export const bigRange = (id: number): Buffer => Buffer.concat([headers(id, RANGE_BLOCK, Flags.EndHeaders), data(id, BIG_RANGE, true)]);

/** 500 connections that never become a request: 200 silent, 100 with part of the preface, 100 with part of an HTTP/1 request, 100 with a preface and SETTINGS and nothing more. */
export async function openIdle(port: number): Promise<{ all: RawConnection[]; unfinished: RawConnection[] }> {
  const kinds: [number, Buffer | undefined][] = [
    [200, undefined],
    [100, Buffer.from("PRI * HTTP/2.0\r\n")],
    [100, Buffer.from("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")],
  ];
  const unfinished: RawConnection[] = [];
  for (const [n, bytes] of kinds) {
    for (let i = 0; i < n; i++) {
      const conn = await RawConnection.open(port, { h2: false });
      if (bytes !== undefined) conn.write(bytes);
      unfinished.push(conn);
    }
  }
  const h2 = await Promise.all(Array.from({ length: 100 }, () => RawConnection.open(port)));
  return { all: [...unfinished, ...h2], unfinished };
}

/**
 * POSTs a chunked body: `head`, then filler until the server answers or
 * closes, `HUGE_BODY` is sent, or 10 s pass. Returns how much was sent before the server reacted.
 */
export function chunkedPost(port: number, path: string, head: string, filler: Buffer): Promise<{ sent: number; status: number | undefined; reacted: boolean }> {
  return new Promise((resolve) => {
    let sent = 0;
    let status: number | undefined;
    let reacted = false;
    let finished = false;
    const req = request({ host: "127.0.0.1", port, path, method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } });
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ sent, status, reacted });
    };
    const timer = setTimeout(finish, 10_000);
    req.on("response", (res) => {
      status = res.statusCode;
      reacted = true;
      res.resume();
      // A streaming route answers 200 at once and refuses in its body: wait for the body to end.
      res.on("end", finish);
      res.on("close", finish);
    });
    req.on("error", () => {
      reacted = true;
      finish();
    });
    req.on("close", () => {
      if (!finished && status === undefined) reacted = true;
    });
    const pump = (): void => {
      while (!finished && !reacted && sent < HUGE_BODY) {
        sent += filler.length;
        if (!req.write(filler)) {
          req.once("drain", pump);
          return;
        }
      }
      if (sent >= HUGE_BODY && !finished) setTimeout(finish, 2_000);
    };
    req.write(head);
    pump();
  });
}

/** gzip of `size` zero bytes, made in pieces so the bomb never exists uncompressed here. */
export function gzipOfZeros(size: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const gzip = createGzip({ level: 9 });
    const out: Buffer[] = [];
    gzip.on("data", (b: Buffer) => out.push(b));
    gzip.on("end", () => resolve(Buffer.concat(out)));
    gzip.on("error", reject);
    const piece = Buffer.alloc(1 << 20);
    let left = size;
    const write = (): void => {
      while (left > 0) {
        left -= piece.length;
        if (!gzip.write(piece)) {
          gzip.once("drain", write);
          return;
        }
      }
      gzip.end();
    };
    write();
  });
}

/** The grpc-status of stream 1, decoded from the response header blocks in order. */
export function grpcStatus(conn: RawConnection): string | undefined {
  const decoder = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 1 << 20 });
  let status: string | undefined;
  for (const f of conn.frames) {
    if (f.type !== Type.Headers) continue;
    const list = decoder.decode(f.payload);
    for (let i = 0; i + 1 < list.length; i += 2) if (f.streamId === 1 && list[i] === "grpc-status") status = list[i + 1];
  }
  return status;
}

/** Sends `gzipped` as one compressed Put on stream 1 and waits (10 s at most) for the call's end; returns its grpc-status. */
export async function compressedPut(conn: RawConnection, gzipped: Buffer): Promise<string | undefined> {
  const body = grpcMessage(gzipped, true);
  const frames: Buffer[] = [headers(1, grpcRequestBlock("/etcdserverpb.KV/Put", [["grpc-encoding", "gzip"]]), Flags.EndHeaders)];
  for (let at = 0; at < body.length; at += 16_384) frames.push(data(1, body.subarray(at, at + 16_384), at + 16_384 >= body.length));
  conn.write(Buffer.concat(frames));
  await conn.waitFor(() => conn.closed || conn.frames.some((f) => f.type === Type.Headers && (f.flags & Flags.EndStream) !== 0), 10_000);
  return grpcStatus(conn);
}
