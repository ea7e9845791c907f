import assert from "node:assert/strict";
import { test } from "node:test";
import type { LeaseCheckpoint } from "../gen/etcdserverpb/rpc.js";
import { ManualClock } from "../pkg/clock.js";
import { isEtcdError, type ErrorKind } from "../pkg/errors.js";
import { MemoryBackend } from "../storage/backend/memory-backend.js";
import { KVStore } from "../storage/mvcc/kvstore.js";
import { readLeases } from "./lease-bucket.js";
import { Lessor, type LessorOptions } from "./lessor.js";

const enc = (s: string): Buffer => Buffer.from(s);
const MIN_TTL = 2;
const EXTEND_MS = 1000;

/** A lessor wired to a real mvcc store over a memory backend, on a manual clock. */
class World {
  backend: MemoryBackend;
  readonly clock: ManualClock;
  lessor!: Lessor;
  store!: KVStore;
  readonly checkpoints: LeaseCheckpoint[][] = [];
  readonly options: Partial<LessorOptions>;

  constructor(options: Partial<LessorOptions> & { checkpointing?: boolean } = {}) {
    this.backend = new MemoryBackend();
    this.clock = new ManualClock(10_000);
    this.options = options;
    this.#open(options.checkpointing ?? false);
  }

  #open(checkpointing: boolean): void {
    this.lessor = new Lessor({
      backend: this.backend,
      clock: this.clock,
      minTtlSeconds: MIN_TTL,
      deleter: () => this.store.write(),
      ...(checkpointing ? { checkpointer: (cps: LeaseCheckpoint[]) => this.checkpoints.push(cps) } : {}),
      ...this.options,
    });
    this.store = new KVStore({ backend: this.backend, lessor: this.lessor });
  }

  /** A crash after a commit: only committed state comes back. */
  async restart(checkpointing = false): Promise<void> {
    await this.backend.commit();
    this.lessor.stop();
    await this.store.close();
    this.backend = this.backend.crash();
    this.#open(checkpointing);
  }

  put(key: string, value: string, lease: bigint): bigint {
    const t = this.store.write();
    try {
      return t.put(enc(key), enc(value), lease);
    } finally {
      t.end();
    }
  }

  del(key: string): void {
    const t = this.store.write();
    try {
      t.deleteRange(enc(key), undefined);
    } finally {
      t.end();
    }
  }

  keys(): string[] {
    return this.store.range(enc("\0"), enc("\0")).kvs.map((kv) => kv.key.toString());
  }
}

function throwsKind(fn: () => unknown, kind: ErrorKind): void {
  assert.throws(fn, (err: unknown) => isEtcdError(err, kind));
}

test("grant: id 0, too large TTL, duplicate id, minimum TTL, persisted", () => {
  const w = new World();
  throwsKind(() => w.lessor.grant(0n, 10n), "LeaseNotFound");
  throwsKind(() => w.lessor.grant(1n, 9_000_000_001n), "LeaseTTLTooLarge");
  const big = w.lessor.grant(2n, 9_000_000_000n);
  assert.equal(big.ttl, 9_000_000_000);
  const short = w.lessor.grant(3n, 1n);
  assert.equal(short.ttl, MIN_TTL, "TTL raised to the minimum");
  const negative = w.lessor.grant(4n, -5n);
  assert.equal(negative.ttl, MIN_TTL);
  throwsKind(() => w.lessor.grant(3n, 100n), "LeaseExist");
  assert.deepEqual(
    readLeases(w.backend).map((r) => [r.ID, r.TTL, r.RemainingTTL]),
    [
      [2n, 9_000_000_000n, 0n],
      [3n, 2n, 0n],
      [4n, 2n, 0n],
    ],
  );
});

test("a lessor that is not primary sets no deadlines and renews nothing", () => {
  const w = new World();
  const l = w.lessor.grant(5n, 10n);
  assert.equal(l.remainingMs(), Infinity);
  w.clock.advance(3_600_000);
  assert.deepEqual(w.lessor.findExpired(100), []);
  assert.deepEqual(w.lessor.renew(5n), { kind: "failed", reason: "not-primary" });
});

