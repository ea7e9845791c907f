/**
 * What Patroni does to etcd over the HTTP/JSON gateway (patroni/dcs/etcd3.py),
 * request for request: pick the API prefix from /version, list members,
 * grant and keep alive a lease, read the cluster prefix, take the leader key
 * with a create_revision=0 txn, update and delete it conditionally, and
 * follow everything with one long-lived /v3/watch — including the leader
 * key vanishing when its lease expires. The same session runs against real
 * etcd, so the test itself is checked against the reference.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { realEtcdBin } from "../harness/paths.js";
import { startServer, type Flavor, type ServerProcess } from "../harness/server-process.js";
import { b64, call, http, LineStream, post, prefixEnd, unb64 } from "./http-client.js";

interface Header {
  revision: string;
}
interface KV {
  key: string;
  value?: string;
  mod_revision: string;
  create_revision: string;
  lease?: string;
}
interface WatchResult {
  result: { header: Header; created?: boolean; canceled?: boolean; events?: { type?: string; kv: KV }[]; watch_id?: string };
}

const CLUSTER = "/service/pg-cluster/";
const LEADER = `${CLUSTER}leader`;

for (const flavor of ["ours", "real"] as Flavor[]) {
  describe(`a Patroni session over HTTP/JSON (${flavor} etcd)`, { skip: flavor === "real" && !existsSync(realEtcdBin) }, () => {
    let server: ServerProcess;
    let base = "";
    let api = "";
    const streams: LineStream[] = [];

    before(async () => {
      server = await startServer({ flavor });
      base = server.clientUrl;
    });
    after(async () => {
      for (const s of streams) s.close();
      await server.stop();
    });

    /** Patroni's KVCache: one watch on the cluster prefix from a known revision, read line by line. */
    async function watchCluster(fromRevision: bigint): Promise<LineStream> {
      const w = new LineStream(base, `${api}/watch`, JSON.stringify({
        create_request: { key: b64(CLUSTER), range_end: prefixEnd(CLUSTER), start_revision: String(fromRevision), progress_notify: true },
      }));
      streams.push(w);
      assert.equal(await w.status, 200);
      const created = await w.next<WatchResult>();
      assert.equal(created?.result.created, true);
      return w;
    }

    /** The next events from the watch (skipping progress notifications). */
    async function events(w: LineStream, count: number): Promise<{ type: string; key: string; value: string; rev: bigint }[]> {
      const out: { type: string; key: string; value: string; rev: bigint }[] = [];
      while (out.length < count) {
        const line = await w.next<WatchResult>(8000);
        assert.ok(line, "watch ended early");
        for (const e of line.result.events ?? []) {
          out.push({ type: e.type ?? "PUT", key: unb64(e.kv.key), value: unb64(e.kv.value), rev: BigInt(e.kv.mod_revision) });
        }
      }
      return out;
    }

    test("the whole session", { timeout: 60_000 }, async () => {
      // 1. API version from /version (Patroni: < 3.3 v3alpha, < 3.4 v3beta, else v3).
      const version = await http(base, "GET", "/version");
      assert.equal(version.status, 200);
      const v = JSON.parse(version.body) as { etcdserver: string; etcdcluster: string };
      const [major, minor] = v.etcdcluster.split(".").map(Number);
      assert.ok(major === 3 && minor! >= 4, `cluster version ${v.etcdcluster}`);
      api = "/v3";

      // 2. Members and their client URLs.
      const members = await call<{ members: { name: string; clientURLs: string[] }[] }>(base, `${api}/cluster/member/list`, {});
      assert.equal(members.members.length, 1);
      assert.deepEqual(members.members[0]!.clientURLs, [server.clientUrl]);

      // 3. A lease for this node (TTL as a number, as Patroni sends it).
      const grant = await call<{ ID: string; TTL: string }>(base, `${api}/lease/grant`, { TTL: 30 });
      assert.match(grant.ID, /^[1-9][0-9]*$/);
      assert.equal(grant.TTL, "30");

      // 4. Load the cluster prefix, then watch it from the next revision.
      const loaded = await call<{ header: Header; kvs?: KV[]; count?: string }>(base, `${api}/kv/range`, { key: b64(CLUSTER), range_end: prefixEnd(CLUSTER) });
      assert.equal(loaded.kvs, undefined);
      assert.equal(loaded.count, undefined, "count 0 is omitted");
      const watch = await watchCluster(BigInt(loaded.header.revision) + 1n);

      // 5. Take the leader key only if nobody has it (create_revision = 0), reading it back on failure.
      const acquire = (node: string, lease: string): Promise<{ succeeded?: boolean; responses?: { response_range?: { kvs?: KV[] } }[] }> =>
        call(base, `${api}/kv/txn`, {
          compare: [{ key: b64(LEADER), result: "EQUAL", target: "CREATE", create_revision: "0" }],
          success: [{ request_put: { key: b64(LEADER), value: b64(node), lease } }],
          failure: [{ request_range: { key: b64(LEADER) } }],
        });
      const won = await acquire("node1", grant.ID);
      assert.equal(won.succeeded, true);
      const other = await call<{ ID: string }>(base, `${api}/lease/grant`, { TTL: 30 });
      const lost = await acquire("node2", other.ID);
      assert.equal(lost.succeeded, undefined, "false is omitted");
      const holder = lost.responses?.[0]?.response_range?.kvs?.[0];
      assert.equal(unb64(holder?.value), "node1");
      assert.equal(holder?.lease, grant.ID);

      // 6. Plain puts of the cluster's other keys; a prefix range sees them in key order.
      await call(base, `${api}/kv/put`, { key: b64(`${CLUSTER}config`), value: b64('{"ttl":30}') });
      await call(base, `${api}/kv/put`, { key: b64(`${CLUSTER}members/node1`), value: b64('{"role":"master"}'), lease: grant.ID });
      const all = await call<{ kvs: KV[]; count: string }>(base, `${api}/kv/range`, { key: b64(CLUSTER), range_end: prefixEnd(CLUSTER), serializable: true });
      assert.deepEqual(all.kvs.map((kv) => unb64(kv.key)), [`${CLUSTER}config`, LEADER, `${CLUSTER}members/node1`]);
      assert.equal(all.count, "3");

      // 7. Update the leader key only while we still hold it (compare on mod_revision), then a stale attempt.
      const current = all.kvs.find((kv) => unb64(kv.key) === LEADER)!;
      const update = (rev: string) =>
        call<{ succeeded?: boolean }>(base, `${api}/kv/txn`, {
          compare: [{ key: b64(LEADER), result: "EQUAL", target: "MOD", mod_revision: rev }],
          success: [{ request_put: { key: b64(LEADER), value: b64("node1"), lease: grant.ID } }],
        });
      assert.equal((await update(current.mod_revision)).succeeded, true);
      assert.equal((await update(current.mod_revision)).succeeded, undefined);

      // 8. Keep the lease alive: one request in the body, one result line.
      const ka = await post(base, `${api}/lease/keepalive`, { ID: grant.ID });
      assert.equal(ka.status, 200);
      const kaResult = JSON.parse(ka.body.trim().split("\n")[0]!) as { result: { ID: string; TTL?: string } };
      assert.equal(kaResult.result.ID, grant.ID);
      assert.equal(kaResult.result.TTL, "30");

      // 9. The watch saw every write, in order, one revision each.
      const seen = await events(watch, 4);
      assert.deepEqual(seen.map((e) => [e.type, e.key, e.value]), [
        ["PUT", LEADER, "node1"],
        ["PUT", `${CLUSTER}config`, '{"ttl":30}'],
        ["PUT", `${CLUSTER}members/node1`, '{"role":"master"}'],
        ["PUT", LEADER, "node1"],
      ]);
      for (let i = 1; i < seen.length; i++) assert.equal(seen[i]!.rev, seen[i - 1]!.rev + 1n);

      // 10. Step down: delete the leader key only if it is still ours.
      const resign = await call<{ succeeded?: boolean; responses: { response_delete_range: { deleted: string } }[] }>(base, `${api}/kv/txn`, {
        compare: [{ key: b64(LEADER), result: "EQUAL", target: "VALUE", value: b64("node1") }],
        success: [{ request_delete_range: { key: b64(LEADER) } }],
      });
      assert.equal(resign.succeeded, true);
      assert.equal(resign.responses[0]!.response_delete_range.deleted, "1");
      const [deleted] = await events(watch, 1);
      assert.deepEqual([deleted!.type, deleted!.key], ["DELETE", LEADER]);

      // 11. A leader that stops keeping its lease alive loses the key when the TTL runs out.
      const short = await call<{ ID: string; TTL: string }>(base, `${api}/lease/grant`, { TTL: 2 });
      assert.equal((await acquire("node2", short.ID)).succeeded, true);
      const [taken] = await events(watch, 1);
      assert.deepEqual([taken!.type, taken!.key, taken!.value], ["PUT", LEADER, "node2"]);
      const [expired] = await events(watch, 1);
      assert.deepEqual([expired!.type, expired!.key], ["DELETE", LEADER]);
      // A keepalive for the expired lease answers without a TTL (0 is omitted): Patroni grants a new one.
      const late = await post(base, `${api}/lease/keepalive`, { ID: short.ID });
      const lateResult = JSON.parse(late.body.trim().split("\n")[0]!) as { result: { ID: string; TTL?: string } };
      assert.equal(lateResult.result.ID, short.ID);
      assert.equal(lateResult.result.TTL, undefined);

      // 12. The long-lived watch is still there and still delivers.
      await call(base, `${api}/kv/put`, { key: b64(`${CLUSTER}status`), value: b64("ok") });
      const [last] = await events(watch, 1);
      assert.equal(last!.key, `${CLUSTER}status`);
    });
  });
}
