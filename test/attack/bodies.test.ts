/**
 * Bodies made to be large: endless chunked JSON on the gateway (unary and
 * the streaming /v3/watch, where each message is limited to
 * --max-request-bytes + 512 KiB), and a gzip bomb in a gRPC message (bounded
 * after decompression: RESOURCE_EXHAUSTED). Deep JSON is covered by
 * test/gateway/deep-json.test.ts.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { createGzip } from "node:zlib";
import { HpackDecoder } from "../../src/api/h2/hpack.js";
import { Target } from "./harness.js";
import { data, Flags, grpcMessage, grpcRequestBlock, headers, RawConnection, Type } from "./raw-h2.js";

/** The most body a client sends before giving up on being refused. */
const HUGE_BODY = 64 * 2 ** 20;

let target: Target;

before(async () => {
  target = await Target.start("ours");
});

after(async () => {
  await target?.stop();
});

/**
 * POSTs a chunked body: `head`, then filler until the server answers or
 * closes, `HUGE_BODY` is sent, or 10 s pass. Returns how much was sent before the server reacted.
 */
function chunkedPost(port: number, path: string, head: string, filler: Buffer): Promise<{ sent: number; status: number | undefined; reacted: boolean }> {
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

for (const [path, head] of [
  ["/v3/kv/put", '{"key":"aGVsbG8=","value":"'],
  ["/v3/watch", '{"create_request":{"key":"'],
] as const) {
  test(`an endless chunked JSON body on ${path} is refused long before ${HUGE_BODY / 2 ** 20} MiB`, { timeout: 60_000 }, async (t) => {
    const outcome = await target.survive(
      t,
      () => chunkedPost(target.port, path, head, Buffer.alloc(64 * 1024, 0x41)),
      (o) => t.diagnostic(`${path}: ${(o.sent / 2 ** 20).toFixed(1)} MiB sent, status ${o.status ?? "none"}, reacted ${o.reacted}`),
    );
    assert.ok(outcome.reacted && outcome.sent < HUGE_BODY, `${path}: the server took ${(outcome.sent / 2 ** 20).toFixed(1)} MiB of one JSON message without refusing it`);
  });
}

/** gzip of `size` zero bytes, made in pieces so the bomb never exists uncompressed here. */
function gzipOfZeros(size: number): Promise<Buffer> {
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

test("a gzip bomb in a gRPC message (256 KiB → 256 MiB) is refused with RESOURCE_EXHAUSTED", { timeout: 60_000 }, async (t) => {
  const bomb = await gzipOfZeros(256 * 2 ** 20);
  const conn = await RawConnection.open(target.port);
  try {
    const status = await target.survive(t, async () => {
      const block = grpcRequestBlock("/etcdserverpb.KV/Put", [["grpc-encoding", "gzip"]]);
      const body = grpcMessage(bomb, true);
      const frames: Buffer[] = [headers(1, block, Flags.EndHeaders)];
      for (let at = 0; at < body.length; at += 16_384) frames.push(data(1, body.subarray(at, at + 16_384), at + 16_384 >= body.length));
      conn.write(Buffer.concat(frames));
      await conn.waitFor(() => conn.closed || conn.frames.some((f) => f.type === Type.Headers && (f.flags & Flags.EndStream) !== 0), 10_000);
      return grpcStatus(conn);
    }, (s) => t.diagnostic(`bomb of ${bomb.length} bytes: grpc-status ${s ?? "none"}; ${conn.describeEnd()}`));
    assert.equal(status, "8", "want grpc-status 8 (RESOURCE_EXHAUSTED)");
  } finally {
    conn.destroy();
  }
});

/** The grpc-status of stream 1, decoded from the response header blocks in order. */
function grpcStatus(conn: RawConnection): string | undefined {
  const decoder = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 1 << 20 });
  let status: string | undefined;
  for (const f of conn.frames) {
    if (f.type !== Type.Headers) continue;
    const list = decoder.decode(f.payload);
    for (let i = 0; i + 1 < list.length; i += 2) if (f.streamId === 1 && list[i] === "grpc-status") status = list[i + 1];
  }
  return status;
}