test("promote: deadline = TTL + extension; expiry found exactly then, never earlier", () => {
  const w = new World();
  w.lessor.grant(1n, 10n);
  w.lessor.promote(EXTEND_MS);
  const granted = w.lessor.grant(2n, 5n);
  assert.equal(granted.remainingMs(), 5000, "a lease granted while primary gets its TTL without extension");
  w.clock.advance(4999);
  assert.deepEqual(w.lessor.findExpired(10), []);
  w.clock.advance(1);
  assert.deepEqual(w.lessor.findExpired(10), [2n]);
  w.lessor.revoke(2n);
  w.clock.advance(6000 - 1);
  assert.deepEqual(w.lessor.findExpired(10), [], "10 s TTL + 1 s extension is not over yet");
  w.clock.advance(1);
  assert.deepEqual(w.lessor.findExpired(10), [1n]);
});

test("renew restarts the TTL; unknown lease → not-found", () => {
  const w = new World();
  w.lessor.promote(EXTEND_MS);
  w.lessor.grant(1n, 10n);
  w.clock.advance(9000);
  assert.deepEqual(w.lessor.renew(1n), { kind: "renewed", ttl: 10 });
  assert.equal(w.lessor.lookup(1n)!.remainingMs(), 10_000);
  w.clock.advance(9999);
  assert.deepEqual(w.lessor.findExpired(10), []);
  w.clock.advance(1);
  assert.deepEqual(w.lessor.findExpired(10), [1n]);
  assert.deepEqual(w.lessor.renew(99n), { kind: "failed", reason: "not-found" });
});

test("renewing an expired lease waits for its revocation (not-found) or the lessor stepping down (not-primary)", async () => {
  const w = new World();
  w.lessor.promote(0);
  w.lessor.grant(1n, 5n);
  w.lessor.grant(2n, 5n);
  w.clock.advance(5000);
  const r1 = w.lessor.renew(1n);
  const r2 = w.lessor.renew(2n);
  assert.equal(r1.kind, "expired");
  assert.equal(r2.kind, "expired");
  w.lessor.revoke(1n);
  assert.equal(await (r1 as { outcome: Promise<string> }).outcome, "not-found");
  w.lessor.demote();
  assert.equal(await (r2 as { outcome: Promise<string> }).outcome, "not-primary");
});

test("revoke deletes every attached key in one revision, in byte order, and the stored lease", () => {
  const w = new World();
  w.lessor.grant(7n, 60n);
  w.lessor.grant(8n, 60n);
  w.put("b", "1", 7n);
  w.put("a", "1", 7n);
  w.put("c", "1", 8n);
  w.put("plain", "1", 0n);
  const before = w.store.rev;
  assert.deepEqual(
    w.lessor.lookup(7n)!.keys().map((k) => k.toString()),
    ["a", "b"],
  );
  w.lessor.revoke(7n);
  assert.equal(w.store.rev, before + 1n, "one revision for all keys");
  assert.deepEqual(w.keys(), ["c", "plain"]);
  assert.equal(w.lessor.lookup(7n), undefined);
  assert.deepEqual(
    readLeases(w.backend).map((r) => r.ID),
    [8n],
  );
  throwsKind(() => w.lessor.revoke(7n), "LeaseNotFound");
  // A lease without keys: no revision is used.
  w.lessor.grant(9n, 60n);
  const rev = w.store.rev;
  w.lessor.revoke(9n);
  assert.equal(w.store.rev, rev);
});

test("keys attach on put, detach on overwrite without lease, on move to another lease, and on delete", () => {
  const w = new World();
  w.lessor.grant(1n, 60n);
  w.lessor.grant(2n, 60n);
  const keysOf = (id: bigint): string[] => w.lessor.lookup(id)!.keys().map((k) => k.toString());
  w.put("x", "v", 1n);
  w.put("y", "v", 1n);
  w.put("z", "v", 1n);
  assert.deepEqual(keysOf(1n), ["x", "y", "z"]);
  w.put("x", "v2", 0n);
  assert.deepEqual(keysOf(1n), ["y", "z"]);
  w.put("y", "v2", 2n);
  assert.deepEqual(keysOf(1n), ["z"]);
  assert.deepEqual(keysOf(2n), ["y"]);
  w.put("y", "v3", 2n);
  assert.deepEqual(keysOf(2n), ["y"], "overwrite with the same lease keeps it attached");
  w.del("z");
  assert.deepEqual(keysOf(1n), []);
  w.lessor.revoke(1n);
  assert.deepEqual(w.keys(), ["x", "y"], "a detached key survives its old lease");
});

