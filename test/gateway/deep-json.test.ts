/**
 * Deeply nested JSON on the gateway: one small request must never end the
 * process. A 4,000-deep body (8 KB) used to overflow our recursive JSON
 * scanner and kill the member; ours now refuses nesting past 1,000 levels
 * with Go's "exceeded max depth" error. Past Go's own limit (10,000) real
 * etcd answers exactly the same; between the two limits real etcd answers
 * a type error instead (stricter here, same status and code).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type ServerProcess } from "../harness/server-process.js";
import { call, post } from "./http-client.js";

const servers: { real?: ServerProcess; ours?: ServerProcess } = {};

before(async () => {
  [servers.real, servers.ours] = await Promise.all([startServer({ flavor: "real" }), startServer({ flavor: "ours" })]);
});

after(async () => {
  await Promise.all([servers.real?.stop(), servers.ours?.stop()]);
});

const nested = (depth: number): string => `${'{"key":'.repeat(depth)}1${"}".repeat(depth)}`;
const base = (s: ServerProcess | undefined): string => `http://${s!.endpoint}`;

test("a body nested past Go's limit gets real etcd's answer on /v3/kv/range and /v3/watch", { timeout: 60_000 }, async () => {
  const body = nested(20_000);
  for (const path of ["/v3/kv/range", "/v3/watch"]) {
    const [real, ours] = await Promise.all([post(base(servers.real), path, body), post(base(servers.ours), path, body)]);
    assert.equal(ours.status, real.status, `${path}: ${ours.body} vs ${real.body}`);
    assert.deepEqual(JSON.parse(ours.body), JSON.parse(real.body), path);
  }
});

test("a 4,000-deep body (8 KB) is refused as invalid, and the member goes on serving", { timeout: 60_000 }, async () => {
  const body = nested(4_000);
  const real = await post(base(servers.real), "/v3/kv/range", body);
  const ours = await post(base(servers.ours), "/v3/kv/range", body);
  assert.equal(real.status, 400, real.body);
  assert.equal(ours.status, 400, ours.body);
  assert.equal((JSON.parse(ours.body) as { code: number }).code, 3, "InvalidArgument, as real etcd");
  assert.match(ours.body, /exceeded max depth/);
  const watch = await post(base(servers.ours), "/v3/watch", body);
  assert.match(watch.body, /exceeded max depth/);
  // Still serving.
  await call(base(servers.ours), "/v3/kv/put", { key: Buffer.from("after").toString("base64"), value: Buffer.from("ok").toString("base64") });
  const got = await call<{ kvs: { value: string }[] }>(base(servers.ours), "/v3/kv/range", { key: Buffer.from("after").toString("base64") });
  assert.equal(Buffer.from(got.kvs[0]!.value, "base64").toString(), "ok");
});
