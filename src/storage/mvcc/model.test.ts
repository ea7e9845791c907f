/**
 * Model-based test: random write txns, compactions and reopens against the
 * store on both backends in lockstep, checked after every step against a
 * naive model that keeps a full copy of the key space per revision.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KeyValue } from "../../gen/mvccpb/kv.js";
import { isEtcdError } from "../../pkg/errors.js";
import { SeededRandom } from "../../pkg/random.js";
import { BackendFixture, b, openStore } from "../test-support.js";
import type { KVStore } from "./kvstore.js";

type State = Map<string, KeyValue>;

class Model {
  /** states[rev] = the key space at rev (index 0 unused, 1 = empty store). */
  readonly states: State[] = [new Map(), new Map()];
  compactRev = -1n;

  get rev(): bigint {
    return BigInt(this.states.length - 1);
  }

  /** Applies one txn of ops; returns whether it changed anything. */
  apply(ops: Op[]): void {
    const next: State = new Map(this.states[this.states.length - 1]!);
    const rev = this.rev + 1n;
    let changed = false;
    for (const op of ops) {
      if (op.kind === "put") {
        const prev = next.get(op.key);
        next.set(op.key, {
          key: b(op.key),
          value: b(op.value),
          createRevision: prev?.createRevision ?? rev,
          modRevision: rev,
          version: (prev?.version ?? 0n) + 1n,
          lease: 0n,
        });
        changed = true;
      } else {
        for (const k of [...next.keys()]) {
          if (inRange(k, op.key, op.end)) {
            next.delete(k);
            changed = true;
          }
        }
      }
    }
    if (changed) this.states.push(next);
  }

  range(key: string, end: string | undefined, rev: bigint): KeyValue[] {
    const state = this.states[Number(rev)]!;
    return [...state.values()]
      .filter((kv) => inRange(kv.key.toString("latin1"), key, end))
      .sort((x, y) => Buffer.compare(x.key, y.key));
  }
}

type Op = { kind: "put"; key: string; value: string } | { kind: "del"; key: string; end: string | undefined };

function inRange(k: string, key: string, end: string | undefined): boolean {
  if (end === undefined) return k === key;
  if (end === "\0") return k >= key;
  return k >= key && k < end;
}

const KEYS = ["a", "aa", "ab", "b", "ba", "c", "\x80", "\xff"];

function randomOp(r: SeededRandom): Op {
  const key = KEYS[r.intn(KEYS.length)]!;
  if (r.intn(4) > 0) return { kind: "put", key, value: `v${r.intn(1000)}` };
  const ends = [undefined, "\0", KEYS[r.intn(KEYS.length)]!];
  return { kind: "del", key, end: ends[r.intn(ends.length)] };
}

function endBytes(end: string | undefined): Buffer | undefined {
  return end === undefined ? undefined : b(end);
}

function applyOps(s: KVStore, ops: Op[]): void {
  const t = s.write();
  try {
    for (const op of ops) {
      if (op.kind === "put") t.put(b(op.key), b(op.value), 0n);
      else t.deleteRange(b(op.key), endBytes(op.end));
    }
  } finally {
    t.end();
  }
}

function check(s: KVStore, m: Model, r: SeededRandom, label: string): void {
  assert.equal(s.rev, m.rev, `${label}: revision`);
  for (let i = 0; i < 8; i++) {
    const key = KEYS[r.intn(KEYS.length)]!;
    const ends = [undefined, "\0", KEYS[r.intn(KEYS.length)]!];
    const end = ends[r.intn(ends.length)];
    const rev = BigInt(r.intn(Number(m.rev) + 2)); // 0 = current; m.rev+1 = future
    const readRev = rev === 0n ? m.rev : rev;
    if (readRev > m.rev) {
      assert.throws(() => s.range(b(key), endBytes(end), { rev }), (e) => isEtcdError(e, "FutureRev"));
      continue;
    }
    if (readRev < m.compactRev) {
      assert.throws(() => s.range(b(key), endBytes(end), { rev }), (e) => isEtcdError(e, "Compacted"));
      continue;
    }
    const want = m.range(key, end, readRev);
    const limit = r.intn(3);
    const got = s.range(b(key), endBytes(end), { rev, limit });
    assert.equal(got.count, want.length, `${label}: count of [${key}, ${end}) @${rev}`);
    assert.deepEqual(got.kvs, limit > 0 ? want.slice(0, limit) : want, `${label}: kvs of [${key}, ${end}) @${rev}`);
  }
}

for (const seed of [1, 2, 3]) {
  test(`mvcc model: random txns, compactions and reopens agree with the model on both backends (seed ${seed})`, async () => {
    const r = new SeededRandom(seed);
    const model = new Model();
    const fixtures = [new BackendFixture("memory"), new BackendFixture("lmdb")];
    let stores = fixtures.map((fx) => openStore(fx));
    try {
      for (let step = 0; step < 300; step++) {
        const choice = r.intn(20);
        if (choice === 0 && model.rev > 2n) {
          const at = BigInt(1 + r.intn(Number(model.rev)));
          if (at <= model.compactRev) {
            for (const s of stores) assert.throws(() => s.compact(at), (e) => isEtcdError(e, "Compacted"));
          } else {
            await Promise.all(stores.map((s) => s.compact(at).physical));
            model.compactRev = at;
          }
        } else if (choice === 1) {
          await Promise.all(stores.map((s) => s.close()));
          await Promise.all(fixtures.map((fx) => fx.reopen()));
          stores = fixtures.map((fx) => openStore(fx));
        } else {
          const ops = Array.from({ length: 1 + r.intn(3) }, () => randomOp(r));
          for (const s of stores) applyOps(s, ops);
          model.apply(ops);
        }
        for (const s of stores) check(s, model, new SeededRandom(seed * 1000 + step), `step ${step}`);
        const hashes = stores.map((s) => s.hashByRev(0n).hash);
        assert.equal(hashes[0], hashes[1], `step ${step}: HashKV differs between backends`);
      }
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await Promise.all(fixtures.map((fx) => fx.cleanup()));
    }
  });
}
