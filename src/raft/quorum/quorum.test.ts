import { test } from "node:test";
import assert from "node:assert/strict";
import { SeededRandom } from "../../pkg/random.js";
import { JointConfig } from "./joint.js";
import { MajorityConfig } from "./majority.js";
import { INFINITE_INDEX, VoteResult } from "./quorum.js";
import type { AckedIndexer } from "./quorum.js";

function indexer(m: Map<bigint, bigint>): AckedIndexer {
  return { ackedIndex: (id) => m.get(id) };
}

/** The obvious definition: the largest index that a majority has reached. */
function naiveCommitted(c: MajorityConfig, acked: Map<bigint, bigint>): bigint {
  if (c.size === 0) return INFINITE_INDEX;
  const q = Math.floor(c.size / 2) + 1;
  let best = 0n;
  const candidates = new Set<bigint>([0n]);
  for (const id of c.ids) candidates.add(acked.get(id) ?? 0n);
  for (const idx of candidates) {
    let n = 0;
    for (const id of c.ids) if ((acked.get(id) ?? 0n) >= idx) n++;
    if (n >= q && idx > best) best = idx;
  }
  return best;
}

function naiveVote(c: MajorityConfig, votes: Map<bigint, boolean>): VoteResult {
  if (c.size === 0) return VoteResult.VoteWon;
  let yes = 0;
  let no = 0;
  for (const id of c.ids) {
    const v = votes.get(id);
    if (v === true) yes++;
    else if (v === false) no++;
  }
  const q = Math.floor(c.size / 2) + 1;
  if (yes >= q) return VoteResult.VoteWon;
  if (no > c.size - q) return VoteResult.VoteLost;
  return VoteResult.VotePending;
}

function randomConfig(r: SeededRandom, maxSize: number): MajorityConfig {
  const n = r.intn(maxSize + 1);
  const ids = new Set<bigint>();
  while (ids.size < n) ids.add(BigInt(1 + r.intn(12)));
  return new MajorityConfig(ids);
}

test("MajorityConfig.committedIndex agrees with the naive definition (50,000 cases)", () => {
  const r = new SeededRandom(1);
  for (let i = 0; i < 50_000; i++) {
    const c = randomConfig(r, 9);
    const acked = new Map<bigint, bigint>();
    for (let id = 1n; id <= 12n; id++) if (r.intn(4) !== 0) acked.set(id, BigInt(r.intn(20)));
    assert.equal(c.committedIndex(indexer(acked)), naiveCommitted(c, acked), `config ${c} acked ${[...acked]}`);
  }
});

test("JointConfig commits the minimum of both halves and votes by both", () => {
  const r = new SeededRandom(2);
  for (let i = 0; i < 20_000; i++) {
    const a = randomConfig(r, 7);
    const b = randomConfig(r, 7);
    const j = new JointConfig(a, b);
    const acked = new Map<bigint, bigint>();
    for (let id = 1n; id <= 12n; id++) acked.set(id, BigInt(r.intn(20)));
    const want = naiveCommitted(a, acked) < naiveCommitted(b, acked) ? naiveCommitted(a, acked) : naiveCommitted(b, acked);
    assert.equal(j.committedIndex(indexer(acked)), want);
    const votes = new Map<bigint, boolean>();
    for (let id = 1n; id <= 12n; id++) {
      const k = r.intn(3);
      if (k < 2) votes.set(id, k === 0);
    }
    const va = naiveVote(a, votes);
    const vb = naiveVote(b, votes);
    const wantVote =
      va === vb ? va : va === VoteResult.VoteLost || vb === VoteResult.VoteLost ? VoteResult.VoteLost : VoteResult.VotePending;
    assert.equal(j.voteResult(votes), wantVote);
    assert.equal(a.voteResult(votes), va);
  }
});

test("quorum edge cases", () => {
  const empty = new MajorityConfig();
  assert.equal(empty.committedIndex(indexer(new Map())), INFINITE_INDEX);
  assert.equal(empty.voteResult(new Map()), VoteResult.VoteWon);
  const c = new MajorityConfig([1n, 2n, 3n]);
  assert.equal(c.committedIndex(indexer(new Map([[1n, 5n]]))), 0n, "unknown voters count as 0");
  assert.equal(c.committedIndex(indexer(new Map([[1n, 5n], [2n, 3n], [3n, 9n]]))), 5n);
  assert.equal(new JointConfig(c, new MajorityConfig()).committedIndex(indexer(new Map([[1n, 4n], [2n, 4n]]))), 4n);
  assert.equal(c.toString(), "(1 2 3)");
  assert.equal(new JointConfig(c, new MajorityConfig([1n])).toString(), "(1 2 3)&&(1)");
});
