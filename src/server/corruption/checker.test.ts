import { test } from "node:test";
import assert from "node:assert/strict";
import type { PeerHashKV } from "../transport/index.js";
import { recordingLogger, type LogLine } from "../transport/test-support.js";
import { CorruptionChecker, InitialCorruptionError } from "./checker.js";
import type { CompactionHash } from "./compaction-hashes.js";
import type { PeerHashFailure, PeerHashResult } from "./peer-hashes.js";

const LEADER = 0x1n;
const B = 0xbn;
const C = 0xcn;

function hash(hashValue: number, revision: bigint, compactRevision: bigint, currentRevision = revision): PeerHashKV {
  return { hash: hashValue, compactRevision, hashRevision: revision, currentRevision };
}

function ok(id: bigint, h: PeerHashKV): PeerHashResult {
  return { id, peerUrls: [`http://peer-${id}`], ok: true, hash: h };
}

function failed(id: bigint, failure: PeerHashFailure): PeerHashResult {
  return { id, peerUrls: [`http://peer-${id}`], ok: false, failure };
}

interface Fake {
  checker: CorruptionChecker;
  alarms: bigint[];
  asked: bigint[];
  logs: LogLine[];
}

/** A checker whose local hashes come from `local` in turn (the last one repeats) and whose peers answer `peers(revision)`. */
function fake(options: {
  local: PeerHashKV[];
  peers: (revision: bigint) => PeerHashResult[];
  compactionHashes?: CompactionHash[];
}): Fake {
  const alarms: bigint[] = [];
  const asked: bigint[] = [];
  const logs: LogLine[] = [];
  let calls = 0;
  const checker = new CorruptionChecker({
    memberId: LEADER,
    localHash: () => options.local[Math.min(calls++, options.local.length - 1)]!,
    peerHashes: async (revision) => {
      asked.push(revision);
      return options.peers(revision);
    },
    linearizableBarrier: async () => {},
    triggerCorruptAlarm: (id) => alarms.push(id),
    compactionHashes: () => options.compactionHashes ?? [],
    requestTimeoutMs: 5000,
    logger: recordingLogger(logs),
  });
  return { checker, alarms, asked, logs };
}

const messages = (logs: LogLine[], level: string): string[] => logs.filter((l) => l.level === level).map((l) => l.msg);

test("initial check: peers with the same hash pass, asked at this member's revision", async () => {
  const f = fake({ local: [hash(7, 10n, 4n)], peers: () => [ok(B, hash(7, 10n, 4n, 12n)), ok(C, hash(7, 10n, 4n))] });
  await f.checker.initialCheck();
  assert.deepEqual(f.asked, [10n]);
  assert.ok(messages(f.logs, "info").includes("initial corruption checking passed; no corruption"));
});

test("initial check: another hash at the same compact revision stops the start with etcd's words", async () => {
  const f = fake({ local: [hash(7, 10n, 4n)], peers: () => [ok(B, hash(7, 10n, 4n)), ok(C, hash(9, 10n, 4n))] });
  await assert.rejects(f.checker.initialCheck(), (err: unknown) => err instanceof InitialCorruptionError && err.message === "1 found data inconsistency with peers");
  const warning = f.logs.find((l) => l.msg === "found different hash values from remote peer");
  assert.equal(warning?.fields["remote-peer-id"], "c");
  assert.equal(warning?.fields["remote-peer-hash"], 9);
  assert.equal(f.alarms.length, 0, "the initial check raises no alarm: the member does not start");
});

test("initial check: another compact revision, a lagging or ahead peer, an unreachable one are logged and skipped", async () => {
  const f = fake({
    local: [hash(7, 10n, 4n)],
    peers: () => [
      ok(B, hash(9, 10n, 6n)),
      failed(C, { kind: "future-revision" }),
      failed(0xdn, { kind: "compacted" }),
      failed(0xen, { kind: "cluster-id-mismatch" }),
      failed(0xfn, { kind: "other", message: "connect ECONNREFUSED" }),
    ],
  });
  await f.checker.initialCheck();
  assert.deepEqual(messages(f.logs, "warn"), [
    "found different compact revision values from remote peer",
    "cannot fetch hash from slow remote peer",
    "cannot fetch hash from remote peer; local member is behind",
    "cluster ID mismatch",
  ]);
});

test("periodic check: a follower at the leader's compact revision with another hash is blamed", async () => {
  const f = fake({ local: [hash(7, 10n, 4n)], peers: () => [ok(B, hash(7, 10n, 4n)), ok(C, hash(8, 10n, 4n))] });
  await f.checker.periodicCheck();
  assert.deepEqual(f.alarms, [C]);
  assert.ok(messages(f.logs, "warn").includes("same compact revision then hashes must match"));
});

