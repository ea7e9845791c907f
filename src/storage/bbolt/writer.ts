/**
 * Writes a bbolt database file (etcd's backend format) from a
 * {@link BucketSource}, as a sequence of chunks that can be streamed
 * (Maintenance.Snapshot) or written to a file.
 *
 * Layout: meta pages 0 and 1, an empty freelist on page 2, then each
 * non-inline bucket's tree (its leaves in key order, then its branch levels
 * bottom up), then the root bucket's tree. The meta pages come first but name
 * the root page and the high-water mark, so a first pass over the source
 * measures the layout (sizes only) and a second one writes it.
 * @module
 */
import {
  BRANCH_ELEMENT_SIZE,
  BUCKET_HEADER_SIZE,
  BUCKET_LEAF_FLAG,
  LEAF_ELEMENT_SIZE,
  MAGIC,
  PAGE_HEADER_SIZE,
  PageFlag,
  VERSION,
  compareBytes,
  encodeMeta,
  encodePageHeader,
  isValidPageSize,
} from "./format.js";
import type { BucketSource } from "./source.js";

export interface BoltWriteOptions {
  /** bbolt page size; etcd's files use the OS page size, 4096. */
  readonly pageSize?: number;
  /** The transaction id stamped in the meta pages (≥ 1). */
  readonly txid?: bigint;
}

/** bbolt's limits on what Put accepts (bucket.go MaxKeySize, MaxValueSize). */
export const MAX_KEY_SIZE = 32768;
export const MAX_VALUE_SIZE = 2 ** 31 - 2;

/** Pages are gathered into chunks of about this size before they are yielded. */
const CHUNK_BYTES = 64 * 1024;
/** The first page a tree may use: 0 and 1 are the metas, 2 the freelist. */
const FIRST_DATA_PAGE = 3;
const FREELIST_PAGE = 2;
const MAX_ELEMENTS = 0xffff;

/**
 * The file's bytes, in order, in chunks of whole pages. Memory stays bounded
 * by the chunk size plus what the tree's upper levels need, whatever the
 * database's size.
 */
export function writeBolt(source: BucketSource, options: BoltWriteOptions = {}): Iterable<Uint8Array> {
  const pageSize = options.pageSize ?? 4096;
  const txid = options.txid ?? 1n;
  if (!isValidPageSize(pageSize)) throw new RangeError(`bbolt writer: page size ${pageSize} is not a power of two between 512 and 1 MiB`);
  if (txid < 1n || txid > 0xffff_ffff_ffff_ffffn) throw new RangeError(`bbolt writer: txid ${txid} out of range`);
  return generate(source, pageSize, txid);
}

/** One entry as a tree holds it: bucket entries in the root tree carry BUCKET_LEAF_FLAG. */
type Entry = readonly [key: Uint8Array, value: Uint8Array, flags: number];

/** What the first pass learns about one bucket. */
interface BucketPlan {
  readonly name: Uint8Array;
  /** Pages of its own tree, or 0 when it is stored inline in the root bucket. */
  readonly pages: number;
  /** The bucket's value in the root bucket: 16 bytes, or 16 plus its inline page. */
  readonly valueSize: number;
}

