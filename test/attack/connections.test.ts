/**
 * Clients that hold resources without using them: idle and half-open
 * connections (no preface, part of one, part of an HTTP/1 request),
 * zero-window clients, clients that never read their responses, and
 * requests whose messages never complete. The server's memory stays bounded
 * and honest clients are served; connections that never finish their
 * preface are closed (the preface timeout, about 10 s by default).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { bigRange, putBigValues, openIdle } from "./attacks.js";
import { sleep, Target } from "./harness.js";
import { Code, data, Flags, flood, frame, grpcRequestBlock, headers, RawConnection, Setting, settings, Type } from "./raw-h2.js";

let target: Target;

before(async () => {
  target = await Target.start("ours");
  // Ten 8 KiB values: a Range of the prefix answers with about 80 KiB.
  await putBigValues(target.server.endpoint);
});

after(async () => {
  await target?.stop();
});

test("500 idle and half-open connections: the server stays up and serves the probe", { timeout: 60_000 }, async (t) => {
  let conns: RawConnection[] = [];
  try {
    await target.survive(t, async () => {
      conns = (await openIdle(target.port)).all;
      await sleep(3_000);
    });
  } finally {
    for (const c of conns) c.destroy();
  }
});

test("connections that never finish their preface or HTTP/1 request are closed within 30 s", { timeout: 60_000 }, async (t) => {
  const { all, unfinished } = await openIdle(target.port);
  try {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && unfinished.some((c) => !c.closed)) await sleep(500);
    const open = unfinished.filter((c) => !c.closed).length;
    t.diagnostic(`${open} of ${unfinished.length} unfinished connections still open after 30 s`);
    assert.equal(open, 0, `${open} of ${unfinished.length} connections without a complete preface or request were not closed in 30 s`);
  } finally {
    for (const c of all) c.destroy();
  }
});

test("a zero-window client opening 2,000 Range streams costs bounded memory", { timeout: 60_000 }, async (t) => {
  const conn = await RawConnection.open(target.port, { h2: false });
  try {
    conn.write(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), settings([[Setting.InitialWindowSize, 0]])]));
    await target.survive(
      t,
      () => flood(conn, (i) => (i < 2_000 ? bigRange(1 + 2 * i) : undefined), 3_000),
      () => {
        const refused = conn.frames.filter((f) => f.type === Type.RstStream && f.payload.readUInt32BE(0) === Code.REFUSED_STREAM).length;
        t.diagnostic(`${refused} of 2,000 streams refused; ${conn.dataBytes} DATA bytes received; ${conn.describeEnd()}`);
      },
      2_000,
      // The client is allowed 1,000 streams (the default limit) and each holds its ~80 KiB answer,
      // which it never grants window for: 80 MiB of answers, plus what encoding them leaves for
      // the collector. Bounded by the stream limit, not by the suite's default headroom; answering
      // 1,000 Ranges of 80 KiB also takes the single thread longer than the default probe bound.
      { rssHeadroomMiB: 250, probeMaxLatencyMs: 3_000 },
    );
  } finally {
    conn.destroy();
  }
});

test("messages and frames that never complete: 200 streams each holding part of a 1 MiB message", { timeout: 60_000 }, async (t) => {
  const conn = await RawConnection.open(target.port);
  try {
    await target.survive(t, async () => {
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(1 << 20, 1);
      const part = Buffer.concat([prefix, Buffer.alloc(16_000)]);
      const putBlock = grpcRequestBlock("/etcdserverpb.KV/Put");
      await flood(conn, (i) => (i < 200 ? Buffer.concat([headers(1 + 2 * i, putBlock, Flags.EndHeaders), data(1 + 2 * i, part, false)]) : undefined), 3_000);
      // And a frame whose header promises 16 KiB of which 10 bytes come.
      conn.write(frame(Type.Data, 0, 1, Buffer.alloc(16_384)).subarray(0, 19));
      await sleep(2_000);
    }, () => t.diagnostic(`${conn.describeEnd()}`));
  } finally {
    conn.destroy();
  }
});

// Last: the memory a never-reading client makes the server hold is not all given back, which would blur the cases after it.
test("a client that never reads its responses cannot grow the server's memory", { timeout: 60_000 }, async (t) => {
  const conn = await RawConnection.open(target.port);
  try {
    conn.stopReading();
    // Streams of 80 KiB answers, one after the other (each ends before the next): only back-pressure stops them.
    await target.survive(
      t,
      () => flood(conn, (i) => (i < 200_000 ? bigRange(1 + 2 * i) : undefined), 4_000),
      (sent) => t.diagnostic(`sent ${sent.frames} Range requests (${(sent.frames * 80 / 1024).toFixed(0)} MiB of answers asked for); ${conn.describeEnd()}`),
      2_000,
    );
  } finally {
    conn.destroy();
  }
});