test("periodic check: agreeing followers, and followers at another compact revision, raise nothing", async () => {
  const f = fake({ local: [hash(7, 10n, 4n)], peers: () => [ok(B, hash(7, 10n, 4n, 9n)), ok(C, hash(99, 10n, 2n))] });
  await f.checker.periodicCheck();
  assert.deepEqual(f.alarms, []);
  assert.equal(f.logs.find((l) => l.msg === "finished peer corruption check")?.fields["number-of-peers-checked"], 2);
});

test("periodic check: a follower ahead of the leader, or compacted past it, is blamed", async () => {
  const ahead = fake({ local: [hash(7, 10n, 4n)], peers: () => [ok(B, hash(7, 10n, 4n, 11n))] });
  await ahead.checker.periodicCheck();
  assert.deepEqual(ahead.alarms, [B]);
  const compacted = fake({ local: [hash(7, 10n, 4n)], peers: () => [ok(C, hash(5, 10n, 6n))] });
  await compacted.checker.periodicCheck();
  assert.deepEqual(compacted.alarms, [C]);
});

test("periodic check: only the first finding raises the alarm; unreachable followers are skipped", async () => {
  const f = fake({
    local: [hash(7, 10n, 4n)],
    peers: () => [failed(0xdn, { kind: "other", message: "timeout" }), ok(B, hash(1, 10n, 4n)), ok(C, hash(2, 10n, 4n))],
  });
  await f.checker.periodicCheck();
  assert.deepEqual(f.alarms, [B]);
});

test("periodic check: the leader's own hash changing at the same revision blames the leader", async () => {
  const f = fake({ local: [hash(7, 10n, 4n), hash(8, 10n, 4n)], peers: () => [] });
  await f.checker.periodicCheck();
  assert.deepEqual(f.alarms, [LEADER]);
});

test("periodic check: the leader moving on between the two hashes is no finding", async () => {
  const f = fake({ local: [hash(7, 10n, 4n), hash(8, 11n, 4n)], peers: () => [ok(B, hash(7, 10n, 4n, 11n))] });
  await f.checker.periodicCheck();
  assert.deepEqual(f.alarms, []);
});

test("compact hash check: the member outside the majority is blamed", async () => {
  const f = fake({
    local: [hash(0, 0n, 0n)],
    compactionHashes: [{ hash: 5, compactRevision: 4n, hashRevision: 8n }],
    peers: () => [ok(B, hash(5, 8n, 4n)), ok(C, hash(6, 8n, 4n))],
  });
  await f.checker.compactHashCheck();
  assert.deepEqual(f.asked, [8n]);
  assert.deepEqual(f.alarms, [C]);
  assert.ok(messages(f.logs, "error").includes("Detected compaction hash mismatch"));
});

test("compact hash check: without a majority the alarm names member 0", async () => {
  const f = fake({
    local: [hash(0, 0n, 0n)],
    compactionHashes: [{ hash: 5, compactRevision: 4n, hashRevision: 8n }],
    peers: () => [ok(B, hash(6, 8n, 4n)), ok(C, hash(7, 8n, 4n))],
  });
  await f.checker.compactHashCheck();
  assert.deepEqual(f.alarms, [0n]);
});

test("compact hash check: a revision agreed by all is not asked again; one a peer skipped leads to the older one", async () => {
  const recorded = [
    { hash: 6, compactRevision: 8n, hashRevision: 12n },
    { hash: 5, compactRevision: 4n, hashRevision: 8n },
  ];
  let peerAt12: PeerHashResult = failed(C, { kind: "other", message: "timeout" });
  const f = fake({
    local: [hash(0, 0n, 0n)],
    compactionHashes: recorded,
    peers: (rev) => (rev === 12n ? [ok(B, hash(6, 12n, 8n)), peerAt12] : [ok(B, hash(5, 8n, 4n)), ok(C, hash(5, 8n, 4n))]),
  });
  await f.checker.compactHashCheck();
  assert.deepEqual(f.asked, [12n, 8n], "12 could not be checked on every peer, so 8 was");
  assert.ok(messages(f.logs, "warn").includes("Skipped peer's hash"));
  assert.deepEqual(f.alarms, []);

  peerAt12 = ok(C, hash(6, 12n, 8n));
  f.asked.length = 0;
  await f.checker.compactHashCheck();
  assert.deepEqual(f.asked, [12n]);
  f.asked.length = 0;
  await f.checker.compactHashCheck();
  assert.deepEqual(f.asked, [], "every recorded revision is settled");
});

test("compact hash check: a peer at another compact revision is skipped, not blamed", async () => {
  const f = fake({
    local: [hash(0, 0n, 0n)],
    compactionHashes: [{ hash: 5, compactRevision: 4n, hashRevision: 8n }],
    peers: () => [ok(B, hash(5, 8n, 4n)), ok(C, hash(9, 8n, 6n))],
  });
  await f.checker.compactHashCheck();
  assert.deepEqual(f.alarms, []);
});
