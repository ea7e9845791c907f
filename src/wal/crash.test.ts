import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { SeededRandom } from "../pkg/random.js";
import { Wal } from "./wal.js";
import { tempDir } from "../pkg/test-support.js";
import { crashEntrySize, payload } from "./test-support.js";

const CHILD = fileURLToPath(new URL("./crash-child.js", import.meta.url));
const SEGMENT_BYTES = 32 * 1024; // small, so that kills also land in the middle of segment cuts
const ROUNDS = 12;

interface Round {
  ready: bigint;
  acked: bigint;
  acks: number;
  signal: NodeJS.Signals | null;
  bad: string | undefined;
}

/** Starts the child (told what was acknowledged so far), kills it with SIGKILL `delayMs` after it is ready, and collects what it printed. */
function runRound(dir: string, seed: number, delayMs: number, acked: bigint): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(SEGMENT_BYTES), String(seed), String(acked)], { stdio: ["ignore", "pipe", "inherit"] });
    const round: Round = { ready: -1n, acked: -1n, acks: 0, signal: null, bad: undefined };
    let buffered = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const [word, value] = line.split(" ");
        if (word === "ready") {
          round.ready = BigInt(value!);
          setTimeout(() => child.kill("SIGKILL"), delayMs);
        } else if (word === "ack") {
          round.acked = BigInt(value!);
          round.acks++;
        } else if (word === "bad") {
          round.bad = line;
        }
      }
    });
    child.on("error", reject);
    // 'close' fires after stdout is drained: every ack the child wrote before dying is counted.
    child.on("close", (_code, signal) => {
      round.signal = signal;
      resolve(round);
    });
  });
}

test("kill -9 under a write stream: every acknowledged entry is read back intact", { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, "wal-crash-");
  const rnd = new SeededRandom(20240917);
  let acked = 0n;
  let totalAcks = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const r = await runRound(dir, 1000 + i, 20 + rnd.intn(180), acked);
    assert.equal(r.bad, undefined, `round ${i}: the child found a damaged log: ${r.bad}`);
    assert.equal(r.signal, "SIGKILL", `round ${i}: the child must die by the kill`);
    assert.ok(r.ready >= acked, `round ${i}: reopened at ${r.ready}, but ${acked} was acknowledged`);
    if (r.acked > acked) acked = r.acked;
    totalAcks += r.acks;
  }
  assert.ok(totalAcks > ROUNDS * 5, `too few acknowledged saves (${totalAcks}) to mean anything`);

  const r = await Wal.open(dir, { index: 0n, term: 0n }, { segmentBytes: SEGMENT_BYTES });
  try {
    assert.ok(BigInt(r.entries.length) >= acked, `${r.entries.length} entries, ${acked} acknowledged`);
    for (const [i, e] of r.entries.entries()) {
      assert.equal(e.Index, BigInt(i + 1));
      assert.ok(e.Data.equals(payload(e.Index, e.Term, crashEntrySize(e.Index))), `entry ${e.Index}`);
    }
    t.diagnostic(`${ROUNDS} kills, ${totalAcks} acknowledged saves, ${acked} entries acknowledged, ${r.entries.length} read back, ${r.wal.segments.length} segments`);
  } finally {
    await r.wal.close();
  }
});
