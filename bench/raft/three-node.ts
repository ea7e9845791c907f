/**
 * Benchmark: a 3-node raft cluster in memory, no I/O and no encoding — the
 * cost of the consensus core alone. The leader proposes batches of entries;
 * every node runs the Ready loop (append to MemoryStorage, set hard state,
 * apply, advance) and messages are handed over directly. Logs are compacted
 * as they grow so memory stays flat.
 *
 *   node dist/bench/raft/three-node.js [--entries N] [--size BYTES] [--batch N] [--inflight N]
 *
 * Prints committed entries per second (applied on every node) and the cost
 * per entry, for each batch size given (default: 1, 16, 64, 256, 1024), with
 * up to ~4096 entries in flight; then a lock-step run (one entry at a time,
 * each committed before the next is proposed: the cost of a full round).
 */
import type { Message } from "../../src/gen/raftpb/raft.js";
import { SeededRandom } from "../../src/pkg/random.js";
import { MemoryStorage } from "../../src/raft/storage.js";
import { RawNode } from "../../src/raft/raw-node.js";
import { StateType } from "../../src/raft/types.js";
import { emptyConfState } from "../../src/raft/util.js";

interface Node {
  id: bigint;
  rn: RawNode;
  storage: MemoryStorage;
  applied: number;
  appliedIndex: bigint;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

function makeCluster(inflight: number): Node[] {
  const ids = [1n, 2n, 3n];
  return ids.map((id) => {
    const storage = new MemoryStorage({ confState: { ...emptyConfState(), voters: ids } });
    const rn = new RawNode({
      id,
      electionTick: 10,
      heartbeatTick: 1,
      storage,
      random: new SeededRandom(Number(id)),
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: inflight,
      maxCommittedSizePerReady: 64 * 1024 * 1024,
      checkQuorum: true,
      preVote: true,
    });
    return { id, rn, storage, applied: 0, appliedIndex: 0n };
  });
}

/** One pass of the Ready loop on every node; returns the messages to deliver. */
function processAll(nodes: Node[], out: Message[]): void {
  for (const n of nodes) {
    while (n.rn.hasReady()) {
      const rd = n.rn.ready();
      if (rd.entries.length > 0) n.storage.append(rd.entries);
      if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
      for (let i = 0; i < rd.messages.length; i++) out.push(rd.messages[i]!);
      const ce = rd.committedEntries;
      if (ce.length > 0) {
        n.applied += ce.length;
        n.appliedIndex = ce[ce.length - 1]!.Index;
      }
      n.rn.advance(rd);
    }
  }
}

function deliver(byId: Map<bigint, Node>, msgs: Message[]): void {
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i]!;
    byId.get(m.to)!.rn.step(m);
  }
}

function compact(n: Node, keep: bigint): void {
  const to = n.appliedIndex - keep;
  if (to > n.storage.firstIndex() + 4096n) n.storage.compact(to);
}

function run(
  total: number,
  size: number,
  batch: number,
  inflight: number,
  windowBatches?: number,
): { perSec: number; nsPerEntry: number; rounds: number } {
  const nodes = makeCluster(inflight);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  let msgs: Message[] = [];
  nodes[0]!.rn.campaign();
  for (let i = 0; i < 20 && nodes[0]!.rn.raft.state !== StateType.Leader; i++) {
    processAll(nodes, msgs);
    const batchMsgs = msgs;
    msgs = [];
    deliver(byId, batchMsgs);
  }
  // Let the leader's first entry commit everywhere.
  for (let i = 0; i < 10; i++) {
    processAll(nodes, msgs);
    const b = msgs;
    msgs = [];
    deliver(byId, b);
  }
  const leader = nodes[0]!;
  const payload = Buffer.alloc(size, 7);
  const data: Buffer[] = Array.from({ length: batch }, () => payload);
  const base = nodes.map((n) => n.applied);
  const target = total;
  let proposed = 0;
  let rounds = 0;
  // Keep a few batches in flight, as a busy server would.
  const window = windowBatches ?? Math.max(2, Math.ceil(4096 / batch));
  const t0 = process.hrtime.bigint();
  for (;;) {
    const done = Math.min(...nodes.map((n, i) => n.applied - base[i]!));
    if (done >= target) break;
    const inFlight = proposed - (leader.applied - base[0]!);
    for (let k = 0; k < window && proposed < target && inFlight + k * batch < window * batch; k++) {
      if (batch === 1) leader.rn.propose(payload);
      else leader.rn.proposeBatch(data);
      proposed += batch;
    }
    processAll(nodes, msgs);
    const b = msgs;
    msgs = [];
    deliver(byId, b);
    rounds++;
    if ((rounds & 63) === 0) for (const n of nodes) compact(n, 1024n);
  }
  const ns = Number(process.hrtime.bigint() - t0);
  const entries = Math.min(...nodes.map((n, i) => n.applied - base[i]!));
  return { perSec: (entries / ns) * 1e9, nsPerEntry: ns / entries, rounds };
}

const total = Number(arg("entries", "1000000"));
const size = Number(arg("size", "128"));
const inflight = Number(arg("inflight", "256"));
const batches = arg("batch", "1,16,64,256,1024").split(",").map(Number);

console.log(`raft 3-node in-memory benchmark: ${total} entries of ${size} B, maxInflightMsgs ${inflight}, node ${process.version}`);
// Warm up the JIT on a short run first.
run(50_000, size, 64, inflight);
for (const batch of batches) {
  const n = batch === 1 ? Math.min(total, 200_000) : total;
  const r = run(n, size, batch, inflight);
  console.log(
    `batch ${String(batch).padStart(5)}: ${Math.round(r.perSec).toLocaleString("en-US").padStart(11)} committed entries/s, ${(r.nsPerEntry / 1000).toFixed(2)} µs/entry (${n} entries, ${r.rounds} rounds)`,
  );
}
const lock = run(20_000, size, 1, inflight, 1);
console.log(
  `lock-step  : ${Math.round(lock.perSec).toLocaleString("en-US").padStart(11)} committed entries/s, ${(lock.nsPerEntry / 1000).toFixed(2)} µs per proposal round (propose, replicate, ack, commit, apply on 3 nodes)`,
);
