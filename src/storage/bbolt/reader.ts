/**
 * Reads a bbolt database file (etcd's member/snap/db or a snapshot file
 * without its SHA-256 trailer) with validation: a damaged or truncated file
 * is a {@link BoltFormatError}, never a crash or a hang.
 *
 * Pages are read on demand with positioned reads, so memory stays at a few
 * pages (plus the root bucket's list of buckets) whatever the file's size.
 * @module
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import {
  BRANCH_ELEMENT_SIZE,
  BUCKET_HEADER_SIZE,
  BUCKET_LEAF_FLAG,
  LEAF_ELEMENT_SIZE,
  META_SIZE,
  NO_FREELIST,
  PAGE_HEADER_SIZE,
  PageFlag,
  compareBytes,
  decodeMeta,
  decodePageHeader,
  isValidPageSize,
  metaProblem,
  pageTypeName,
  type Meta,
} from "./format.js";
import type { BucketContents, BucketSource } from "./source.js";

export class BoltFormatError extends Error {
  override readonly name = "BoltFormatError";
}

export interface BoltFile extends BucketSource {
  readonly pageSize: number;
  /** The transaction id of the meta page in use. */
  readonly txid: bigint;
  /** bbolt's tx.Size(): the high-water page id × page size (what etcd reports as the database size). */
  readonly size: number;
  bucket(name: string): BucketContents | undefined;
  close(): void;
}

