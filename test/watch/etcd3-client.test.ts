/**
 * The `etcd3` npm package's watchers against ours: the same scenario on ours
 * and the real etcd gives the same events (live, from a past revision,
 * prefix, previous values, ignored operations, a compacted start); and a
 * watcher keeps every event across a server restart (kill -9), because the
 * client resumes at the last revision + 1 and the server replays from there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Etcd3, type Watcher } from "etcd3";
import { startServer, type Flavor } from "../harness/server-process.js";

interface Seen {
  log: string[];
  errors: string[];
}

function record(w: Watcher, seen: Seen): void {
  w.on("put", (kv, prev) => seen.log.push(`PUT ${kv.key.toString()}=${kv.value.toString()} prev=${prev?.value.toString() ?? "-"} @${kv.mod_revision}`));
  w.on("delete", (kv, prev) => seen.log.push(`DEL ${kv.key.toString()} prev=${prev?.value.toString() ?? "-"} @${kv.mod_revision}`));
  w.on("error", (err) => seen.errors.push(`${err.constructor.name}: ${err.message}`));
}

async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** etcd3 keeps the process alive after close() while a watcher is attached: cancel them first. */
async function closeAll(client: Etcd3, watchers: Watcher[]): Promise<void> {
  for (const w of watchers) await w.cancel().catch(() => undefined);
  client.close();
}

async function scenario(flavor: Flavor): Promise<Record<string, Seen>> {
  const server = await startServer({ flavor });
  const client = new Etcd3({ hosts: server.clientUrl, dialTimeout: 5000 });
  const watchers: Watcher[] = [];
  try {
    await client.put("w/a").value("1"); // 2
    await client.put("w/b").value("1"); // 3
    await client.delete().key("w/a"); // 4
    const seen: Record<string, Seen> = {};
    const add = async (name: string, build: () => Promise<Watcher>): Promise<void> => {
      seen[name] = { log: [], errors: [] };
      const w = await build();
      watchers.push(w);
      record(w, seen[name]);
    };
    await add("key", () => client.watch().key("w/a").create());
    await add("prefix-history-prev", () => client.watch().prefix("w/").startRevision("2").withPreviousKV().create());
    // etcd3 1.x maps ignore("delete") to the NOPUT filter and ignore("put") to NODELETE (its
    // own inversion); what matters here is that both servers answer the same filters the same way.
    await add("ignore-delete", () => client.watch().prefix("w/").ignore("delete").create());
    await add("ignore-put", () => client.watch().prefix("w/").ignore("put").create());
    await client.put("w/a").value("2"); // 5
    await client.put("w/b").value("2"); // 6
    await client.delete().key("w/b"); // 7
    await client.put("w/c").value("3"); // 8
    await until(() => seen["prefix-history-prev"]!.log.length >= 7, `${flavor}: history watcher`);
    await until(() => seen["key"]!.log.length >= 1 && seen["ignore-delete"]!.log.length >= 1 && seen["ignore-put"]!.log.length >= 3, `${flavor}: live watchers`);
    await client.kv.compact({ revision: "6", physical: true });
    await add("compacted-start", () => client.watch().key("w/a").startRevision("3").create());
    await until(() => seen["compacted-start"]!.errors.length + seen["compacted-start"]!.log.length > 0, `${flavor}: compacted watcher`);
    await new Promise((r) => setTimeout(r, 200));
    return seen;
  } finally {
    await closeAll(client, watchers);
    await server.stop();
  }
}

test("etcd3 watchers: the same events from ours and the real etcd", { timeout: 120_000 }, async () => {
  const real = await scenario("real");
  const ours = await scenario("ours");
  assert.deepEqual(real["prefix-history-prev"]!.log.slice(0, 3), ["PUT w/a=1 prev=- @2", "PUT w/b=1 prev=- @3", "DEL w/a prev=1 @4"]);
  assert.deepEqual(ours, real);
});

test("etcd3 watcher: every event once across a kill -9 and restart of our server", { timeout: 120_000 }, async () => {
  let server = await startServer({ flavor: "ours" });
  const { dataDir, clientPort, peerPort } = server;
  const client = new Etcd3({ hosts: server.clientUrl, dialTimeout: 5000 });
  const watchers: Watcher[] = [];
  try {
    const seen: Seen = { log: [], errors: [] };
    const watcher = await client.watch().prefix("r/").create();
    watchers.push(watcher);
    record(watcher, seen);
    let reconnected = false;
    watcher.on("connected", () => (reconnected = true));
    for (let i = 0; i < 50; i++) await client.put(`r/${i % 7}`).value(`${i}`);
    await until(() => seen.log.length >= 25, "some events before the kill");
    reconnected = false;
    await server.kill9();
    server = await startServer({ flavor: "ours", dataDir, clientPort, peerPort });
    await until(() => reconnected, "watcher reconnected", 30_000);
    for (let i = 50; i < 100; i++) await client.put(`r/${i % 7}`).value(`${i}`);
    await until(() => seen.log.length >= 100, "all 100 events", 30_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      seen.log.map((l) => l.replace(/ prev=.*/, "")),
      Array.from({ length: 100 }, (_, i) => `PUT r/${i % 7}=${i}`),
    );
    assert.deepEqual(seen.errors, []);
  } finally {
    await closeAll(client, watchers);
    await server.stop();
  }
});
