/**
 * A subset of the attacks against real etcd 3.4.23 (grpc-go and Go's
 * net/http2), for comparison. Only what real etcd holds is asserted — it
 * stays up; the rest (GOAWAY codes, memory, probe latency, what got applied)
 * is logged with t.diagnostic, and test/attack/README.md says where ours is
 * now stricter.
 */
import { after, before, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { PutRequest, type PutResponse } from "../../src/gen/etcdserverpb/rpc.js";
import { connect, mustCall } from "../harness/grpc-clients.js";
import { bigRange, chunkedPost, compressedPut, continuationFlood, FLOOD_MS, gzipOfZeros, openIdle, putBigValues, resetStorm } from "./attacks.js";
import { describeReport, sleep, Target } from "./harness.js";
import { answerTo, MALFORMED } from "./malformed-cases.js";
import { codeName, flood, ping, RawConnection } from "./raw-h2.js";

let target: Target;

before(async () => {
  target = await Target.start("real");
  // Ten 8 KiB values: a Range of the prefix answers with about 80 KiB.
  await putBigValues(target.server.endpoint);
});

after(async () => {
  await target?.stop();
});

/** Measures `attack` against real etcd, logs what it cost and saw, asserts only that real etcd is still up. */
async function compare<T>(t: TestContext, attack: () => Promise<T>, saw: (result: T) => string | Promise<string>): Promise<void> {
  const { result, report } = await target.measure(attack);
  t.diagnostic(describeReport("real", report));
  t.diagnostic(`real: ${await saw(result)}`);
  assert.ok(report.alive, `real etcd died:\n${target.server.output().slice(-2000)}`);
}

async function onConnection<T>(fn: (conn: RawConnection) => Promise<T>): Promise<{ conn: RawConnection; result: T }> {
  const conn = await RawConnection.open(target.port);
  try {
    return { conn, result: await fn(conn) };
  } finally {
    conn.destroy();
  }
}

for (const [name, fragment] of [
  ["empty", Buffer.alloc(0)],
  ["1-byte", Buffer.from([0x00])],
] as const) {
  test(`real etcd: a flood of ${name} CONTINUATION frames`, { timeout: 60_000 }, async (t) => {
    await compare(
      t,
      () => onConnection(async (conn) => {
        const sent = await continuationFlood(conn, fragment);
        await conn.waitClosedOrGoaway(2_000);
        return sent;
      }),
      ({ conn, result }) => `sent ${result.frames} frames (${(result.bytes / 2 ** 20).toFixed(1)} MiB); ${conn.describeEnd()}`,
    );
  });
}

test("real etcd: a PING flood from a client that reads", { timeout: 60_000 }, async (t) => {
  await compare(
    t,
    () => onConnection(async (conn) => {
      const frame = ping(Buffer.from("attack!!"));
      const sent = await flood(conn, () => frame, FLOOD_MS);
      await conn.waitClosedOrGoaway(2_000);
      return sent;
    }),
    ({ conn, result }) => `sent ${result.frames} PINGs; ${conn.describeEnd()}`,
  );
});

test("real etcd: rapid reset of unary Puts", { timeout: 90_000 }, async (t) => {
  const clients = connect(target.server.endpoint);
  try {
    const revision = async (): Promise<bigint> => (await mustCall<PutRequest, PutResponse>(clients.kv, clients.kv.put, PutRequest.fromPartial({ key: Buffer.from("rev"), value: Buffer.from("x") }))).header!.revision;
    const before = await revision();
    const put = PutRequest.encode(PutRequest.fromPartial({ key: Buffer.from("rapid-reset"), value: Buffer.from("x") })).finish();
    await compare(
      t,
      () => onConnection(async (conn) => {
        const sent = await flood(conn, resetStorm("/etcdserverpb.KV/Put", put, true), FLOOD_MS);
        await conn.waitClosedOrGoaway(2_000);
        return sent;
      }),
      async ({ conn, result }) => `${result.frames} streams opened and reset, ${Number((await revision()) - before) - 1} Puts applied; ${conn.describeEnd()}`,
    );
  } finally {
    clients.close();
  }
});

test("real etcd: 500 idle and half-open connections for 3 s, then how many it closed within 15 s", { timeout: 60_000 }, async (t) => {
  let conns: RawConnection[] = [];
  let unfinished: RawConnection[] = [];
  try {
    await compare(
      t,
      async () => {
        ({ all: conns, unfinished } = await openIdle(target.port));
        await sleep(3_000);
      },
      async () => {
        await sleep(12_000);
        return `${unfinished.filter((c) => c.closed).length} of ${unfinished.length} connections without a complete preface or request closed after 15 s`;
      },
    );
  } finally {
    for (const c of conns) c.destroy();
  }
});

test("real etcd: malformed frames of every type", { timeout: 240_000 }, async (t) => {
  await compare(
    t,
    async () => {
      const answers: string[] = [];
      for (const c of MALFORMED) {
        const answer = await answerTo(target.port, c);
        if (answer.code !== c.code) answers.push(`${c.name}: ${answer.how} (RFC: ${codeName(c.code)})`);
      }
      return answers;
    },
    (differs) => `${differs.length} of ${MALFORMED.length} answered otherwise than RFC 7540 requires:\n${differs.join("\n")}`,
  );
});

test("real etcd: a gzip bomb in a gRPC message (256 KiB → 256 MiB)", { timeout: 60_000 }, async (t) => {
  const bomb = await gzipOfZeros(256 * 2 ** 20);
  await compare(
    t,
    () => onConnection((conn) => compressedPut(conn, bomb)),
    ({ conn, result }) => `grpc-status ${result ?? "none"}; ${conn.describeEnd()}`,
  );
});

test("real etcd: an endless chunked JSON body on /v3/watch", { timeout: 60_000 }, async (t) => {
  await compare(
    t,
    () => chunkedPost(target.port, "/v3/watch", '{"create_request":{"key":"', Buffer.alloc(64 * 1024, 0x41)),
    (o) => `${(o.sent / 2 ** 20).toFixed(1)} MiB sent, status ${o.status ?? "none"}, reacted ${o.reacted}`,
  );
});

// Last: the memory a never-reading client makes the server hold is not all given back, which would blur the cases after it.
test("real etcd: a client that never reads its responses", { timeout: 60_000 }, async (t) => {
  await compare(
    t,
    () => onConnection(async (conn) => {
      conn.stopReading();
      return flood(conn, (i) => (i < 200_000 ? bigRange(1 + 2 * i) : undefined), 4_000);
    }),
    ({ result }) => `sent ${result.frames} Range requests of 80 KiB answers without reading`,
  );
});
