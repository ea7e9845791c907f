/**
 * Layer 1: sentences of the Raft paper ("In Search of an Understandable
 * Consensus Algorithm", extended version), each checked by driving the state
 * machine directly. Each test quotes the sentence it checks.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MessageType } from "../../src/gen/raftpb/raft.js";
import type { Message } from "../../src/gen/raftpb/raft.js";
import { StateType } from "../../src/raft/types.js";
import type { Raft } from "../../src/raft/raft.js";
import { makeEntry } from "../../src/raft/util.js";
import { MemoryStorage } from "../../src/raft/storage.js";
import {
  applyAll,
  commitNoopEntry,
  ents,
  entsWithTerms,
  hardState,
  msg,
  newTestRaft,
  persist,
  readMessages,
  storageWithPeers,
  termsAndIndexes,
} from "./helpers/raft-helpers.js";
import { Network } from "./helpers/network.js";

const ids3 = [1n, 2n, 3n];

function sortMsgs(ms: Message[]): Message[] {
  return ms.slice().sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : a.type - b.type));
}

function shape(ms: Message[]): string[] {
  return sortMsgs(ms).map((m) => `${m.from}->${m.to} ${MessageType[m.type]} t${m.term} i${m.index} lt${m.logTerm} c${m.commit} n${m.entries.length}${m.reject ? " rej" : ""}`);
}

describe("§5.1 terms", () => {
  for (const role of [StateType.Follower, StateType.Candidate, StateType.Leader]) {
    test(`"if one server's current term is smaller than the other's, then it updates its current term to the larger value" (${StateType[role]})`, () => {
      // "If a candidate or leader discovers that its term is out of date, it
      // immediately reverts to follower state."
      const r = newTestRaft(1n, 10, 1, storageWithPeers(ids3));
      if (role === StateType.Follower) r.becomeFollower(1n, 2n);
      if (role === StateType.Candidate) r.becomeCandidate();
      if (role === StateType.Leader) {
        r.becomeCandidate();
        r.becomeLeader();
      }
      r.step(msg({ type: MessageType.MsgApp, from: 2n, to: 1n, term: 2n }));
      assert.equal(r.term, 2n);
      assert.equal(r.state, StateType.Follower);
      assert.equal(r.lead, 2n, "an append from the higher term names its leader");
    });
  }

  test(`"If a server receives a request with a stale term number, it rejects the request."`, () => {
    const s = storageWithPeers(ids3);
    s.setHardState(hardState(2, 0));
    const r = newTestRaft(1n, 10, 1, s);
    const before = { term: r.term, state: r.state, lead: r.lead, last: r.raftLog.lastIndex() };
    r.step(msg({ type: MessageType.MsgApp, from: 2n, to: 1n, term: 1n, index: 0n, entries: [makeEntry({ Term: 1n, Index: 1n })] }));
    assert.deepEqual({ term: r.term, state: r.state, lead: r.lead, last: r.raftLog.lastIndex() }, before);
    assert.equal(readMessages(r).length, 0, "without CheckQuorum/PreVote a stale append is dropped silently");

    // With CheckQuorum, the stale leader is told our term so it steps down.
    const r2 = newTestRaft(1n, 10, 1, (() => {
      const s2 = storageWithPeers(ids3);
      s2.setHardState(hardState(2, 0));
      return s2;
    })(), { checkQuorum: true });
    r2.step(msg({ type: MessageType.MsgHeartbeat, from: 2n, to: 1n, term: 1n }));
    assert.deepEqual(shape(readMessages(r2)), ["1->2 MsgAppResp t2 i0 lt0 c0 n0"]);
  });
});

describe("§5.2 leader election", () => {
  test(`"When servers start up, they begin as followers."`, () => {
    const r = newTestRaft(1n, 10, 1, storageWithPeers(ids3));
    assert.equal(r.state, StateType.Follower);
  });

  test(`"Leaders send periodic heartbeats (AppendEntries RPCs that carry no log entries) to all followers in order to maintain their authority."`, () => {
    const hb = 1;
    const r = newTestRaft(1n, 10, hb, storageWithPeers(ids3));
    r.becomeCandidate();
    r.becomeLeader();
    readMessages(r);
    for (let i = 0; i < hb; i++) r.tick();
    assert.deepEqual(shape(readMessages(r)), [
      "1->2 MsgHeartbeat t1 i0 lt0 c0 n0",
      "1->3 MsgHeartbeat t1 i0 lt0 c0 n0",
    ]);
  });

  for (const role of [StateType.Follower, StateType.Candidate]) {
    test(`"If a follower receives no communication over a period of time called the election timeout, then it ... begins an election" (from ${StateType[role]})`, () => {
      // "To begin an election, a follower increments its current term and
      // transitions to candidate state. It then votes for itself and issues
      // RequestVote RPCs in parallel to each of the other servers."
      // A candidate that times out does the same in a new term.
      const et = 10;
      const r = newTestRaft(1n, et, 1, storageWithPeers(ids3));
      if (role === StateType.Follower) r.becomeFollower(1n, 2n);
      else r.becomeCandidate();
      for (let i = 1; i < 2 * et; i++) r.tick();
      assert.equal(r.term, 2n);
      assert.equal(r.state, StateType.Candidate);
      assert.equal(r.trk.votes.get(r.id), true, "votes for itself");
      assert.deepEqual(shape(readMessages(r)), ["1->2 MsgVote t2 i0 lt0 c0 n0", "1->3 MsgVote t2 i0 lt0 c0 n0"]);
    });
  }

  test(`"A candidate wins an election if it receives votes from a majority of the servers in the full cluster for the same term."`, () => {
    const cases: Array<{ size: number; votes: Record<string, boolean>; state: StateType }> = [
      { size: 1, votes: {}, state: StateType.Leader },
      { size: 3, votes: { 2: true, 3: true }, state: StateType.Leader },
      { size: 3, votes: { 2: true }, state: StateType.Leader },
      { size: 5, votes: { 2: true, 3: true, 4: true, 5: true }, state: StateType.Leader },
      { size: 5, votes: { 2: true, 3: true, 4: true }, state: StateType.Leader },
      { size: 5, votes: { 2: true, 3: true }, state: StateType.Leader },
      // "return to follower state" once a majority rejects
      { size: 3, votes: { 2: false, 3: false }, state: StateType.Follower },
      { size: 5, votes: { 2: false, 3: false, 4: false }, state: StateType.Follower },
      { size: 5, votes: { 2: true, 3: false, 4: false, 5: false }, state: StateType.Follower },
      { size: 5, votes: { 2: true, 3: false, 4: false }, state: StateType.Candidate },
      // "neither wins nor loses": stays candidate
      { size: 3, votes: {}, state: StateType.Candidate },
      { size: 5, votes: { 2: true }, state: StateType.Candidate },
      { size: 5, votes: { 2: false, 3: false }, state: StateType.Candidate },
    ];
    for (const [i, c] of cases.entries()) {
      const peers = Array.from({ length: c.size }, (_, k) => BigInt(k + 1));
      const r = newTestRaft(1n, 10, 1, storageWithPeers(peers));
      r.step(msg({ type: MessageType.MsgHup, from: 1n, to: 1n }));
      for (const [id, granted] of Object.entries(c.votes)) {
        r.step(msg({ type: MessageType.MsgVoteResp, from: BigInt(id), to: 1n, term: r.term, reject: !granted }));
      }
      assert.equal(r.state, c.state, `case ${i}`);
      assert.equal(r.term, 1n, `case ${i}`);
    }
  });

  test(`"Each server will vote for at most one candidate in a given term, on a first-come-first-served basis."`, () => {
    const cases: Array<{ vote: bigint; nvote: bigint; reject: boolean }> = [
      { vote: 0n, nvote: 2n, reject: false },
      { vote: 0n, nvote: 3n, reject: false },
      { vote: 2n, nvote: 2n, reject: false },
      { vote: 3n, nvote: 3n, reject: false },
      { vote: 2n, nvote: 3n, reject: true },
      { vote: 3n, nvote: 2n, reject: true },
    ];
    for (const c of cases) {
      const s = storageWithPeers(ids3);
      s.setHardState({ term: 1n, vote: c.vote, commit: 0n });
      const r = newTestRaft(1n, 10, 1, s);
      r.step(msg({ type: MessageType.MsgVote, from: c.nvote, to: 1n, term: 1n }));
      assert.deepEqual(shape(readMessages(r)), [`1->${c.nvote} MsgVoteResp t1 i0 lt0 c0 n0${c.reject ? " rej" : ""}`]);
    }
  });

  test(`"If the leader's term ... is at least as large as the candidate's current term, then the candidate recognizes the leader as legitimate and returns to follower state."`, () => {
    for (const term of [1n, 2n]) {
      const r = newTestRaft(1n, 10, 1, storageWithPeers(ids3));
      r.step(msg({ type: MessageType.MsgHup, from: 1n, to: 1n }));
      assert.equal(r.state, StateType.Candidate);
      r.step(msg({ type: MessageType.MsgApp, from: 2n, to: 1n, term }));
      assert.equal(r.state, StateType.Follower);
      assert.equal(r.term, term);
      assert.equal(r.lead, 2n);
    }
  });

  for (const role of [StateType.Follower, StateType.Candidate]) {
    test(`"Raft uses randomized election timeouts ... chosen randomly from a fixed interval" (${StateType[role]})`, () => {
      const et = 10;
      const seen = new Set<number>();
      for (let round = 0; round < 50 * et; round++) {
        const r = newTestRaft(1n, et, 1, storageWithPeers(ids3), { seed: round });
        r.term = 1n;
        if (role === StateType.Follower) r.becomeFollower(r.term + 1n, 2n);
        else r.becomeCandidate();
        let elapsed = 0;
        while (readMessages(r).length === 0) {
          r.tick();
          elapsed++;
        }
        seen.add(elapsed);
      }
      // Every timeout is in [et, 2et) and the whole range is used.
      for (let d = et; d < 2 * et; d++) assert.ok(seen.has(d), `timeout ${d} never drawn`);
      for (const d of seen) assert.ok(d >= et && d < 2 * et, `timeout ${d} out of range`);
    });

    test(`"in most cases only a single server ... will time out" (${StateType[role]}): timeouts rarely collide`, () => {
      const et = 10;
      const size = 5;
      let conflicts = 0;
      for (let round = 0; round < 1000; round++) {
        const rs: Raft[] = [];
        for (let k = 1; k <= size; k++) {
          const r = newTestRaft(BigInt(k), et, 1, storageWithPeers([1n, 2n, 3n, 4n, 5n]), { seed: round * 10 + k });
          if (role === StateType.Follower) r.becomeFollower(r.term + 1n, 0n);
          else r.becomeCandidate();
          rs.push(r);
        }
        let timedOut = 0;
        while (timedOut === 0) {
          for (const r of rs) {
            r.tick();
            if (readMessages(r).length > 0) timedOut++;
          }
        }
        if (timedOut > 1) conflicts++;
      }
      assert.ok(conflicts / 1000 <= 0.3, `conflict rate ${conflicts / 1000}`);
    });
  }
});

describe("§5.3 log replication", () => {
  test(`"The leader appends the command to its log as a new entry, then issues AppendEntries RPCs in parallel to each of the other servers"`, () => {
    const s = storageWithPeers(ids3);
    const r = newTestRaft(1n, 10, 1, s);
    r.becomeCandidate();
    r.becomeLeader();
    commitNoopEntry(r, s);
    const li = r.raftLog.lastIndex();
    r.step(msg({ type: MessageType.MsgProp, from: 1n, to: 1n, entries: [makeEntry({ Data: Buffer.from("some data") })] }));
    assert.equal(r.raftLog.lastIndex(), li + 1n);
    assert.equal(r.raftLog.committed, li);
    assert.deepEqual(shape(readMessages(r)), ["1->2 MsgApp t1 i1 lt1 c1 n1", "1->3 MsgApp t1 i1 lt1 c1 n1"]);
    assert.deepEqual(termsAndIndexes(r.raftLog.unstableEntries()), ["1/2"]);
  });

  test(`"the leader applies the entry to its state machine ... [and] includes that index in future AppendEntries RPCs"`, () => {
    // "When the entry has been safely replicated ... The leader keeps track
    // of the highest index it knows to be committed."
    const s = storageWithPeers(ids3);
    const r = newTestRaft(1n, 10, 1, s);
    r.becomeCandidate();
    r.becomeLeader();
    commitNoopEntry(r, s);
    const li = r.raftLog.lastIndex();
    r.step(msg({ type: MessageType.MsgProp, from: 1n, to: 1n, entries: [makeEntry({ Data: Buffer.from("some data") })] }));
    persist(r, s);
    for (const m of readMessages(r)) r.step(msg({ type: MessageType.MsgAppResp, from: m.to, to: 1n, term: m.term, index: li + 1n }));
    assert.equal(r.raftLog.committed, li + 1n);
    assert.deepEqual(termsAndIndexes(applyAll(r)), [`1/${li + 1n}`]);
    assert.deepEqual(shape(readMessages(r)), ["1->2 MsgApp t1 i2 lt1 c2 n0", "1->3 MsgApp t1 i2 lt1 c2 n0"]);
  });

  test(`"A log entry is committed once the leader that created the entry has replicated it on a majority of the servers."`, () => {
    const cases: Array<{ size: number; acks: bigint[]; committed: boolean }> = [
      { size: 1, acks: [], committed: true },
      { size: 3, acks: [], committed: false },
      { size: 3, acks: [2n], committed: true },
      { size: 3, acks: [2n, 3n], committed: true },
      { size: 5, acks: [], committed: false },
      { size: 5, acks: [2n], committed: false },
      { size: 5, acks: [2n, 3n], committed: true },
      { size: 5, acks: [2n, 3n, 4n], committed: true },
      { size: 5, acks: [2n, 3n, 4n, 5n], committed: true },
    ];
    for (const [i, c] of cases.entries()) {
      const peers = Array.from({ length: c.size }, (_, k) => BigInt(k + 1));
      const s = storageWithPeers(peers);
      const r = newTestRaft(1n, 10, 1, s);
      r.becomeCandidate();
      r.becomeLeader();
      commitNoopEntry(r, s);
      const li = r.raftLog.lastIndex();
      r.step(msg({ type: MessageType.MsgProp, from: 1n, to: 1n, entries: [makeEntry({ Data: Buffer.from("x") })] }));
      persist(r, s);
      for (const m of readMessages(r)) {
        if (c.acks.includes(m.to)) r.step(msg({ type: MessageType.MsgAppResp, from: m.to, to: 1n, term: m.term, index: li + 1n }));
      }
      assert.equal(r.raftLog.committed > li, c.committed, `case ${i}`);
    }
  });

  test(`"When the leader commits an entry, it also commits all preceding entries in the leader's log, including entries created by previous leaders."`, () => {
    for (const prior of [[], entsWithTerms(2), entsWithTerms(1, 2), entsWithTerms(1)]) {
      const s = storageWithPeers(ids3);
      s.append(prior);
      s.setHardState(hardState(2, 0));
      const r = newTestRaft(1n, 10, 1, s);
      r.becomeCandidate();
      r.becomeLeader();
      r.step(msg({ type: MessageType.MsgProp, from: 1n, to: 1n, entries: [makeEntry({ Data: Buffer.from("x") })] }));
      persist(r, s);
      const li = BigInt(prior.length);
      for (const m of readMessages(r)) r.step(msg({ type: MessageType.MsgAppResp, from: m.to, to: 1n, term: 3n, index: li + 2n }));
      const applied = applyAll(r);
      assert.deepEqual(termsAndIndexes(applied), [...termsAndIndexes(prior), `3/${li + 1n}`, `3/${li + 2n}`]);
    }
  });

  test(`"Once a follower learns that a log entry is committed, it applies the entry to its local state machine (in log order)."`, () => {
    const cases: Array<{ ents: number; commit: number }> = [
      { ents: 1, commit: 1 },
      { ents: 2, commit: 2 },
      { ents: 2, commit: 1 },
      { ents: 1, commit: 1 },
    ];
    for (const c of cases) {
      const s = storageWithPeers(ids3);
      const r = newTestRaft(1n, 10, 1, s);
      r.becomeFollower(1n, 2n);
      const es = Array.from({ length: c.ents }, (_, k) => makeEntry({ Term: 1n, Index: BigInt(k + 1), Data: Buffer.from(`d${k}`) }));
      r.step(msg({ type: MessageType.MsgApp, from: 2n, to: 1n, term: 1n, logTerm: 0n, index: 0n, entries: es, commit: BigInt(c.commit) }));
      assert.equal(r.raftLog.committed, BigInt(c.commit));
      assert.deepEqual(termsAndIndexes(applyAll(r)), termsAndIndexes(es.slice(0, c.commit)));
    }
  });

  test(`"If the follower does not find an entry in its log with the same index and term, then it refuses the new entries."`, () => {
    const cases: Array<{ term: bigint; index: bigint; windex: bigint; reject: boolean; hint: bigint; hintTerm: bigint }> = [
      // match with committed entries
      { term: 0n, index: 0n, windex: 1n, reject: false, hint: 0n, hintTerm: 0n },
      { term: 1n, index: 1n, windex: 1n, reject: false, hint: 0n, hintTerm: 0n },
      // match with uncommitted entries
      { term: 2n, index: 2n, windex: 2n, reject: false, hint: 0n, hintTerm: 0n },
      // unmatch with existing entry: hint the last index at a term <= 1
      { term: 1n, index: 2n, windex: 2n, reject: true, hint: 1n, hintTerm: 1n },
      // unexisting entry: hint our last index
      { term: 3n, index: 3n, windex: 3n, reject: true, hint: 2n, hintTerm: 2n },
    ];
    for (const [i, c] of cases.entries()) {
      const s = storageWithPeers(ids3);
      s.append(ents([1, 1], [2, 2]));
      s.setHardState(hardState(0, 1));
      const r = newTestRaft(1n, 10, 1, s);
      r.becomeFollower(2n, 2n);
      r.step(msg({ type: MessageType.MsgApp, from: 2n, to: 1n, term: 2n, logTerm: c.term, index: c.index }));
      const [m] = readMessages(r);
      assert.equal(m?.type, MessageType.MsgAppResp, `case ${i}`);
      assert.equal(m.reject, c.reject, `case ${i}`);
      assert.equal(m.index, c.windex, `case ${i}`);
      assert.equal(m.rejectHint, c.hint, `case ${i}`);
      assert.equal(m.logTerm, c.hintTerm, `case ${i}`);
    }
  });

  test(`"If an existing entry conflicts with a new one (same index but different terms), delete the existing entry and all that follow it; append any new entries not already in the log."`, () => {
    const cases: Array<{ index: number; term: number; es: Array<[number, number]>; want: string[]; unstable: string[] }> = [
      { index: 2, term: 2, es: [[3, 3]], want: ["1/1", "2/2", "3/3"], unstable: ["3/3"] },
      { index: 1, term: 1, es: [[3, 2], [4, 3]], want: ["1/1", "3/2", "4/3"], unstable: ["3/2", "4/3"] },
      { index: 0, term: 0, es: [[1, 1]], want: ["1/1", "2/2"], unstable: [] },
      { index: 0, term: 0, es: [[3, 1]], want: ["3/1"], unstable: ["3/1"] },
    ];
    for (const [i, c] of cases.entries()) {
      const s = storageWithPeers(ids3);
      s.append(ents([1, 1], [2, 2]));
      const r = newTestRaft(1n, 10, 1, s);
      r.becomeFollower(2n, 2n);
      r.step(
        msg({
          type: MessageType.MsgApp,
          from: 2n,
          to: 1n,
          term: 2n,
          logTerm: BigInt(c.term),
          index: BigInt(c.index),
          entries: ents(...c.es),
        }),
      );
      assert.deepEqual(termsAndIndexes(r.raftLog.allEntries()), c.want, `case ${i}`);
      assert.deepEqual(termsAndIndexes(r.raftLog.unstableEntries()), c.unstable, `case ${i}`);
    }
  });

  test(`"The leader handles inconsistencies by forcing the followers' logs to duplicate its own." (Figure 7)`, () => {
    const leaderTerms = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    const followers: number[][] = [
      [1, 1, 1, 4, 4, 5, 5, 6, 6], // (a)
      [1, 1, 1, 4], // (b)
      [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6], // (c)
      [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7], // (d)
      [1, 1, 1, 4, 4, 4, 4], // (e)
      [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], // (f)
    ];
    const term = 8n;
    for (const [i, fterms] of followers.entries()) {
      const ls = storageWithPeers(ids3);
      ls.append(entsWithTerms(...leaderTerms));
      ls.setHardState({ term, vote: 0n, commit: BigInt(leaderTerms.length) });
      const fs = storageWithPeers(ids3);
      fs.append(entsWithTerms(...fterms));
      fs.setHardState({ term: term - 1n, vote: 0n, commit: 0n });
      // Node 3 never answers; its vote is injected so that 1 wins even when
      // 2's log is longer than 1's.
      const net = new Network(ids3, { storage: { "1": ls, "2": fs } });
      net.drop(1n, 3n, 1);
      net.drop(2n, 3n, 1);
      net.campaign(1n);
      net.send(msg({ type: MessageType.MsgVoteResp, from: 3n, to: 1n, term: term + 1n }));
      assert.equal(net.raft(1n).state, StateType.Leader, `case ${i}`);
      net.propose(1n, "");
      const want = net.raft(1n).raftLog.allEntries().map((e) => `${e.Term}/${e.Index}`);
      const got = net.raft(2n).raftLog.allEntries().map((e) => `${e.Term}/${e.Index}`);
      assert.deepEqual(got, want, `case ${i}`);
      assert.equal(net.raft(2n).raftLog.committed, net.raft(1n).raftLog.committed, `case ${i}`);
    }
  });
});

describe("§5.4 safety", () => {
  test(`"The RequestVote RPC ... includes information about the candidate's log"`, () => {
    for (const [i, c] of [
      { es: ents([1, 1]), wterm: 2n },
      { es: ents([1, 1], [2, 2]), wterm: 3n },
    ].entries()) {
      const s = storageWithPeers([1n, 2n, 3n]);
      const r = newTestRaft(1n, 10, 1, s);
      r.step(msg({ type: MessageType.MsgApp, from: 2n, to: 1n, term: c.wterm - 1n, logTerm: 0n, index: 0n, entries: c.es }));
      readMessages(r);
      while (r.state !== StateType.Candidate) r.tick();
      const last = c.es[c.es.length - 1]!;
      assert.deepEqual(shape(readMessages(r)), [
        `1->2 MsgVote t${c.wterm} i${last.Index} lt${last.Term} c0 n0`,
        `1->3 MsgVote t${c.wterm} i${last.Index} lt${last.Term} c0 n0`,
      ], `case ${i}`);
    }
  });

  test(`"the voter denies its vote if its own log is more up-to-date than that of the candidate."`, () => {
    // "If the logs have last entries with different terms, then the log with
    // the later term is more up-to-date. If the logs end with the same term,
    // then whichever log is longer is more up-to-date."
    const cases: Array<{ es: Array<[number, number]>; logTerm: bigint; index: bigint; reject: boolean }> = [
      { es: [[1, 1]], logTerm: 1n, index: 1n, reject: false },
      { es: [[1, 1]], logTerm: 1n, index: 2n, reject: false },
      { es: [[1, 1], [1, 2]], logTerm: 1n, index: 1n, reject: true },
      { es: [[1, 1]], logTerm: 2n, index: 1n, reject: false },
      { es: [[1, 1]], logTerm: 2n, index: 2n, reject: false },
      { es: [[1, 1], [1, 2]], logTerm: 2n, index: 1n, reject: false },
      { es: [[2, 1]], logTerm: 1n, index: 1n, reject: true },
      { es: [[2, 1]], logTerm: 1n, index: 2n, reject: true },
      { es: [[2, 1], [1, 2]], logTerm: 1n, index: 1n, reject: true },
    ];
    for (const [i, c] of cases.entries()) {
      const s = storageWithPeers([1n, 2n]);
      s.append(ents(...c.es));
      const r = newTestRaft(1n, 10, 1, s);
      r.step(msg({ type: MessageType.MsgVote, from: 2n, to: 1n, term: 3n, logTerm: c.logTerm, index: c.index }));
      const [m] = readMessages(r);
      assert.equal(m?.type, MessageType.MsgVoteResp, `case ${i}`);
      assert.equal(m.reject, c.reject, `case ${i}`);
    }
  });

  test(`"Raft never commits log entries from previous terms by counting replicas." (Figure 8)`, () => {
    // "Only log entries from the leader's current term are committed by
    // counting replicas; once an entry from the current term has been
    // committed ... all prior entries are committed indirectly."
    for (const [i, c] of [
      { index: 1n, wcommit: 0n }, // an entry of term 1: not by counting
      { index: 2n, wcommit: 0n }, // an entry of term 2: not by counting
      { index: 3n, wcommit: 3n }, // our own term-3 entry: commits 1..3
    ].entries()) {
      const s = storageWithPeers([1n, 2n]);
      s.append(ents([1, 1], [2, 2]));
      s.setHardState(hardState(2, 0));
      const r = newTestRaft(1n, 10, 1, s);
      r.becomeCandidate();
      r.becomeLeader();
      readMessages(r);
      r.step(msg({ type: MessageType.MsgProp, from: 1n, to: 1n, entries: [makeEntry({})] }));
      persist(r, s);
      r.step(msg({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: r.term, index: c.index }));
      assert.equal(r.raftLog.committed, c.wcommit, `case ${i}`);
    }
  });

  test("a leader counts its own log toward a quorum only once it is durable", () => {
    // Not a sentence of the paper but its §5.3 premise ("replicated it on a
    // majority"): the leader's copy counts only after the application
    // reports it persisted.
    const s = storageWithPeers([1n, 2n, 3n]);
    const r = newTestRaft(1n, 10, 1, s);
    r.becomeCandidate();
    r.becomeLeader();
    commitNoopEntry(r, s);
    r.step(msg({ type: MessageType.MsgProp, from: 1n, to: 1n, entries: [makeEntry({ Data: Buffer.from("x") })] }));
    readMessages(r);
    r.step(msg({ type: MessageType.MsgAppResp, from: 2n, to: 1n, term: 1n, index: 2n }));
    assert.equal(r.raftLog.committed, 1n, "one durable copy (follower 2) is not a majority of 3");
    persist(r, s);
    assert.equal(r.raftLog.committed, 2n, "leader + follower 2 are");
  });
});

describe("§8 client interaction", () => {
  test(`"a leader must check whether it has been deposed before processing a read-only request"`, () => {
    // "Raft handles this by having the leader exchange heartbeat messages
    // with a majority of the cluster before responding to read-only requests."
    const s = storageWithPeers(ids3);
    const r = newTestRaft(1n, 10, 1, s);
    r.becomeCandidate();
    r.becomeLeader();
    commitNoopEntry(r, s);
    r.step(msg({ type: MessageType.MsgReadIndex, from: 1n, entries: [makeEntry({ Data: Buffer.from("ctx") })] }));
    assert.equal(r.readStates.length, 0, "no answer before a quorum confirms leadership");
    const hbs = readMessages(r).filter((m) => m.type === MessageType.MsgHeartbeat);
    assert.equal(hbs.length, 2);
    r.step(msg({ type: MessageType.MsgHeartbeatResp, from: 2n, to: 1n, term: 1n, context: hbs[0]!.context }));
    assert.deepEqual(r.readStates.map((rs) => [rs.index, rs.requestCtx.toString()]), [[1n, "ctx"]]);
  });

  test(`"Second, a leader must have the latest information on which entries are committed" (a new leader first commits an entry of its term)`, () => {
    const s = storageWithPeers(ids3);
    const r = newTestRaft(1n, 10, 1, s);
    r.becomeCandidate();
    r.becomeLeader();
    r.step(msg({ type: MessageType.MsgReadIndex, from: 1n, entries: [makeEntry({ Data: Buffer.from("early") })] }));
    assert.equal(readMessages(r).filter((m) => m.type === MessageType.MsgHeartbeat).length, 0, "held until the noop commits");
    commitNoopEntry(r, s);
    assert.equal(r.readOnly.pendingCount(), 1, "released into a heartbeat round once the noop commits");
    // The next heartbeat carries the pending request's context; one ack is a quorum with us.
    r.tick();
    const hb = readMessages(r).find((m) => m.type === MessageType.MsgHeartbeat && m.to === 2n);
    assert.equal(hb?.context.toString(), "early");
    r.step(msg({ type: MessageType.MsgHeartbeatResp, from: 2n, to: 1n, term: 1n, context: hb.context }));
    assert.deepEqual(r.readStates.map((rs) => [rs.index, rs.requestCtx.toString()]), [[1n, "early"]]);
  });
});

test("MemoryStorage starts empty with the configured membership", () => {
  const s = new MemoryStorage({ confState: { voters: [1n], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } });
  assert.deepEqual(s.initialState().confState.voters, [1n]);
  assert.equal(s.lastIndex(), 0n);
  assert.equal(s.firstIndex(), 1n);
});