test("findExpired: at most `limit` per call, each lease handed out again only after the retry interval", () => {
  const w = new World({ expiredRetryMs: 7000 });
  w.lessor.promote(0);
  for (let i = 1n; i <= 10n; i++) w.lessor.grant(i, 5n);
  w.clock.advance(5000);
  const first = w.lessor.findExpired(4);
  const second = w.lessor.findExpired(4);
  const third = w.lessor.findExpired(4);
  assert.equal(first.length, 4);
  assert.equal(second.length, 4);
  assert.equal(third.length, 2);
  assert.deepEqual(new Set([...first, ...second, ...third]).size, 10);
  assert.deepEqual(w.lessor.findExpired(100), []);
  // Lost revocations: the same leases come back after the retry interval.
  w.lessor.revoke(first[0]!);
  w.clock.advance(6999);
  assert.deepEqual(w.lessor.findExpired(100), []);
  w.clock.advance(1);
  assert.equal(w.lessor.findExpired(100).length, 9);
});

test("checkpoints: due after the interval, remaining TTL rounded up, only when below the granted TTL", () => {
  const w = new World({ checkpointing: true, checkpointIntervalMs: 60_000, persistCheckpoints: () => true });
  w.lessor.promote(0);
  w.lessor.grant(1n, 600n);
  w.lessor.grant(2n, 30n); // not longer than the interval: never checkpointed
  w.clock.advance(59_999);
  assert.deepEqual(w.lessor.dueCheckpoints(10), []);
  w.clock.advance(1);
  w.clock.advance(500); // 60.5 s gone → 539.5 s left → 540
  assert.deepEqual(w.lessor.dueCheckpoints(10), [{ ID: 1n, remainingTTL: 540n }]);
  assert.deepEqual(w.lessor.dueCheckpoints(10), [], "popped until applied again");
  // Applying it (through the log) stores it and schedules the next one.
  w.lessor.checkpoint(1n, 540n);
  assert.deepEqual(
    readLeases(w.backend).find((r) => r.ID === 1n),
    { ID: 1n, TTL: 600n, RemainingTTL: 540n },
  );
  w.clock.advance(60_000);
  assert.deepEqual(w.lessor.dueCheckpoints(10), [{ ID: 1n, remainingTTL: 480n }]);
  // Renewing a checkpointed lease clears the checkpoint through the log.
  assert.equal(w.lessor.renew(1n).kind, "renewed");
  assert.deepEqual(w.checkpoints.at(-1), [{ ID: 1n, remainingTTL: 0n }]);
  w.lessor.checkpoint(1n, 0n);
  assert.equal(w.lessor.lookup(1n)!.checkpointedTtl, 0);
  assert.equal(w.lessor.renew(1n).kind, "renewed");
  assert.equal(w.checkpoints.length, 1, "no second clear when nothing is checkpointed");
});

test("checkpoints are not persisted unless asked, but still used by a later promotion", () => {
  const w = new World({ checkpointing: true, checkpointIntervalMs: 60_000, persistCheckpoints: () => false });
  w.lessor.grant(1n, 600n);
  w.lessor.checkpoint(1n, 100n);
  assert.equal(readLeases(w.backend)[0]!.RemainingTTL, 0n);
  w.lessor.promote(EXTEND_MS);
  assert.equal(w.lessor.lookup(1n)!.remainingMs(), 100_000 + EXTEND_MS);
});

test("restart: leases come back without deadline, keys re-attached, full TTL (or checkpoint) + extension on promotion", async () => {
  const w = new World({ checkpointing: true, persistCheckpoints: () => true });
  w.lessor.promote(0);
  w.lessor.grant(1n, 10n);
  w.lessor.grant(2n, 600n);
  w.put("k1", "v", 1n);
  w.put("k2", "v", 2n);
  w.lessor.checkpoint(2n, 200n);
  w.clock.advance(9000); // lease 1 has 1 s left when the member dies
  await w.restart(true);
  assert.equal(w.lessor.size, 2);
  assert.equal(w.lessor.lookup(1n)!.remainingMs(), Infinity);
  assert.deepEqual(
    w.lessor.lookup(1n)!.keys().map(String),
    ["k1"],
  );
  w.clock.advance(60_000); // down for a minute: nothing expires while no leader
  assert.deepEqual(w.lessor.findExpired(10), []);
  w.lessor.promote(EXTEND_MS);
  assert.equal(w.lessor.lookup(1n)!.remainingMs(), 11_000, "never earlier than before the restart");
  assert.equal(w.lessor.lookup(2n)!.remainingMs(), 201_000, "the checkpointed remainder survives");
  w.clock.advance(11_000);
  assert.deepEqual(w.lessor.findExpired(10), [1n]);
  w.lessor.revoke(1n);
  assert.deepEqual(w.keys(), ["k2"]);
});

