/**
 * CONTINUATION floods (CVE-2024-27316 and kin): a header block that never
 * ends, in empty or 1-byte CONTINUATION frames, on one connection or many.
 * The server must count the block in bytes (9 per frame header) and in
 * frames and end the connection with GOAWAY — ENHANCE_YOUR_CALM, or
 * PROTOCOL_ERROR / COMPRESSION_ERROR — long before the flood ends, while
 * honest clients go on being served.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { continuationFlood, FLOOD_MS } from "./attacks.js";
import { Target } from "./harness.js";
import { Code, codeName, continuation, flood, grpcRequestBlock, headers, RawConnection, Type } from "./raw-h2.js";

const ENDING_CODES: number[] = [Code.ENHANCE_YOUR_CALM, Code.PROTOCOL_ERROR, Code.COMPRESSION_ERROR];

let target: Target;

before(async () => {
  target = await Target.start("ours");
});

after(async () => {
  await target?.stop();
});

function assertEndedByServer(conn: RawConnection, sent: { bytes: number; frames: number }): void {
  const code = conn.goaway?.code;
  assert.ok(
    code !== undefined && ENDING_CODES.includes(code),
    `after ${sent.frames} frames (${sent.bytes} bytes) of one header block: ${conn.describeEnd()}; want GOAWAY ${ENDING_CODES.map(codeName).join(" or ")}`,
  );
}

for (const [name, fragment] of [
  ["empty", Buffer.alloc(0)],
  ["1-byte", Buffer.from([0x00])],
] as const) {
  test(`a flood of ${name} CONTINUATION frames ends with GOAWAY, the server unharmed`, { timeout: 60_000 }, async (t) => {
    const conn = await RawConnection.open(target.port);
    try {
      const sent = await target.survive(t, async () => {
        const sent = await continuationFlood(conn, fragment);
        await conn.waitClosedOrGoaway(2_000);
        return sent;
      }, (sent) => t.diagnostic(`sent ${sent.frames} frames, ${sent.bytes} bytes; ${conn.describeEnd()}`));
      assertEndedByServer(conn, sent);
    } finally {
      conn.destroy();
    }
  });
}

test("CONTINUATION floods of 1-byte frames on 50 connections at once: each ends with GOAWAY", { timeout: 90_000 }, async (t) => {
  const conns = await Promise.all(Array.from({ length: 50 }, () => RawConnection.open(target.port)));
  try {
    const sent = await target.survive(t, async () => {
      const sent = await Promise.all(conns.map((c) => continuationFlood(c, Buffer.from([0x00]))));
      await Promise.all(conns.map((c) => c.waitClosedOrGoaway(2_000)));
      return sent;
    }, (sent) => {
      const ended = conns.filter((c) => c.goaway !== undefined && ENDING_CODES.includes(c.goaway.code)).length;
      t.diagnostic(`${ended}/50 connections ended by GOAWAY; ${sent.reduce((n, s) => n + s.bytes, 0)} bytes sent in all`);
    });
    conns.forEach((c, i) => assertEndedByServer(c, sent[i]!));
  } finally {
    for (const c of conns) c.destroy();
  }
});

test("a header block of large CONTINUATION frames is bounded in bytes: GOAWAY within 4 MiB", { timeout: 60_000 }, async (t) => {
  const conn = await RawConnection.open(target.port);
  try {
    const chunk = Buffer.alloc(16_384, 0x00);
    const sent = await target.survive(t, async () => {
      const first = headers(1, grpcRequestBlock("/etcdserverpb.KV/Range"), 0);
      const frame = continuation(1, chunk, false);
      // 4 MiB of one header block at most; the server should have stopped us at a fraction of it.
      const sent = await flood(conn, (i) => (i === 0 ? first : i < 256 ? frame : undefined), FLOOD_MS);
      await conn.waitClosedOrGoaway(2_000);
      return sent;
    });
    assertEndedByServer(conn, sent);
    assert.ok(!conn.frames.some((f) => f.type === Type.Headers), "the endless header block was answered as a request");
  } finally {
    conn.destroy();
  }
});