/** Opens `path` (read only). `limitBytes` reads only that prefix of the file (a snapshot file's trailer left out). */
export function openBoltFile(path: string, options: { limitBytes?: number } = {}): BoltFile {
  const fd = openSync(path, "r");
  try {
    const fileBytes = Math.min(fstatSync(fd).size, options.limitBytes ?? Number.POSITIVE_INFINITY);
    const pages = new PageReader(fd, path, fileBytes);
    const meta = pickMeta(pages);
    pages.setLayout(meta.pageSize, Number(meta.pgid));
    return new OpenBoltFile(pages, meta, readBucketList(pages, meta.root));
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Pages read at once (aligned): 64 KiB with 4 KiB pages. */
const BLOCK_PAGES = 16;

/** A tree's deepest plausible level: bbolt's trees hold ≥ 2 keys a page, so 64 levels is far beyond any real file. */
const MAX_DEPTH = 64;

/** A bucket as the root bucket lists it: its root page, or its inline leaf page. */
type BucketRef = { readonly name: Uint8Array; readonly root: number; readonly inline?: Uint8Array };

class OpenBoltFile implements BoltFile {
  readonly pageSize: number;
  readonly txid: bigint;
  readonly size: number;
  readonly #pages: PageReader;
  readonly #buckets: readonly BucketContents[];

  constructor(pages: PageReader, meta: Meta, refs: readonly BucketRef[]) {
    this.#pages = pages;
    this.pageSize = meta.pageSize;
    this.txid = meta.txid;
    this.size = Number(meta.pgid) * meta.pageSize;
    this.#buckets = refs.map((ref) => ({ name: ref.name, entries: () => walkBucket(pages, ref) }));
  }

  buckets(): Iterable<BucketContents> {
    return this.#buckets;
  }

  bucket(name: string): BucketContents | undefined {
    const wanted = Buffer.from(name, "latin1");
    return this.#buckets.find((b) => Buffer.from(b.name).equals(wanted));
  }

  close(): void {
    this.#pages.close();
  }
}

/** Positioned page reads, each checked against the file's end and the high-water mark. */
class PageReader {
  pageSize = 0;
  highWater = 0;
  #closed = false;
  #block: { first: number; bytes: Uint8Array } = { first: 0, bytes: new Uint8Array(0) };

  constructor(
    private readonly fd: number,
    readonly path: string,
    readonly fileBytes: number,
  ) {}

  setLayout(pageSize: number, highWater: number): void {
    this.pageSize = pageSize;
    this.highWater = highWater;
  }

  fail(message: string): never {
    throw new BoltFormatError(`bbolt file ${this.path}: ${message}`);
  }

  /** Reads `length` bytes at `offset`, or undefined when the file is shorter. */
  readAt(offset: number, length: number): Uint8Array | undefined {
    if (offset + length > this.fileBytes) return undefined;
    if (this.#closed) throw new Error("bbolt file is closed");
    const buf = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, done, length - done, offset + done);
      if (n === 0) return undefined;
      done += n;
    }
    return buf;
  }

  /** The page `pgid` with its overflow pages, as a tree page must be: in range, its own id, branch or leaf. */
  treePage(pgid: number): Uint8Array {
    if (pgid < 2 || pgid >= this.highWater) this.fail(`page ${pgid} is out of range (high water mark ${this.highWater})`);
    const head = this.#pageFromBlock(pgid);
    const header = decodePageHeader(head);
    if (header.id !== BigInt(pgid)) this.fail(`page ${pgid}: header says page ${header.id}`);
    if (header.flags !== PageFlag.branch && header.flags !== PageFlag.leaf) this.fail(`page ${pgid}: invalid type: ${pageTypeName(header.flags)}, expected branch or leaf`);
    const last = pgid + header.overflow;
    if (last >= this.highWater) this.fail(`page ${pgid}: ${header.overflow} overflow pages run past the high water mark ${this.highWater}`);
    if (header.overflow === 0) return head;
    return this.readAt(pgid * this.pageSize, (header.overflow + 1) * this.pageSize) ?? this.fail(`page ${pgid} is past the end of the file (${this.fileBytes} bytes)`);
  }

  /**
   * One page, read with the pages around it: leaves sit next to each other
   * in most files, so reading BLOCK_PAGES at a time saves most system calls.
   * A block is never reused (entries handed out point into it).
   */
  #pageFromBlock(pgid: number): Uint8Array {
    const { first, bytes } = this.#block;
    if (pgid < first || pgid >= first + bytes.length / this.pageSize) {
      const start = pgid - (pgid % BLOCK_PAGES);
      const end = Math.min(start + BLOCK_PAGES, this.highWater);
      this.#block = { first: start, bytes: this.readAt(start * this.pageSize, (end - start) * this.pageSize) ?? this.fail(`page ${pgid} is past the end of the file (${this.fileBytes} bytes)`) };
    }
    const at = (pgid - this.#block.first) * this.pageSize;
    return this.#block.bytes.subarray(at, at + this.pageSize);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.fd);
  }
}

/** bbolt's db.meta(): the valid meta page with the higher txid, else the other one. */
function pickMeta(pages: PageReader): Meta {
  const first = pages.readAt(0, PAGE_HEADER_SIZE + META_SIZE) ?? pages.fail(`file too small (${pages.fileBytes} bytes) for a bbolt database`);
  const problems: string[] = [];
  const candidates: Meta[] = [];
  const problem0 = metaProblem(first, PAGE_HEADER_SIZE) ?? structureProblem(pages, decodeMeta(first, PAGE_HEADER_SIZE), 0);
  if (problem0 === undefined) candidates.push(decodeMeta(first, PAGE_HEADER_SIZE));
  else problems.push(`meta page 0: ${problem0}`);
  // Meta page 1 sits one page in; with meta 0 unreadable, try the usual page size first, then the others.
  const sizes = candidates.length > 0 ? [candidates[0]!.pageSize] : [4096, 512, 1024, 2048, 8192, 16384, 32768, 65536];
  // When no size fits, report what the first (the likeliest) size found.
  let problem1: string | undefined;
  for (const size of sizes) {
    const second = pages.readAt(size, PAGE_HEADER_SIZE + META_SIZE);
    const problem = second === undefined ? `past the end of the file (${pages.fileBytes} bytes)` : (metaProblem(second, PAGE_HEADER_SIZE) ?? structureProblem(pages, decodeMeta(second, PAGE_HEADER_SIZE), size));
    if (problem === undefined) {
      candidates.push(decodeMeta(second!, PAGE_HEADER_SIZE));
      problem1 = undefined;
      break;
    }
    problem1 ??= problem;
  }
  if (problem1 !== undefined) problems.push(`meta page 1: ${problem1}`);
  const best = candidates.sort((a, b) => (a.txid === b.txid ? 0 : a.txid > b.txid ? -1 : 1))[0];
  return best ?? pages.fail(`no valid meta page (${problems.join("; ")})`);
}

/** What makes a checksummed meta unusable with this file, or undefined. */
function structureProblem(pages: PageReader, meta: Meta, pageOffset: number): string | undefined {
  if (!isValidPageSize(meta.pageSize)) return `invalid page size ${meta.pageSize}`;
  if (pageOffset !== 0 && pageOffset !== meta.pageSize) return `page size ${meta.pageSize} does not match its offset ${pageOffset}`;
  if (meta.pgid < 3n) return `high water mark ${meta.pgid} is below 3`;
  const size = meta.pgid * BigInt(meta.pageSize);
  if (size > BigInt(pages.fileBytes)) return `truncated: the database needs ${size} bytes, the file has ${pages.fileBytes}`;
  if (meta.root < 2n || meta.root >= meta.pgid) return `root page ${meta.root} out of range (high water mark ${meta.pgid})`;
  if (meta.freelist !== NO_FREELIST && (meta.freelist < 2n || meta.freelist >= meta.pgid)) return `freelist page ${meta.freelist} out of range (high water mark ${meta.pgid})`;
  return undefined;
}

/** The root bucket's entries: every top-level bucket, names ascending. */
function readBucketList(pages: PageReader, root: bigint): BucketRef[] {
  const refs: BucketRef[] = [];
  for (const [name, value, flags] of walkTree(pages, { name: new TextEncoder().encode("<root>"), root: Number(root) }, true)) {
    if ((flags & BUCKET_LEAF_FLAG) === 0) pages.fail(`root bucket: key ${JSON.stringify(Buffer.from(name).toString("latin1"))} is not a bucket`);
    if (value.length < BUCKET_HEADER_SIZE) pages.fail(`bucket ${bucketLabel(name)}: header of ${value.length} bytes`);
    const header = new DataView(value.buffer, value.byteOffset, BUCKET_HEADER_SIZE);
    const bucketRoot = header.getBigUint64(0, true);
    if (bucketRoot === 0n) refs.push({ name, root: 0, inline: value.subarray(BUCKET_HEADER_SIZE) });
    else if (bucketRoot >= BigInt(pages.highWater)) pages.fail(`bucket ${bucketLabel(name)}: root page ${bucketRoot} out of range (high water mark ${pages.highWater})`);
    else refs.push({ name, root: Number(bucketRoot) });
  }
  return refs;
}

function* walkBucket(pages: PageReader, ref: BucketRef): Generator<readonly [Uint8Array, Uint8Array]> {
  for (const [key, value, flags] of walkTree(pages, ref, false)) {
    if (flags & BUCKET_LEAF_FLAG) pages.fail(`bucket ${bucketLabel(ref.name)}: nested bucket ${bucketLabel(key)} (etcd uses none)`);
    yield [key, value];
  }
}

/**
 * Every leaf entry of one tree, keys strictly ascending. A page may be read
 * at most once (a budget of high-water-mark pages), so a cycle or a shared
 * page is an error, not a hang.
 */
function* walkTree(pages: PageReader, ref: BucketRef, isRoot: boolean): Generator<readonly [Uint8Array, Uint8Array, number]> {
  const where = isRoot ? "root bucket" : `bucket ${bucketLabel(ref.name)}`;
  let budget = pages.highWater;
  let previous: Uint8Array | undefined;
  const fail = (message: string): never => pages.fail(`${where}: ${message}`);

  function* leaf(page: Uint8Array, label: string): Generator<readonly [Uint8Array, Uint8Array, number]> {
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    const count = view.getUint16(10, true);
    if (PAGE_HEADER_SIZE + count * LEAF_ELEMENT_SIZE > page.length) fail(`${label}: ${count} elements do not fit`);
    for (let i = 0; i < count; i++) {
      const at = PAGE_HEADER_SIZE + i * LEAF_ELEMENT_SIZE;
      const flags = view.getUint32(at, true);
      const start = at + view.getUint32(at + 4, true);
      const keyEnd = start + view.getUint32(at + 8, true);
      const end = keyEnd + view.getUint32(at + 12, true);
      if (end > page.length) fail(`${label}: element ${i} runs past the page`);
      const key = page.subarray(start, keyEnd);
      if (previous !== undefined && compareBytes(previous, key) >= 0) fail(`${label}: keys out of order`);
      previous = key;
      yield [key, page.subarray(keyEnd, end), flags];
    }
  }

  function* node(pgid: number, depth: number): Generator<readonly [Uint8Array, Uint8Array, number]> {
    if (depth > MAX_DEPTH) fail(`page ${pgid}: tree deeper than ${MAX_DEPTH} levels (a cycle?)`);
    const page = pages.treePage(pgid);
    const header = decodePageHeader(page);
    budget -= header.overflow + 1;
    if (budget < 0) fail(`page ${pgid}: more pages reached than the file holds (a cycle or a shared page)`);
    if (header.flags === PageFlag.leaf) {
      yield* leaf(page, `page ${pgid}`);
      return;
    }
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    if (header.count === 0) fail(`page ${pgid}: empty branch page`);
    if (PAGE_HEADER_SIZE + header.count * BRANCH_ELEMENT_SIZE > page.length) fail(`page ${pgid}: ${header.count} elements do not fit`);
    const children: number[] = [];
    for (let i = 0; i < header.count; i++) {
      const at = PAGE_HEADER_SIZE + i * BRANCH_ELEMENT_SIZE;
      const end = at + view.getUint32(at, true) + view.getUint32(at + 4, true);
      if (end > page.length) fail(`page ${pgid}: element ${i} runs past the page`);
      const child = view.getBigUint64(at + 8, true);
      if (child >= BigInt(pages.highWater)) fail(`page ${pgid}: child page ${child} out of range (high water mark ${pages.highWater})`);
      children.push(Number(child));
    }
    for (const child of children) yield* node(child, depth + 1);
  }

  if (ref.inline !== undefined) {
    if (ref.inline.length < PAGE_HEADER_SIZE) fail(`inline page of ${ref.inline.length} bytes`);
    const flags = decodePageHeader(ref.inline).flags;
    if (flags !== PageFlag.leaf) fail(`inline page: invalid type: ${pageTypeName(flags)}, expected leaf`);
    yield* leaf(ref.inline, "inline page");
    return;
  }
  yield* node(ref.root, 0);
}

function bucketLabel(name: Uint8Array): string {
  return JSON.stringify(Buffer.from(name).toString("latin1"));
}
