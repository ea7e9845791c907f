/**
 * Bodies made to be large: endless chunked JSON on the gateway (unary and
 * the streaming /v3/watch, where each message is limited to
 * --max-request-bytes + 512 KiB), and a gzip bomb in a gRPC message (bounded
 * after decompression: RESOURCE_EXHAUSTED). Deep JSON is covered by
 * test/gateway/deep-json.test.ts.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chunkedPost, compressedPut, gzipOfZeros, HUGE_BODY } from "./attacks.js";
import { Target } from "./harness.js";
import { RawConnection } from "./raw-h2.js";


let target: Target;

before(async () => {
  target = await Target.start("ours");
});

after(async () => {
  await target?.stop();
});

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

test("a gzip bomb in a gRPC message (256 KiB → 256 MiB) is refused with RESOURCE_EXHAUSTED", { timeout: 60_000 }, async (t) => {
  const bomb = await gzipOfZeros(256 * 2 ** 20);
  const conn = await RawConnection.open(target.port);
  try {
    const status = await target.survive(t, () => compressedPut(conn, bomb), (s) => t.diagnostic(`bomb of ${bomb.length} bytes: grpc-status ${s ?? "none"}; ${conn.describeEnd()}`));
    assert.equal(status, "8", "want grpc-status 8 (RESOURCE_EXHAUSTED)");
  } finally {
    conn.destroy();
  }
});

