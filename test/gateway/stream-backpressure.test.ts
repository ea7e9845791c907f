/**
 * A /v3/watch client over HTTP that stops reading while events keep coming:
 * the gateway must not buffer them (it pauses its gRPC call, and gRPC flow
 * control pushes back to the server's watch stream, whose watcher then waits
 * as a victim), so the server's memory stays bounded; when the client reads
 * again it gets every event, in order.
 *
 * The same write load grows the server's heap by itself (V8 collects
 * lazily), so the bound is on the difference between a run whose watcher
 * stalls and one whose watcher keeps reading.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request, type IncomingMessage } from "node:http";
import { PutRequest } from "../../src/gen/etcdserverpb/rpc.js";
import { connect, mustCall } from "../harness/grpc-clients.js";
import { startServer } from "../harness/server-process.js";
import { b64 } from "./http-client.js";

const EVENTS = 100_000;
const VALUE_BYTES = 2048;
/** Extra anonymous memory a stalled watcher may cost the server, above a reading one. */
const STALL_BOUND_MB = 64;

/** Anonymous resident memory (heap and buffers; the backend's memory-mapped file pages are not counted). */
function rssMb(pid: number): number {
  const kb = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) / 1024;
}

interface Run {
  growthMb: number;
  events: number;
}

async function run(stall: boolean): Promise<Run> {
  const server = await startServer({ flavor: "ours", extraArgs: ["--quota-backend-bytes", String(8 * 1024 ** 3)] });
  const clients = connect(server.endpoint);
  try {
    let buffered = "";
    let lines: string[] = [];
    let onLine: (() => void) | undefined;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(`${server.clientUrl}/v3/watch`, { method: "POST" }, resolve);
      req.on("error", reject);
      req.end(JSON.stringify({ create_request: { key: b64("bp/"), range_end: b64("bp0") } }));
    });
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      lines.push(...parts);
      onLine?.();
    });
    await new Promise<void>((resolve) => (onLine = () => lines.length > 0 && resolve()));
    assert.equal(JSON.parse(lines[0]!).result.created, true);
    lines = [];

    let events = 0;
    let lastRev = 0n;
    const consume = (): void => {
      for (const line of lines) {
        const r = JSON.parse(line).result as { events?: { kv: { mod_revision: string } }[] };
        for (const e of r.events ?? []) {
          const rev = BigInt(e.kv.mod_revision);
          assert.ok(lastRev === 0n || rev === lastRev + 1n, `revision ${rev} after ${lastRev}`);
          lastRev = rev;
          events++;
        }
      }
      lines = [];
    };
    if (stall) res.pause();
    else onLine = consume;

    await new Promise((r) => setTimeout(r, 300));
    const before = rssMb(server.pid);
    let peak = before;
    let next = 0;
    const value = Buffer.alloc(VALUE_BYTES, "v");
    const writer = async (): Promise<void> => {
      while (next < EVENTS) {
        const i = next++;
        await mustCall(clients.kv, clients.kv.put, PutRequest.fromPartial({ key: Buffer.from(`bp/${String(i).padStart(6, "0")}`), value }));
        if (i % 1000 === 0) peak = Math.max(peak, rssMb(server.pid));
      }
    };
    await Promise.all(Array.from({ length: 32 }, writer));
    await new Promise((r) => setTimeout(r, 1000));
    peak = Math.max(peak, rssMb(server.pid));

    // (Stalled: read again now.) Every event arrives, in revision order, no gap, no duplicate.
    const all = new Promise<void>((resolve) => {
      onLine = () => {
        consume();
        if (events >= EVENTS) resolve();
      };
      onLine();
    });
    res.resume();
    await all;
    res.destroy();
    return { growthMb: peak - before, events };
  } finally {
    clients.close();
    await server.stop();
  }
}

test("a stalled HTTP watcher holds the server back, then gets every event in order", { timeout: 600_000 }, async () => {
  const reading = await run(false);
  const stalled = await run(true);
  const jsonMb = (EVENTS * VALUE_BYTES * 4) / 3 / 1024 / 1024;
  console.log(
    `server heap growth over ${EVENTS} events (${jsonMb.toFixed(0)} MiB of JSON): watcher reading +${reading.growthMb.toFixed(0)} MiB, ` +
      `watcher stalled +${stalled.growthMb.toFixed(0)} MiB (difference ${(stalled.growthMb - reading.growthMb).toFixed(0)} MiB, bound ${STALL_BOUND_MB} MiB)`,
  );
  assert.equal(reading.events, EVENTS);
  assert.equal(stalled.events, EVENTS);
  assert.ok(stalled.growthMb - reading.growthMb < STALL_BOUND_MB, `a stalled watcher cost ${(stalled.growthMb - reading.growthMb).toFixed(0)} MiB more`);
});
