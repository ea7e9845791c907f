/**
 * One real etcd 3.4 snapshot restored three times — different --name, the
 * same --initial-cluster — gives three data dirs from which our servers
 * form one cluster: they elect a leader, agree on the member list and the
 * data, and replicate new writes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { restoreSnapshot } from "../../src/server/restore/index.js";
import { tempDir } from "../harness/paths.js";
import { freePorts } from "../harness/ports.js";
import { startServer, startServers, type ServerProcess } from "../harness/server-process.js";
import { mustCtl, revisionOf } from "./restore-support.js";

const NAMES = ["c1", "c2", "c3"] as const;

test("three restores of one snapshot form a 3-member cluster of ours that elects a leader and serves the data", { timeout: 180_000 }, async () => {
  const dir = tempDir("restore-cluster");
  try {
    const snapshotPath = join(dir.path, "snapshot.db");
    const real = await startServer({ flavor: "real" });
    let revision: number;
    try {
      for (let i = 0; i < 20; i++) await mustCtl(real.endpoint, ["put", `k${i}`, `v${i}`]);
      revision = revisionOf(await mustCtl(real.endpoint, ["get", "k0", "-w", "json"]));
      await mustCtl(real.endpoint, ["snapshot", "save", snapshotPath]);
    } finally {
      await real.stop();
    }

    const ports = await freePorts(6);
    const members = NAMES.map((name, i) => ({ name, clientPort: ports[2 * i]!, peerPort: ports[2 * i + 1]!, peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}` }));
    const initialCluster = members.map((m) => ({ name: m.name, peerUrls: [m.peerUrl] }));
    const initialClusterFlag = initialCluster.map((m) => `${m.name}=${m.peerUrls[0]}`).join(",");
    const ids = new Set<bigint>();
    for (const m of members) {
      const result = await restoreSnapshot({
        snapshotPath,
        dataDir: join(dir.path, m.name),
        name: m.name,
        initialCluster,
        initialClusterToken: "restored-cluster",
        initialAdvertisePeerUrls: [m.peerUrl],
        skipHashCheck: false,
        bumpRevision: 0n,
        markCompacted: false,
      });
      ids.add(result.clusterId);
      assert.equal(result.consistentIndex, 3n);
    }
    assert.equal(ids.size, 1, "one cluster id");

    const servers = await startServers(
      members.map((m) => ({
        flavor: "ours" as const,
        name: m.name,
        dataDir: join(dir.path, m.name),
        clientPort: m.clientPort,
        peerPort: m.peerPort,
        extraArgs: ["--initial-cluster", initialClusterFlag, "--initial-cluster-token", "restored-cluster"],
        readyTimeoutMs: 60_000,
      })),
    );
    try {
      const statuses = await Promise.all(servers.map((s: ServerProcess) => mustCtl(s.endpoint, ["endpoint", "status", "-w", "json"])));
      const leaders = new Set(statuses.map((s) => String((JSON.parse(s) as { Status: { leader: string } }[])[0]!.Status.leader)));
      assert.equal(leaders.size, 1, "every member names the same leader");
      assert.notEqual([...leaders][0], "0");

      const list = await mustCtl(servers[0]!.endpoint, ["member", "list"]);
      for (const m of members) assert.match(list, new RegExp(`started, ${m.name}, ${m.peerUrl}`));

      for (const s of servers) {
        assert.equal((await mustCtl(s.endpoint, ["get", "k7", "--print-value-only"])).trim(), "v7");
        assert.equal(revisionOf(await mustCtl(s.endpoint, ["get", "k7", "-w", "json"])), revision);
      }
      const put = revisionOf(await mustCtl(servers[1]!.endpoint, ["put", "new", "replicated", "-w", "json"]));
      assert.equal(put, revision + 1);
      for (const s of servers) assert.equal((await mustCtl(s.endpoint, ["get", "new", "--print-value-only"])).trim(), "replicated");
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  } finally {
    dir.remove();
  }
});