function* generate(source: BucketSource, pageSize: number, txid: bigint): Generator<Uint8Array> {
  // Pass 1: sizes only.
  const plans: BucketPlan[] = [];
  let next = FIRST_DATA_PAGE;
  let previousName: Uint8Array | undefined;
  for (const bucket of source.buckets()) {
    const name = new Uint8Array(bucket.name);
    if (name.length === 0) throw new Error("bbolt writer: empty bucket name");
    if (previousName !== undefined && compareBytes(previousName, name) >= 0) throw new Error("bbolt writer: bucket names not strictly ascending");
    previousName = name;
    const tally = { elements: 0, bytes: 0 };
    const tree = drain(layTree(tallied(leafEntries(bucket.entries()), tally), next, pageSize, false));
    const inlineSize = PAGE_HEADER_SIZE + tally.elements * LEAF_ELEMENT_SIZE + tally.bytes;
    // bbolt's bucket.inlineable(): a one-leaf bucket no bigger than a quarter page lives in its parent.
    if (inlineSize <= pageSize / 4) plans.push({ name, pages: 0, valueSize: BUCKET_HEADER_SIZE + inlineSize });
    else {
      plans.push({ name, pages: tree.pages, valueSize: BUCKET_HEADER_SIZE });
      next += tree.pages;
    }
  }
  const rootPlan = drain(layTree(plans.map((p): Entry => [p.name, new Uint8Array(p.valueSize), BUCKET_LEAF_FLAG]), next, pageSize, false));
  const highWater = next + rootPlan.pages;

  // Pass 2: the bytes.
  const out = new Chunker(pageSize);
  yield* out.push(metaPage(pageSize, txid, rootPlan.root, highWater, 0));
  yield* out.push(metaPage(pageSize, txid, rootPlan.root, highWater, 1));
  const freelist = new Uint8Array(pageSize);
  encodePageHeader(freelist, 0, { id: BigInt(FREELIST_PAGE), flags: PageFlag.freelist, count: 0, overflow: 0 });
  yield* out.push(freelist);
  next = FIRST_DATA_PAGE;
  const rootEntries: Entry[] = [];
  const buckets = source.buckets()[Symbol.iterator]();
  for (const plan of plans) {
    const bucket = buckets.next();
    if (bucket.done || compareBytes(bucket.value.name, plan.name) !== 0) throw changedError();
    const header = new Uint8Array(plan.valueSize);
    const headerView = new DataView(header.buffer);
    if (plan.pages === 0) {
      const inline = inlinePage(leafEntries(bucket.value.entries()), plan.valueSize - BUCKET_HEADER_SIZE);
      header.set(inline, BUCKET_HEADER_SIZE);
    } else {
      const tree = yield* out.pushAll(layTree(leafEntries(bucket.value.entries()), next, pageSize, true));
      if (tree.pages !== plan.pages) throw changedError();
      headerView.setBigUint64(0, BigInt(tree.root), true);
      next += tree.pages;
    }
    rootEntries.push([plan.name, header, BUCKET_LEAF_FLAG]);
  }
  if (!buckets.next().done) throw changedError();
  const root = yield* out.pushAll(layTree(rootEntries, next, pageSize, true));
  if (root.root !== rootPlan.root || next + root.pages !== highWater) throw changedError();
  yield* out.flush();
}

function changedError(): Error {
  return new Error("bbolt writer: the source changed between its two passes");
}

/** A bucket's own entries, checked: keys strictly ascending, within bbolt's limits. */
function* leafEntries(entries: Iterable<readonly [Uint8Array, Uint8Array]>): Generator<Entry> {
  let previous: Uint8Array | undefined;
  for (const [key, value] of entries) {
    if (key.length === 0) throw new Error("bbolt writer: empty key");
    if (key.length > MAX_KEY_SIZE) throw new Error(`bbolt writer: key of ${key.length} bytes exceeds ${MAX_KEY_SIZE}`);
    if (value.length > MAX_VALUE_SIZE) throw new Error(`bbolt writer: value of ${value.length} bytes exceeds ${MAX_VALUE_SIZE}`);
    if (previous !== undefined && compareBytes(previous, key) >= 0) throw new Error("bbolt writer: keys not strictly ascending");
    // The source may reuse its buffers for the next entry: keep our own copy of the key we compare with.
    previous = new Uint8Array(key);
    yield [key, value, 0];
  }
}

function* tallied(entries: Iterable<Entry>, tally: { elements: number; bytes: number }): Generator<Entry> {
  for (const entry of entries) {
    tally.elements++;
    tally.bytes += entry[0].length + entry[1].length;
    yield entry;
  }
}