test("restart raises a stored TTL under a new, higher minimum", async () => {
  const w = new World();
  w.lessor.grant(1n, 2n);
  await w.backend.commit();
  w.lessor.stop();
  const lessor = new Lessor({ backend: w.backend, clock: w.clock, minTtlSeconds: 5 });
  assert.equal(lessor.lookup(1n)!.ttl, 5);
});

test("leader change: demotion clears deadlines; the next leader's deadline is never earlier than the old one", () => {
  const w = new World();
  w.lessor.promote(EXTEND_MS);
  w.lessor.grant(1n, 10n);
  w.clock.advance(8000);
  w.lessor.demote();
  assert.equal(w.lessor.isPrimary, false);
  assert.equal(w.lessor.lookup(1n)!.remainingMs(), Infinity);
  w.clock.advance(5000); // an election takes a while; the old deadline has passed
  assert.deepEqual(w.lessor.findExpired(10), []);
  w.lessor.promote(EXTEND_MS);
  assert.equal(w.lessor.lookup(1n)!.remainingMs(), 11_000);
});

test("promotion with many leases spreads deadlines under 3/4 of the revoke rate per second", () => {
  const w = new World({ revokeRatePerSecond: 100 });
  for (let i = 1n; i <= 400n; i++) w.lessor.grant(i, 10n);
  w.lessor.promote(0);
  const remaining = w.lessor.leases().map((l) => l.remainingMs());
  assert.ok(remaining.every((r) => r >= 10_000), "spreading only delays");
  // Count deadlines per one-second window from the first one.
  const perSecond = new Map<number, number>();
  for (const r of remaining) {
    const s = Math.floor((r - 10_000) / 1000);
    perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  }
  for (const [second, n] of perSecond) assert.ok(n <= 76, `second ${second}: ${n} deadlines`);
  assert.ok(Math.max(...remaining) <= 10_000 + 6000, "400 leases at 75/s take a bit over 5 s");
});

test("leases() lists soonest deadline first", () => {
  const w = new World();
  w.lessor.promote(0);
  w.lessor.grant(3n, 30n);
  w.lessor.grant(1n, 10n);
  w.lessor.grant(2n, 20n);
  assert.deepEqual(
    w.lessor.leases().map((l) => l.id),
    [1n, 2n, 3n],
  );
});

test("stop ends pending renewals and refuses promotion", async () => {
  const w = new World();
  w.lessor.promote(0);
  w.lessor.grant(1n, 2n);
  w.clock.advance(2000);
  const r = w.lessor.renew(1n);
  assert.equal(r.kind, "expired");
  w.lessor.stop();
  assert.equal(await (r as { outcome: Promise<string> }).outcome, "not-primary");
  w.lessor.promote(0);
  assert.equal(w.lessor.isPrimary, false);
});

test("recover reloads leases from the backend", () => {
  const w = new World();
  w.lessor.promote(0);
  w.lessor.grant(1n, 10n);
  w.lessor.grant(2n, 10n);
  // Another member's state arrives as a new backend content: lease 2 gone, lease 3 new.
  w.backend.delete("lease", Buffer.from([0, 0, 0, 0, 0, 0, 0, 2]));
  const other = new Lessor({ backend: new MemoryBackend(), clock: w.clock, minTtlSeconds: MIN_TTL });
  other.grant(3n, 30n);
  w.lessor.grant(3n, 30n);
  w.lessor.revoke(3n);
  w.backend.put("lease", Buffer.from([0, 0, 0, 0, 0, 0, 0, 3]), Buffer.from([8, 3, 16, 30]));
  w.lessor.recover();
  assert.deepEqual(
    w.lessor.leases().map((l) => [l.id, l.ttl]),
    [
      [1n, 10],
      [3n, 30],
    ],
  );
  assert.equal(w.lessor.lookup(1n)!.remainingMs(), 10_000, "still primary: deadlines restart");
});
