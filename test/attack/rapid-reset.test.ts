/**
 * Rapid reset (CVE-2023-44487): open a stream, send the whole request, reset
 * it at once, repeat — the stream limit never applies because every stream
 * is gone before the next arrives, while the server starts the work of each.
 * The server must keep counting a reset stream against the limit until its
 * handler ends, cancel work not yet started (most rapid-reset Puts are never
 * applied: the revision tells), and end a connection that resets too much
 * with GOAWAY ENHANCE_YOUR_CALM.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { PutRequest, RangeRequest, type RangeResponse, WatchRequest } from "../../src/gen/etcdserverpb/rpc.js";
import { connect, mustCall, type Clients } from "../harness/grpc-clients.js";
import { FLOOD_MS, resetStorm } from "./attacks.js";
import { Target } from "./harness.js";
import { Code, flood, RawConnection } from "./raw-h2.js";


let target: Target;
let clients: Clients;

before(async () => {
  target = await Target.start("ours");
  clients = connect(target.server.endpoint);
});

after(async () => {
  clients?.close();
  await target?.stop();
});

async function revision(): Promise<bigint> {
  const res = await mustCall<RangeRequest, RangeResponse>(clients.kv, clients.kv.range, RangeRequest.fromPartial({ key: Buffer.from("rapid-reset") }));
  return res.header!.revision;
}

test("rapid reset of unary Puts: GOAWAY ENHANCE_YOUR_CALM, and most reset Puts are never applied", { timeout: 90_000 }, async (t) => {
  const conn = await RawConnection.open(target.port);
  try {
    const before = await revision();
    let applied = 0;
    const put = PutRequest.encode(PutRequest.fromPartial({ key: Buffer.from("rapid-reset"), value: Buffer.from("x") })).finish();
    const sent = await target.survive(t, async () => {
      const sent = await flood(conn, resetStorm("/etcdserverpb.KV/Put", put, true), FLOOD_MS);
      await conn.waitClosedOrGoaway(2_000);
      return sent;
    }, async (sent) => {
      applied = Number((await revision()) - before);
      t.diagnostic(`${sent.frames} streams opened and reset, ${applied} Puts applied; ${conn.describeEnd()}`);
    });
    assert.equal(conn.goaway?.code, Code.ENHANCE_YOUR_CALM, `after ${sent.frames} reset streams: ${conn.describeEnd()}`);
    assert.ok(applied < sent.frames / 2, `${applied} of ${sent.frames} reset Puts were applied`);
  } finally {
    conn.destroy();
  }
});

test("rapid reset of Watch streams: GOAWAY ENHANCE_YOUR_CALM, the server unharmed", { timeout: 90_000 }, async (t) => {
  const conn = await RawConnection.open(target.port);
  try {
    const create = WatchRequest.encode(
      WatchRequest.fromPartial({ requestUnion: { $case: "createRequest", value: { key: Buffer.from("rapid-reset"), prevKv: true } } }),
    ).finish();
    const sent = await target.survive(t, async () => {
      const sent = await flood(conn, resetStorm("/etcdserverpb.Watch/Watch", create, false), FLOOD_MS);
      await conn.waitClosedOrGoaway(2_000);
      return sent;
    }, (sent) => t.diagnostic(`${sent.frames} Watch streams opened and reset; ${conn.describeEnd()}`));
    assert.equal(conn.goaway?.code, Code.ENHANCE_YOUR_CALM, `after ${sent.frames} reset streams: ${conn.describeEnd()}`);
  } finally {
    conn.destroy();
  }
});
