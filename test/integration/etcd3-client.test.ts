/**
 * The `etcd3` npm package (an unmodified third-party etcd client) doing KV
 * work against our server over a real socket: puts, gets with options,
 * deletes, transactions, namespaces, revisions, and the errors it maps from
 * etcd's wire strings.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Etcd3, EtcdLeaseInvalidError, GRPCInvalidArgumentError, GRPCOutOfRangeError } from "etcd3";
import { startServer, type ServerProcess } from "../harness/server-process.js";

let server: ServerProcess;
let client: Etcd3;

before(async () => {
  server = await startServer({ flavor: "ours" });
  client = new Etcd3({ hosts: server.clientUrl, dialTimeout: 5000 });
});

after(async () => {
  client?.close();
  await server?.stop();
});

test("put and get strings, buffers and numbers", async () => {
  await client.put("greeting").value("hello");
  assert.equal(await client.get("greeting").string(), "hello");
  await client.put("bin").value(Buffer.from([0, 1, 2, 255]));
  assert.deepEqual(await client.get("bin").buffer(), Buffer.from([0, 1, 2, 255]));
  await client.put("n").value(42);
  assert.equal(await client.get("n").number(), 42);
  assert.equal(await client.get("missing").string(), null);
});

test("prefix reads, counts, sorting, limits and keys only", async () => {
  for (const [k, v] of [["app/a", "1"], ["app/b", "2"], ["app/c", "3"], ["apq", "x"]] as const) await client.put(k).value(v);
  assert.deepEqual(await client.getAll().prefix("app/").strings(), { "app/a": "1", "app/b": "2", "app/c": "3" });
  assert.equal(await client.getAll().prefix("app/").count(), 3);
  assert.deepEqual(await client.getAll().prefix("app/").sort("Key", "Descend").limit(2).keys(), ["app/c", "app/b"]);
  assert.deepEqual(await client.getAll().prefix("app/").keys(), ["app/a", "app/b", "app/c"]);
});

test("revisions: create/mod revision and version; reads at an older revision", async () => {
  const first = await client.put("rev-key").value("v1").exec();
  const second = await client.put("rev-key").value("v2").exec();
  const rev1 = BigInt(first.header.revision);
  const rev2 = BigInt(second.header.revision);
  assert.equal(rev2, rev1 + 1n);
  const res = await client.get("rev-key").exec();
  const kv = res.kvs[0]!;
  assert.equal(BigInt(kv.create_revision), rev1);
  assert.equal(BigInt(kv.mod_revision), rev2);
  assert.equal(kv.version, "2");
  const old = await client.get("rev-key").revision(rev1.toString()).string();
  assert.equal(old, "v1");
});

test("delete: single key, prefix, previous values", async () => {
  await client.put("del/1").value("a");
  await client.put("del/2").value("b");
  const one = await client.delete().key("del/1").exec();
  assert.equal(one.deleted, "1");
  const all = await client.delete().prefix("del/").getPrevious();
  assert.deepEqual(all.map((kv) => kv.value.toString()), ["b"]);
  assert.equal(await client.getAll().prefix("del/").count(), 0);
});

test("transactions: compare and swap, both branches", async () => {
  await client.put("cas").value("old");
  const ok = await client.if("cas", "Value", "==", "old").then(client.put("cas").value("new")).else(client.get("cas")).commit();
  assert.equal(ok.succeeded, true);
  const fail = await client.if("cas", "Value", "==", "old").then(client.put("cas").value("newer")).else(client.get("cas")).commit();
  assert.equal(fail.succeeded, false);
  assert.equal(fail.responses[0]!.response_range!.kvs[0]!.value.toString(), "new");
  const missing = await client.if("nope", "Create", "==", 0).then(client.put("nope").value("created")).commit();
  assert.equal(missing.succeeded, true);
  assert.equal(await client.get("nope").string(), "created");
});

test("namespaces keep keys apart", async () => {
  const ns = client.namespace("tenant1/");
  await ns.put("x").value("inside");
  assert.equal(await client.get("tenant1/x").string(), "inside");
  assert.deepEqual(await ns.getAll().keys(), ["x"]);
});

test("errors map to the client's typed errors (it matches etcd's wire strings and codes)", async () => {
  await assert.rejects(client.put("k").value("v").lease("123456").exec(), EtcdLeaseInvalidError);
  await assert.rejects(client.get("k").revision("100000").exec(), (err: unknown) => {
    assert.ok(err instanceof GRPCOutOfRangeError);
    assert.match(err.message, /required revision is a future revision/);
    return true;
  });
  await assert.rejects(client.put("").value("v").exec(), (err: unknown) => {
    assert.ok(err instanceof GRPCInvalidArgumentError);
    assert.match(err.message, /key is not provided/);
    return true;
  });
});
