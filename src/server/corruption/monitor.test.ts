import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AlarmType } from "../../gen/etcdserverpb/rpc.js";
import { ManualClock } from "../../pkg/clock.js";
import { EtcdError } from "../../pkg/errors.js";
import { nullLogger } from "../../pkg/logger.js";
import type { Member } from "../membership/member.js";
import type { RaftRequestBody } from "../proposals/codec.js";
import { Ticker } from "../ticker.js";
import { PeerTransport, type PeerHashKV } from "../transport/index.js";
import { INERT_HANDLERS } from "../transport/test-support.js";
import type { HashSource } from "./compaction-hashes.js";
import { CorruptionMonitor } from "./monitor.js";

const CLUSTER = 0xc1057e7n;
const LEADER = 0x1n;
const FOLLOWER = 0x2n;

/** A store whose hash is whatever the test sets; revisions at or below `compacted` are refused, as mvcc does. */
class FakeStore implements HashSource {
  rev = 10n;
  hash = 7;
  compacted = 4n;
  hashByRev(revision: bigint): PeerHashKV {
    if (revision > 0n && revision <= this.compacted) throw new EtcdError("Compacted");
    if (revision > this.rev) throw new EtcdError("FutureRev");
    return { hash: this.hash, compactRevision: this.compacted, hashRevision: revision === 0n ? this.rev : revision, currentRevision: this.rev };
  }
}

/** A follower: only its peer listener, answering HashKV from its own fake store. */
async function startFollower(store: FakeStore): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "corruption-test-"));
  const transport = new PeerTransport(
    { memberId: FOLLOWER, clusterId: CLUSTER, peerUrls: [], snapshotDir: dir, serverVersion: "3.4.23" },
    {
      ...INERT_HANDLERS,
      hashKV: (revision) => store.hashByRev(revision),
    },
  );
  const [bound] = await transport.start(["http://127.0.0.1:0"]);
  return {
    url: bound!.url,
    stop: async () => {
      await transport.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function member(id: bigint, url: string): Member {
  return { id, name: `m${id}`, peerUrls: [url], clientUrls: [], isLearner: false };
}

interface Harness {
  monitor: CorruptionMonitor;
  clock: ManualClock;
  ticker: Ticker;
  proposals: RaftRequestBody[];
  store: FakeStore;
  leading: { value: boolean };
}

function leaderMonitor(followerUrl: string, settings: { periodicMs?: number; compactHashCheck?: boolean }): Harness {
  const clock = new ManualClock();
  const ticker = new Ticker(clock);
  const proposals: RaftRequestBody[] = [];
  const store = new FakeStore();
  const leading = { value: true };
  const monitor = new CorruptionMonitor({
    settings: {
      initialCheck: true,
      periodicCheckIntervalMs: settings.periodicMs ?? 0,
      compactHashCheck: settings.compactHashCheck ?? false,
      compactHashCheckIntervalMs: 60_000,
    },
    memberId: LEADER,
    clusterId: CLUSTER,
    store,
    members: () => [member(LEADER, "http://127.0.0.1:1"), member(FOLLOWER, followerUrl)],
    isLeader: () => leading.value,
    linearizableBarrier: async () => {},
    propose: async (body) => {
      proposals.push(body);
      return { ok: true };
    },
    requestTimeoutMs: 5_000,
    logger: nullLogger,
  });
  monitor.schedule(ticker);
  return { monitor, clock, ticker, proposals, store, leading };
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("the leader's periodic round asks the follower over its peer URL and raises CORRUPT for it", async (t) => {
  const followerStore = new FakeStore();
  followerStore.hash = 8;
  const follower = await startFollower(followerStore);
  t.after(() => follower.stop());
  const h = leaderMonitor(follower.url, { periodicMs: 2_000 });
  h.ticker.start();
  t.after(() => h.ticker.stop());

  h.clock.advance(1_999);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(h.proposals.length, 0, "no round before the interval");
  h.clock.advance(1);
  await until(() => h.proposals.length > 0, "the alarm proposal");
  assert.equal(h.proposals[0]!.alarm?.alarm, AlarmType.CORRUPT);
  assert.equal(h.proposals[0]!.alarm?.memberID, FOLLOWER);
});

test("no round runs on a follower, and none after stop", async (t) => {
  const followerStore = new FakeStore();
  followerStore.hash = 8;
  const follower = await startFollower(followerStore);
  t.after(() => follower.stop());
  const h = leaderMonitor(follower.url, { periodicMs: 2_000 });
  h.ticker.start();
  t.after(() => h.ticker.stop());
  h.leading.value = false;
  h.clock.advance(10_000);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(h.proposals.length, 0);
  h.leading.value = true;
  h.monitor.stop();
  h.clock.advance(10_000);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(h.proposals.length, 0);
});

test("the initial check over the peer URL: equal hashes pass, another hash at the same compact revision fails", async (t) => {
  const followerStore = new FakeStore();
  const follower = await startFollower(followerStore);
  t.after(() => follower.stop());
  const h = leaderMonitor(follower.url, {});
  await h.monitor.checker.initialCheck();
  followerStore.hash = 9;
  await assert.rejects(h.monitor.checker.initialCheck(), /1 found data inconsistency with peers/);
  followerStore.compacted = 6n;
  await h.monitor.checker.initialCheck(); // another compact revision: not comparable, logged
});

test("an unreachable peer is skipped by the initial check", async () => {
  const h = leaderMonitor("http://127.0.0.1:9", {});
  await h.monitor.checker.initialCheck();
});

test("with CompactHashCheck a successful compaction records its hash, served to peers at that revision", () => {
  const h = leaderMonitor("http://127.0.0.1:9", { compactHashCheck: true });
  h.store.hash = 42;
  const result = h.monitor.aroundCompaction(8n, () => {
    h.store.hash = 43;
    h.store.compacted = 8n;
    return { ok: true };
  });
  assert.deepEqual(result, { ok: true });
  assert.deepEqual(h.monitor.hashForPeer(8n), { hash: 42, compactRevision: 4n, hashRevision: 8n, currentRevision: 10n });
  assert.equal(h.monitor.hashForPeer(0n).hash, 43, "other revisions are hashed now");
  assert.throws(() => h.monitor.hashForPeer(6n), (e: unknown) => e instanceof EtcdError && e.kind === "Compacted");

  h.store.hash = 50;
  h.monitor.aroundCompaction(9n, () => {
    h.store.hash = 51;
    return { ok: false };
  });
  assert.equal(h.monitor.hashForPeer(9n).hash, 51, "a refused compaction records nothing: 9 is hashed now");
});

test("without CompactHashCheck compactions record nothing", () => {
  const h = leaderMonitor("http://127.0.0.1:9", {});
  h.monitor.aroundCompaction(8n, () => {
    h.store.compacted = 8n;
    return { ok: true };
  });
  assert.throws(() => h.monitor.hashForPeer(8n), (e: unknown) => e instanceof EtcdError && e.kind === "Compacted");
});