function drain<R>(gen: Generator<Uint8Array, R>): R {
  for (;;) {
    const step = gen.next();
    if (step.done) return step.value;
  }
}

/** A page pointed to by the level above: its first key and id. */
interface ChildRef {
  readonly key: Uint8Array;
  readonly pgid: number;
}

/**
 * Lays out one tree from `firstPgid` on: yields its pages (when `write`),
 * returns its root page and page count. With `write` false only sizes are
 * computed (keys of the branch levels are kept as zero-filled arrays of the
 * right length), and the result is the same.
 */
function* layTree(entries: Iterable<Entry>, firstPgid: number, pageSize: number, write: boolean): Generator<Uint8Array, { root: number; pages: number }> {
  let next = firstPgid;
  let level: ChildRef[] = [];
  const pending: Entry[] = [];
  let pendingSize = PAGE_HEADER_SIZE;

  const flushLeaf = (): Uint8Array | undefined => {
    const pgid = next;
    const overflow = Math.ceil(pendingSize / pageSize) - 1;
    next += overflow + 1;
    level.push({ key: pending[0] !== undefined ? pending[0][0] : new Uint8Array(0), pgid });
    const page = write ? leafPage(pending, pgid, overflow, pageSize) : undefined;
    pending.length = 0;
    pendingSize = PAGE_HEADER_SIZE;
    return page;
  };

  for (const [key, value, flags] of entries) {
    const size = LEAF_ELEMENT_SIZE + key.length + value.length;
    if (pending.length > 0 && (pendingSize + size > pageSize || pending.length === MAX_ELEMENTS)) {
      const page = flushLeaf();
      if (page) yield page;
    }
    // Copies: the source may reuse its buffers; the sizing pass keeps only lengths.
    pending.push(write ? [new Uint8Array(key), new Uint8Array(value), flags] : [pending.length === 0 ? new Uint8Array(key.length) : EMPTY, new Uint8Array(0), flags]);
    pendingSize += size;
  }
  if (pending.length > 0 || level.length === 0) {
    const page = flushLeaf();
    if (page) yield page;
  }

  // Branch levels, bottom up, until one page remains: the root. Two or more
  // children a page (bbolt's minKeysPerPage) so every level is smaller than the last.
  while (level.length > 1) {
    const above: ChildRef[] = [];
    let start = 0;
    while (start < level.length) {
      let end = start;
      let size = PAGE_HEADER_SIZE;
      while (end < level.length) {
        const grown = size + BRANCH_ELEMENT_SIZE + level[end]!.key.length;
        if (end - start >= 2 && (grown > pageSize || end - start === MAX_ELEMENTS)) break;
        size = grown;
        end++;
      }
      // Never leave a single child for a page of its own.
      if (level.length - end === 1) {
        size += BRANCH_ELEMENT_SIZE + level[end]!.key.length;
        end++;
      }
      const pgid = next;
      const overflow = Math.ceil(size / pageSize) - 1;
      next += overflow + 1;
      above.push({ key: level[start]!.key, pgid });
      if (write) yield branchPage(level.slice(start, end), pgid, overflow, pageSize);
      start = end;
    }
    level = above;
  }
  return { root: level[0]!.pgid, pages: next - firstPgid };
}

const EMPTY = new Uint8Array(0);

function leafPage(elements: readonly Entry[], pgid: number, overflow: number, pageSize: number): Uint8Array {
  const page = new Uint8Array((overflow + 1) * pageSize);
  fillLeaf(page, elements, pgid, overflow);
  return page;
}

/** Writes a leaf page's header, elements and data into `page` (which is big enough). */
function fillLeaf(page: Uint8Array, elements: readonly Entry[], pgid: number, overflow: number): void {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  encodePageHeader(page, 0, { id: BigInt(pgid), flags: PageFlag.leaf, count: elements.length, overflow });
  let data = PAGE_HEADER_SIZE + elements.length * LEAF_ELEMENT_SIZE;
  elements.forEach(([key, value, flags], i) => {
    const at = PAGE_HEADER_SIZE + i * LEAF_ELEMENT_SIZE;
    view.setUint32(at, flags, true);
    view.setUint32(at + 4, data - at, true);
    view.setUint32(at + 8, key.length, true);
    view.setUint32(at + 12, value.length, true);
    page.set(key, data);
    page.set(value, data + key.length);
    data += key.length + value.length;
  });
}

