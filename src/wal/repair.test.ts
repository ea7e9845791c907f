import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import type { HardState } from "../gen/raftpb/raft.js";
import { isWalError } from "./errors.js";
import { segmentNames } from "./names.js";
import { parseFrameHeader } from "./record.js";
import { Wal } from "./wal.js";
import type { WalOptions } from "./wal.js";
import { tempDir } from "../pkg/test-support.js";
import { copyDir, entryIntact, makeEntries, makeEntry } from "./test-support.js";

const META = Buffer.from("meta");
const OPTS: WalOptions = { segmentBytes: 16 * 1024 };
const ZERO_SNAP = { index: 0n, term: 0n };

function hs(term: bigint, commit: bigint): HardState {
  return { term, vote: 1n, commit };
}

function segments(dir: string): string[] {
  return segmentNames(fs.readdirSync(dir)).map((s) => s.name);
}

function frames(file: string): { offset: number; dataEnd: number; end: number }[] {
  const buf = fs.readFileSync(file);
  const out = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const h = parseFrameHeader(buf, off, 1 << 30);
    if (h.kind !== "frame") break;
    out.push({ offset: off, dataEnd: off + 8 + h.recordBytes, end: off + 8 + h.recordBytes + h.padding });
    off += 8 + h.recordBytes + h.padding;
  }
  return out;
}

