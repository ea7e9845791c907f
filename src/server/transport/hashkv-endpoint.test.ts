import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EtcdError } from "../../pkg/errors.js";
import { ManualClock } from "../../pkg/clock.js";
import { decodeHashKVRequest, decodeHashKVResponse, encodeHashKVResponse, HashKVBudget, type PeerHashKV } from "./hashkv-endpoint.js";
import { INERT_HANDLERS } from "./test-support.js";
import { PeerTransport } from "./transport.js";
import type { TransportHandlers } from "./types.js";

const CLUSTER = 0xc1057e7n;

test("the JSON forms: etcd's field names, omitted zeros, 64-bit revisions exact", () => {
  const h: PeerHashKV = { hash: 4294967295, compactRevision: 9007199254740993n, hashRevision: 9007199254740995n, currentRevision: 9007199254740997n };
  const text = encodeHashKVResponse(h);
  assert.equal(text, '{"header":{"revision":9007199254740997},"hash":4294967295,"compact_revision":9007199254740993,"hash_revision":9007199254740995}');
  assert.deepEqual(decodeHashKVResponse(text), h);
  // etcd 3.4 sends no hash_revision, and a member id and term in the header we ignore.
  assert.deepEqual(decodeHashKVResponse('{"header":{"cluster_id":1,"member_id":2,"revision":7,"raft_term":3},"hash":5,"compact_revision":-1}'), {
    hash: 5,
    compactRevision: -1n,
    hashRevision: 0n,
    currentRevision: 7n,
  });
  assert.throws(() => decodeHashKVResponse('{"hash":-1}'));
  assert.throws(() => decodeHashKVResponse('{"hash":1.5}'));
  assert.throws(() => decodeHashKVResponse("[]"));
  assert.equal(decodeHashKVRequest('{"revision":12}'), 12n);
  assert.equal(decodeHashKVRequest("{}"), 0n);
  assert.equal(decodeHashKVRequest(""), undefined);
  assert.equal(decodeHashKVRequest('{"revision":"x"}'), undefined);
});

async function withTransport(hashKV: TransportHandlers["hashKV"], run: (url: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "hashkv-test-"));
  const transport = new PeerTransport(
    { memberId: 1n, clusterId: CLUSTER, peerUrls: [], snapshotDir: dir, serverVersion: "3.4.23" },
    {
      ...INERT_HANDLERS,
      ...(hashKV !== undefined ? { hashKV } : {}),
    },
  );
  try {
    const [bound] = await transport.start(["http://127.0.0.1:0"]);
    await run(bound!.url);
  } finally {
    await transport.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function ask(url: string, options: { method?: string; body?: string; clusterId?: string }): Promise<{ status: number; body: string; clusterId: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL("/members/hashkv", url), {
      method: options.method ?? "GET",
      agent: false,
      // Go's client sends a GET's body with its length; Node's sends it unframed without one.
      headers: { "content-length": String(Buffer.byteLength(options.body ?? "")), ...(options.clusterId !== undefined ? { "x-etcd-cluster-id": options.clusterId } : {}) },
    }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, clusterId: res.headers["x-etcd-cluster-id"] as string | undefined }));
    });
    req.on("error", reject);
    req.end(options.body ?? "");
  });
}

test("GET /members/hashkv answers etcd's JSON, and refuses what etcd refuses", async () => {
  const seen: bigint[] = [];
  await withTransport(
    (revision) => {
      seen.push(revision);
      if (revision === 3n) throw new EtcdError("Compacted");
      if (revision === 99n) throw new EtcdError("FutureRev");
      return { hash: 77, compactRevision: 3n, hashRevision: revision === 0n ? 10n : revision, currentRevision: 10n };
    },
    async (url) => {
      const good = await ask(url, { body: '{"revision":8}', clusterId: CLUSTER.toString(16) });
      assert.equal(good.status, 200);
      assert.equal(good.clusterId, CLUSTER.toString(16));
      assert.deepEqual(decodeHashKVResponse(good.body), { hash: 77, compactRevision: 3n, hashRevision: 8n, currentRevision: 10n });
      assert.equal((await ask(url, { body: "{}" })).status, 200, "no cluster id header: accepted, as etcd does");
      assert.deepEqual(await ask(url, { body: '{"revision":3}' }).then((r) => [r.status, r.body]), [400, "mvcc: required revision has been compacted\n"]);
      assert.deepEqual(await ask(url, { body: '{"revision":99}' }).then((r) => [r.status, r.body]), [400, "mvcc: required revision is a future revision\n"]);
      assert.deepEqual(await ask(url, { body: "not json" }).then((r) => [r.status, r.body]), [400, "error unmarshalling request\n"]);
      assert.deepEqual(await ask(url, { body: "{}", clusterId: "abc" }).then((r) => [r.status, r.body]), [412, "cluster ID mismatch\n"]);
      assert.equal((await ask(url, { method: "POST", body: "{}" })).status, 405);
      const huge = await ask(url, { body: `{"revision":1${"0".repeat(10_000)}}` });
      assert.equal(huge.status, 400, "a body past the bound is refused unread");
      assert.deepEqual(seen, [8n, 0n, 3n, 99n]);
    },
  );
});

test("past five hashes in a second the endpoint answers 429 without hashing", async () => {
  let hashed = 0;
  await withTransport(
    () => {
      hashed++;
      return { hash: 1, compactRevision: 0n, hashRevision: 1n, currentRevision: 1n };
    },
    async (url) => {
      const statuses = await Promise.all(Array.from({ length: 12 }, () => ask(url, { body: "{}" }).then((r) => r.status)));
      assert.ok(statuses.filter((s) => s === 200).length <= 10, "at most two windows' worth on a slow machine");
      assert.ok(statuses.includes(429));
      assert.equal(hashed, statuses.filter((s) => s === 200).length);
    },
  );
});

test("the hash budget: five a second, renewed each second (fake clock)", () => {
  const clock = new ManualClock();
  const budget = new HashKVBudget(clock);
  for (let i = 0; i < 5; i++) assert.equal(budget.take(), true);
  assert.equal(budget.take(), false);
  clock.advance(999);
  assert.equal(budget.take(), false);
  clock.advance(1);
  assert.equal(budget.take(), true);
});

test("a transport without a HashKV handler answers 404", async () => {
  await withTransport(undefined, async (url) => {
    assert.equal((await ask(url, { body: "{}" })).status, 404);
  });
});