function branchPage(children: readonly ChildRef[], pgid: number, overflow: number, pageSize: number): Uint8Array {
  const page = new Uint8Array((overflow + 1) * pageSize);
  const view = new DataView(page.buffer);
  encodePageHeader(page, 0, { id: BigInt(pgid), flags: PageFlag.branch, count: children.length, overflow });
  let data = PAGE_HEADER_SIZE + children.length * BRANCH_ELEMENT_SIZE;
  children.forEach((child, i) => {
    const at = PAGE_HEADER_SIZE + i * BRANCH_ELEMENT_SIZE;
    view.setUint32(at, data - at, true);
    view.setUint32(at + 4, child.key.length, true);
    view.setBigUint64(at + 8, BigInt(child.pgid), true);
    page.set(child.key, data);
    data += child.key.length;
  });
  return page;
}

/** An inline bucket's leaf page (page id 0, as bbolt writes it), exactly `size` bytes. */
function inlinePage(entries: Iterable<Entry>, size: number): Uint8Array {
  const elements: Entry[] = [];
  let used = PAGE_HEADER_SIZE;
  for (const [key, value, flags] of entries) {
    used += LEAF_ELEMENT_SIZE + key.length + value.length;
    if (used > size) throw changedError();
    elements.push([new Uint8Array(key), new Uint8Array(value), flags]);
  }
  if (used !== size) throw changedError();
  const page = new Uint8Array(size);
  fillLeaf(page, elements, 0, 0);
  return page;
}

/** Meta page `index` (0 or 1): bbolt puts txid t on page t % 2, so the other page carries t - 1. */
function metaPage(pageSize: number, txid: bigint, root: number, highWater: number, index: 0 | 1): Uint8Array {
  const ownTxid = txid % 2n === BigInt(index) ? txid : txid - 1n;
  const page = new Uint8Array(pageSize);
  encodePageHeader(page, 0, { id: BigInt(index), flags: PageFlag.meta, count: 0, overflow: 0 });
  encodeMeta(page, PAGE_HEADER_SIZE, {
    magic: MAGIC,
    version: VERSION,
    pageSize,
    flags: 0,
    root: BigInt(root),
    rootSequence: 0n,
    freelist: BigInt(FREELIST_PAGE),
    pgid: BigInt(highWater),
    txid: ownTxid,
  });
  return page;
}

/** Gathers pages into chunks of about CHUNK_BYTES; a page bigger than that goes out alone. */
class Chunker {
  #chunk: Uint8Array;
  #used = 0;

  constructor(private readonly pageSize: number) {
    this.#chunk = new Uint8Array(Math.max(CHUNK_BYTES, pageSize));
  }

  *push(page: Uint8Array): Generator<Uint8Array> {
    if (this.#used + page.length > this.#chunk.length) yield* this.flush();
    if (page.length >= this.#chunk.length) {
      yield page;
      return;
    }
    this.#chunk.set(page, this.#used);
    this.#used += page.length;
  }

  /** Pushes every page a tree yields and returns the tree's result. */
  *pushAll<R>(pages: Generator<Uint8Array, R>): Generator<Uint8Array, R> {
    for (;;) {
      const step = pages.next();
      if (step.done) return step.value;
      yield* this.push(step.value);
    }
  }

  *flush(): Generator<Uint8Array> {
    if (this.#used === 0) return;
    const full = this.#chunk.subarray(0, this.#used);
    this.#chunk = new Uint8Array(Math.max(CHUNK_BYTES, this.pageSize));
    this.#used = 0;
    yield full;
  }
}
