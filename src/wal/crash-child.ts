/**
 * The process the crash test kills: opens (or creates) the WAL given on the
 * command line, checks every entry it reads back, prints `ready <last index>`,
 * then appends batches of entries forever, printing `ack <last index>` after
 * each save resolves. Whatever it printed as acknowledged must survive kill -9.
 *
 *   node crash-child.js <dir> <segment bytes> <seed> <acknowledged index>
 *
 * On reopen the hard state's commit lies between the last index acknowledged
 * in earlier runs (its save was synced) and the last entry read back: a kill
 * in the middle of a save can leave some of that save's entries on disk
 * without the hard state written after them (a write cut short by SIGKILL).
 * @module
 */
import { SeededRandom } from "../pkg/random.js";
import { Wal } from "./wal.js";
import type { WalOptions } from "./wal.js";
import { crashEntrySize, makeEntry, payload } from "./test-support.js";

const [dir, segmentArg, seedArg, ackedArg] = process.argv.slice(2);
if (dir === undefined || segmentArg === undefined || seedArg === undefined || ackedArg === undefined) {
  throw new Error("usage: crash-child <dir> <segment bytes> <seed> <acknowledged index>");
}
const acknowledged = BigInt(ackedArg);
const opts: WalOptions = { segmentBytes: Number(segmentArg) };
const rnd = new SeededRandom(Number(seedArg));
const META = Buffer.from("crash-test");

function fail(msg: string): never {
  process.stdout.write(`bad ${msg}\n`);
  process.exit(3);
}

let wal: Wal;
let last = 0n;
let term = 1n;
if (Wal.exists(dir)) {
  const r = await Wal.open(dir, { index: 0n, term: 0n }, opts);
  if (!r.metadata.equals(META)) fail("metadata");
  for (let i = 0; i < r.entries.length; i++) {
    const e = r.entries[i]!;
    if (e.Index !== BigInt(i + 1)) fail(`entry ${i} has index ${e.Index}`);
    if (!e.Data.equals(payload(e.Index, e.Term, crashEntrySize(e.Index)))) fail(`entry ${e.Index} content`);
  }
  last = BigInt(r.entries.length);
  if (r.hardState.commit < acknowledged) fail(`commit ${r.hardState.commit} < acknowledged index ${acknowledged}`);
  if (r.hardState.commit > last) fail(`commit ${r.hardState.commit} > last index ${last}`);
  term = r.hardState.term + 1n;
  wal = r.wal;
} else {
  wal = await Wal.create(dir, META, opts);
}
process.stdout.write(`ready ${last}\n`);

for (;;) {
  const n = 1 + rnd.intn(rnd.intn(4) === 0 ? 200 : 16);
  const entries = [];
  for (let i = 1; i <= n; i++) {
    const index = last + BigInt(i);
    entries.push({ ...makeEntry(index, term, 0), Data: payload(index, term, crashEntrySize(index)) });
  }
  await wal.save({ term, vote: 1n, commit: last + BigInt(n) }, entries);
  last += BigInt(n);
  process.stdout.write(`ack ${last}\n`);
  if (rnd.intn(40) === 0) await wal.saveSnapshot({ index: last, term });
}
