import { test } from "node:test";
import assert from "node:assert/strict";
import { WatchResponse } from "../../gen/etcdserverpb/rpc.js";
import { Event_EventType, type Event, type KeyValue } from "../../gen/mvccpb/kv.js";
import { SeededRandom } from "../../pkg/random.js";
import { encodeWatchResponse, frameWatchResponses, watchResponseSize } from "./codec.js";

function randomBig(rnd: SeededRandom): bigint {
  switch (rnd.intn(5)) {
    case 0:
      return 0n;
    case 1:
      return BigInt(rnd.intn(200));
    case 2:
      return BigInt(rnd.intn(2 ** 31)) * 1000003n;
    case 3:
      return BigInt.asIntN(64, rnd.uint64());
    default:
      return -1n;
  }
}

function randomKv(rnd: SeededRandom): KeyValue {
  return {
    key: Buffer.from(Array.from({ length: rnd.intn(20) }, () => rnd.intn(256))),
    value: Buffer.alloc(rnd.intn(3) === 0 ? 0 : rnd.intn(400), rnd.intn(256)),
    createRevision: randomBig(rnd),
    modRevision: randomBig(rnd),
    version: randomBig(rnd),
    lease: randomBig(rnd),
  };
}

function randomResponse(rnd: SeededRandom, shared: Event[]): WatchResponse {
  const events: Event[] = [];
  for (let i = rnd.intn(5); i > 0; i--) {
    if (shared.length > 0 && rnd.intn(2) === 0) events.push(shared[rnd.intn(shared.length)]!);
    else {
      const ev: Event = { type: rnd.intn(2) === 0 ? Event_EventType.PUT : Event_EventType.DELETE, kv: randomKv(rnd), prevKv: rnd.intn(2) === 0 ? randomKv(rnd) : undefined };
      shared.push(ev);
      events.push(ev);
    }
  }
  return {
    header: rnd.intn(5) === 0 ? undefined : { clusterId: BigInt.asUintN(64, randomBig(rnd)), memberId: BigInt.asUintN(64, randomBig(rnd)), revision: randomBig(rnd), raftTerm: BigInt.asUintN(64, randomBig(rnd)) },
    watchId: randomBig(rnd),
    created: rnd.intn(2) === 0,
    canceled: rnd.intn(2) === 0,
    compactRevision: randomBig(rnd),
    cancelReason: rnd.intn(3) === 0 ? "mvcc: watcher range is empty — ü" : "",
    fragment: rnd.intn(2) === 0,
    events,
  };
}

test("watch codec: byte-identical to ts-proto for random responses (shared events encoded once, reused)", () => {
  const rnd = new SeededRandom(3);
  const shared: Event[] = [];
  const batch: WatchResponse[] = [];
  for (let i = 0; i < 2000; i++) {
    const resp = randomResponse(rnd, shared);
    const want = Buffer.from(WatchResponse.encode(resp).finish());
    assert.deepEqual(encodeWatchResponse(resp), want, `response ${i}`);
    assert.equal(watchResponseSize(resp), want.length);
    batch.push(resp);
  }
  // Framed: consecutive gRPC messages that decode back to the same responses.
  const framed = frameWatchResponses(batch.slice(0, 50));
  let pos = 0;
  for (const resp of batch.slice(0, 50)) {
    assert.equal(framed[pos], 0);
    const len = framed.readUInt32BE(pos + 1);
    const decoded = WatchResponse.decode(framed.subarray(pos + 5, pos + 5 + len));
    assert.deepEqual(Buffer.from(WatchResponse.encode(decoded).finish()), Buffer.from(WatchResponse.encode(resp).finish()));
    pos += 5 + len;
  }
  assert.equal(pos, framed.length);
});