/** Rewrites `[from, to)` of `file` with `fill(oldByte, position)`; returns whether anything changed. */
function rewrite(file: string, from: number, to: number, fill: (b: number, i: number) => number): boolean {
  const fd = fs.openSync(file, "r+");
  try {
    const buf = Buffer.alloc(to - from);
    fs.readSync(fd, buf, 0, buf.length, from);
    const before = Buffer.from(buf);
    for (let i = 0; i < buf.length; i++) buf[i] = fill(buf[i]!, from + i);
    fs.writeSync(fd, buf, 0, buf.length, from);
    return !before.equals(buf);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A log of 3+ segments whose last save is entries 121..`lastIndex` (with a
 * hard state when `withState`), all synced. Returns the template directory.
 */
async function template(t: Parameters<typeof tempDir>[0], withState: boolean): Promise<string> {
  const dir = tempDir(t);
  const wal = await Wal.create(dir, META, OPTS);
  for (let i = 1n; i <= 120n; i += 10n) await wal.save(hs(1n, i + 9n), makeEntries(i, i + 9n, 1n));
  await wal.save(withState ? hs(2n, 121n) : undefined, [makeEntry(121n, 2n)]);
  await wal.close();
  assert.ok(segments(dir).length >= 3);
  return dir;
}

async function expectOpens(dir: string, lastIndex: bigint, state: HardState): Promise<void> {
  const r = await Wal.open(dir, ZERO_SNAP, OPTS);
  try {
    assert.equal(r.entries.length, Number(lastIndex));
    assert.ok(r.entries.every((e, i) => e.Index === BigInt(i + 1) && entryIntact(e)));
    assert.deepEqual(r.hardState, state);
    // The repaired log takes appends, and they read back.
    await r.wal.save(hs(3n, lastIndex + 1n), [makeEntry(lastIndex + 1n, 3n)]);
  } finally {
    await r.wal.close();
  }
  const again = await Wal.open(dir, ZERO_SNAP, OPTS);
  assert.equal(again.entries.length, Number(lastIndex) + 1);
  assert.ok(again.entries.every((e) => entryIntact(e)));
  await again.wal.close();
}

for (const withState of [false, true]) {
  const what = withState ? "the hard state record" : "an entry record";
  const intact = withState ? 121n : 120n; // entries that survive a torn last record
  const prevState = withState ? hs(1n, 120n) : hs(1n, 120n);

  test(`torn tail, file cut at every byte of ${what}: repaired, the WAL opens and appends`, async (t) => {
    const tpl = await template(t, withState);
    const last = segments(tpl).at(-1)!;
    const f = frames(join(tpl, last)).at(-1)!;
    const work = join(tempDir(t), "w");
    for (let k = f.offset; k < f.end; k++) {
      copyDir(tpl, work);
      fs.truncateSync(join(work, last), k);
      await expectOpens(work, intact, prevState);
    }
  });

  test(`torn tail, zeros from every byte of ${what} on: repaired unless nothing changed`, async (t) => {
    const tpl = await template(t, withState);
    const last = segments(tpl).at(-1)!;
    const f = frames(join(tpl, last)).at(-1)!;
    const work = join(tempDir(t), "w");
    let kept = 0;
    for (let k = f.offset; k < f.end; k++) {
      copyDir(tpl, work);
      const changed = rewrite(join(work, last), k, f.end, () => 0);
      if (changed) {
        await expectOpens(work, intact, prevState);
        // Non-zero debris is kept for inspection.
        assert.equal(fs.readdirSync(work).some((n) => n.endsWith(".wal.broken")), k > f.offset);
      } else {
        kept++;
        await expectOpens(work, 121n, withState ? hs(2n, 121n) : prevState);
      }
    }
    assert.ok(kept < 12, "only zero bytes (high length bytes, padding) can be zeroed harmlessly");
  });
}

test("a damaged byte anywhere in a record in the middle of the last segment: Corrupt, naming file and offset", async (t) => {
  const tpl = await template(t, true);
  const last = segments(tpl).at(-1)!;
  const fs_ = frames(join(tpl, last));
  assert.ok(fs_.length > 6);
  const victim = fs_[Math.floor(fs_.length / 2)]!;
  const work = join(tempDir(t), "w");
  for (let k = victim.offset; k < victim.end; k++) {
    copyDir(tpl, work);
    rewrite(join(work, last), k, k + 1, (b) => b ^ 0x5a);
    if (k >= victim.dataEnd) {
      // Padding carries no data and no checksum: damage there loses nothing.
      await expectOpens(work, 121n, hs(2n, 121n));
      continue;
    }
    await assert.rejects(
      Wal.open(work, ZERO_SNAP, OPTS),
      (e) =>
        // The type byte is outside the CRC (as in etcd): a damaged type shows up as an unknown one.
        (isWalError(e, "Corrupt") || (k === victim.offset + 9 && isWalError(e, "UnknownRecordType"))) &&
        e.file === last &&
        e.offset === victim.offset &&
        e.message.includes(last) &&
        e.message.includes(`offset ${victim.offset}`),
      `byte ${k - victim.offset} of the frame`,
    );
    // Nothing was repaired or locked by the failed open.
    assert.equal(fs.existsSync(join(work, "wal.lock")), false);
  }
});

test("damage in an earlier segment is always Corrupt, even in its last record", async (t) => {
  const tpl = await template(t, true);
  const first = segments(tpl)[0]!;
  const work = join(tempDir(t), "w");
  for (const pick of ["middle", "last"] as const) {
    copyDir(tpl, work);
    const fr = frames(join(work, first));
    const victim = pick === "middle" ? fr[Math.floor(fr.length / 2)]! : fr.at(-1)!;
    rewrite(join(work, first), victim.dataEnd - 1, victim.dataEnd, (b) => b ^ 1);
    await assert.rejects(Wal.open(work, ZERO_SNAP, OPTS), (e) => isWalError(e, "Corrupt") && e.file === first && e.offset === victim.offset);
  }
});

test("a segment whose carried-in CRC breaks the chain: CrcMismatch", async (t) => {
  const dir = await template(t, true);
  const second = segments(dir)[1]!;
  // Frame 0 of a segment is the crc record: 8-byte length, then 08 04 10 <crc varint>.
  rewrite(join(dir, second), 12, 13, (b) => b ^ 0x10);
  await assert.rejects(Wal.open(dir, ZERO_SNAP, OPTS), (e) => isWalError(e, "CrcMismatch") && e.file === second && e.offset === 0);
});

test("a multi-sector write torn in the middle, with later parts on disk: repaired", async (t) => {
  const dir = tempDir(t);
  const opts: WalOptions = { segmentBytes: 64 * 1024 };
  const wal = await Wal.create(dir, META, opts);
  await wal.save(hs(1n, 10n), makeEntries(1n, 10n, 1n));
  // One write: a 3000-byte entry and five small ones after it.
  await wal.save(hs(1n, 16n), [makeEntry(11n, 1n, 3000), ...makeEntries(12n, 16n, 1n)]);
  await wal.close();
  const seg = join(dir, segments(dir)[0]!);
  const big = frames(seg).find((f) => f.dataEnd - f.offset > 3000)!;
  const sector = Math.ceil((big.offset + 8) / 512) * 512;
  assert.ok(sector + 512 <= big.dataEnd);
  rewrite(seg, sector, sector + 512, () => 0); // one sector of it never reached the disk
  const r = await Wal.open(dir, ZERO_SNAP, opts);
  assert.equal(r.entries.length, 10);
  assert.deepEqual(r.hardState, hs(1n, 10n));
  await r.wal.save(hs(2n, 11n), [makeEntry(11n, 2n)]);
  await r.wal.close();
  // Everything after the repaired end was zeroed, so the new record is followed by zeros only.
  const after = frames(seg);
  const buf = fs.readFileSync(seg);
  assert.ok(buf.subarray(after.at(-1)!.end).every((b) => b === 0));
  assert.ok(fs.existsSync(`${seg}.broken`));
  const again = await Wal.open(dir, ZERO_SNAP, opts);
  assert.deepEqual(again.entries.map((e) => [Number(e.Index), Number(e.Term)]).slice(-2), [[10, 1], [11, 2]]);
  await again.wal.close();
});

test("leftovers of an unsynced write after a zero gap are wiped on open", async (t) => {
  const dir = tempDir(t);
  const wal = await Wal.create(dir, META, OPTS);
  await wal.save(hs(1n, 5n), makeEntries(1n, 5n, 1n));
  await wal.close();
  const seg = join(dir, segments(dir)[0]!);
  const end = frames(seg).at(-1)!.end;
  rewrite(seg, end + 4096, end + 4096 + 700, (_, i) => (i % 251) + 1);
  const r = await Wal.open(dir, ZERO_SNAP, OPTS);
  assert.equal(r.entries.length, 5);
  await r.wal.close();
  assert.ok(fs.readFileSync(seg).subarray(end).every((b) => b === 0));
  assert.equal(fs.readFileSync(`${seg}.broken`).length, 4096 + 700);
});

test("a record length over the limit is damage, not a torn write", async (t) => {
  const dir = tempDir(t);
  const wal = await Wal.create(dir, META, OPTS);
  await wal.save(hs(1n, 5n), makeEntries(1n, 5n, 1n));
  await wal.close();
  const seg = join(dir, segments(dir)[0]!);
  const last = frames(seg).at(-1)!;
  rewrite(seg, last.offset + 3, last.offset + 4, () => 0x7f); // length + 2 GiB
  await assert.rejects(Wal.open(dir, ZERO_SNAP, OPTS), (e) => isWalError(e, "Corrupt") && e.offset === last.offset);
});
