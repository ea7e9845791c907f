/**
 * What the kill -9 tests share: a write the server acknowledged, and the
 * check after the last restart that every one of them is there as written.
 */
import assert from "node:assert/strict";
import { RangeRequest, type RangeResponse } from "../../src/gen/etcdserverpb/rpc.js";
import { call, type Clients } from "../harness/grpc-clients.js";

/** A put the server answered OK: its key, value and the revision it got. */
export interface Ack {
  key: string;
  value: string;
  revision: bigint;
}

/** Asserts that every acknowledged write reads back with its value at its revision (each key written once). */
export async function assertNoAcknowledgedWriteLost(clients: Clients, acks: readonly Ack[]): Promise<void> {
  let lost = 0;
  const examples: string[] = [];
  for (const ack of acks) {
    const res = await call<RangeRequest, RangeResponse>(clients.kv, clients.kv.range, RangeRequest.fromPartial({ key: Buffer.from(ack.key) }));
    assert.ok(res.ok, "range failed after restart");
    const kv = res.value.kvs[0];
    if (kv === undefined || kv.value.toString() !== ack.value || kv.modRevision !== ack.revision) {
      lost++;
      if (examples.length < 5) examples.push(`${ack.key}@${ack.revision} → ${kv ? `${kv.value.toString()}@${kv.modRevision}` : "missing"}`);
    }
  }
  assert.equal(lost, 0, `${lost} of ${acks.length} acknowledged writes lost or changed: ${examples.join(", ")}`);
}
