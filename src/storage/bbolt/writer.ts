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

/** What the first pass learns about one bucket. */
interface BucketPlan {
  readonly name: Uint8Array;
  /** Pages of its own tree, or 0 when it is stored inline in the root bucket. */
  readonly pages: number;
  /** The bucket's value in the root bucket: 16 bytes, or 16 plus its inline page. */
  readonly valueSize: number;
}

type Entries = Iterable<readonly [key: Uint8Array, value: Uint8Array]>;

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
    const tree = runToEnd(layTree(bucket.entries(), 0, next, pageSize, undefined));
    const inlineSize = PAGE_HEADER_SIZE + tree.elements * LEAF_ELEMENT_SIZE + tree.bytes;
    // bbolt's bucket.inlineable(): a one-leaf bucket no bigger than a quarter page lives in its parent.
    if (inlineSize <= pageSize / 4) plans.push({ name, pages: 0, valueSize: BUCKET_HEADER_SIZE + inlineSize });
    else {
      plans.push({ name, pages: tree.pages, valueSize: BUCKET_HEADER_SIZE });
      next += tree.pages;
    }
  }
  const rootPlan = runToEnd(layTree(plans.map((p) => [p.name, new Uint8Array(p.valueSize)] as const), BUCKET_LEAF_FLAG, next, pageSize, undefined));
  const highWater = next + rootPlan.pages;

  // Pass 2: the bytes.
  const out = new Chunker(pageSize);
  metaPage(out.reserve(pageSize), pageSize, txid, rootPlan.root, highWater, 0);
  metaPage(out.reserve(pageSize), pageSize, txid, rootPlan.root, highWater, 1);
  encodePageHeader(out.reserve(pageSize), 0, { id: BigInt(FREELIST_PAGE), flags: PageFlag.freelist, count: 0, overflow: 0 });
  next = FIRST_DATA_PAGE;
  const rootEntries: Array<readonly [Uint8Array, Uint8Array]> = [];
  const buckets = source.buckets()[Symbol.iterator]();
  for (const plan of plans) {
    const bucket = buckets.next();
    if (bucket.done || compareBytes(bucket.value.name, plan.name) !== 0) throw changedError();
    const value = new Uint8Array(plan.valueSize);
    if (plan.pages === 0) value.set(inlinePage(bucket.value.entries(), plan.valueSize - BUCKET_HEADER_SIZE), BUCKET_HEADER_SIZE);
    else {
      const tree = yield* layTree(bucket.value.entries(), 0, next, pageSize, out);
      if (tree.pages !== plan.pages) throw changedError();
      new DataView(value.buffer).setBigUint64(0, BigInt(tree.root), true);
      next += tree.pages;
    }
    rootEntries.push([plan.name, value]);
  }
  if (!buckets.next().done) throw changedError();
  const root = yield* layTree(rootEntries, BUCKET_LEAF_FLAG, next, pageSize, out);
  if (root.root !== rootPlan.root || next + root.pages !== highWater) throw changedError();
  yield* out.flush();
}

function changedError(): Error {
  return new Error("bbolt writer: the source changed between its two passes");
}

function runToEnd<R>(gen: Generator<Uint8Array, R>): R {
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

interface TreeLayout {
  readonly root: number;
  readonly pages: number;
  /** Entries and their key + value bytes: what decides whether a bucket is inline. */
  readonly elements: number;
  readonly bytes: number;
}

/**
 * Lays out one tree from `firstPgid` on: its leaves in key order, then its
 * branch levels bottom up. Writes the pages into `out` (yielding its full
 * chunks) or, without `out`, only measures; either way returns the same
 * layout (when measuring, the branch levels hold zero-filled keys of the
 * right length).
 */
function* layTree(entries: Entries, flags: number, firstPgid: number, pageSize: number, out: Chunker | undefined): Generator<Uint8Array, TreeLayout> {
  let next = firstPgid;
  let level: ChildRef[] = [];
  const leaf = new LeafBuilder(out !== undefined);
  const order = new KeyOrder();
  let elements = 0;
  let bytes = 0;
  const finishLeaf = (): void => {
    const pgid = next;
    const overflow = Math.ceil(leaf.size / pageSize) - 1;
    next += overflow + 1;
    level.push({ key: leaf.firstKey, pgid });
    leaf.take(pgid, overflow, out?.reserve((overflow + 1) * pageSize));
  };

  for (const [key, value] of entries) {
    order.check(key, value);
    const size = LEAF_ELEMENT_SIZE + key.length + value.length;
    if (leaf.count > 0 && (leaf.size + size > pageSize || leaf.count === MAX_ELEMENTS)) {
      finishLeaf();
      if (out) yield* out.ready();
    }
    leaf.add(key, value, flags);
    elements++;
    bytes += key.length + value.length;
  }
  if (leaf.count > 0 || level.length === 0) {
    finishLeaf();
    if (out) yield* out.ready();
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
      if (out) {
        branchPage(out.reserve((overflow + 1) * pageSize), level.slice(start, end), pgid, overflow);
        yield* out.ready();
      }
      start = end;
    }
    level = above;
  }
  return { root: level[0]!.pgid, pages: next - firstPgid, elements, bytes };
}

/** Checks each entry against bbolt's rules: keys non-empty, strictly ascending, within bbolt's limits. */
class KeyOrder {
  // The source may reuse its buffers for the next entry: the previous key is copied here.
  readonly #previous = Buffer.alloc(MAX_KEY_SIZE);
  #previousLength = -1;

  check(key: Uint8Array, value: Uint8Array): void {
    if (key.length === 0) throw new Error("bbolt writer: empty key");
    if (key.length > MAX_KEY_SIZE) throw new Error(`bbolt writer: key of ${key.length} bytes exceeds ${MAX_KEY_SIZE}`);
    if (value.length > MAX_VALUE_SIZE) throw new Error(`bbolt writer: value of ${value.length} bytes exceeds ${MAX_VALUE_SIZE}`);
    if (this.#previousLength >= 0 && this.#previous.compare(key, 0, key.length, 0, this.#previousLength) >= 0) throw new Error("bbolt writer: keys not strictly ascending");
    this.#previous.set(key);
    this.#previousLength = key.length;
  }
}

/**
 * One leaf page being filled: its element table and data gathered in
 * scratch buffers reused from page to page (only sizes when not writing).
 */
class LeafBuilder {
  count = 0;
  size = PAGE_HEADER_SIZE;
  firstKey: Uint8Array = EMPTY;
  readonly #write: boolean;
  readonly #table: number[] = [];
  #data = Buffer.allocUnsafe(4096);
  #dataLength = 0;

  constructor(write: boolean) {
    this.#write = write;
  }

  add(key: Uint8Array, value: Uint8Array, flags: number): void {
    // The first key names this page in the level above: a copy (or, sizing only, a stand-in of its length).
    if (this.count === 0) this.firstKey = this.#write ? new Uint8Array(key) : new Uint8Array(key.length);
    this.count++;
    this.size += LEAF_ELEMENT_SIZE + key.length + value.length;
    if (!this.#write) return;
    this.#table.push(flags, key.length, value.length);
    const needed = this.#dataLength + key.length + value.length;
    if (needed > this.#data.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.#data.length * 2));
      this.#data.copy(grown, 0, 0, this.#dataLength);
      this.#data = grown;
    }
    this.#data.set(key, this.#dataLength);
    this.#data.set(value, this.#dataLength + key.length);
    this.#dataLength = needed;
  }

  /** Writes the page into `page` (zero-filled; none when only sizing) and empties the builder for the next one. */
  take(pgid: number, overflow: number, page: Uint8Array | undefined): void {
    if (page !== undefined) {
      const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
      encodePageHeader(page, 0, { id: BigInt(pgid), flags: PageFlag.leaf, count: this.count, overflow });
      const dataStart = PAGE_HEADER_SIZE + this.count * LEAF_ELEMENT_SIZE;
      let data = dataStart;
      for (let i = 0; i < this.count; i++) {
        const at = PAGE_HEADER_SIZE + i * LEAF_ELEMENT_SIZE;
        const keySize = this.#table[i * 3 + 1]!;
        const valueSize = this.#table[i * 3 + 2]!;
        view.setUint32(at, this.#table[i * 3]!, true);
        view.setUint32(at + 4, data - at, true);
        view.setUint32(at + 8, keySize, true);
        view.setUint32(at + 12, valueSize, true);
        data += keySize + valueSize;
      }
      page.set(this.#data.subarray(0, this.#dataLength), dataStart);
    }
    this.count = 0;
    this.size = PAGE_HEADER_SIZE;
    this.#table.length = 0;
    this.#dataLength = 0;
    // A scratch buffer grown for a huge value is not kept for the pages after it.
    if (this.#data.length > 1 << 20) this.#data = Buffer.allocUnsafe(4096);
  }
}

const EMPTY = new Uint8Array(0);

/** Writes a branch page into `page` (zero-filled, big enough). */
function branchPage(page: Uint8Array, children: readonly ChildRef[], pgid: number, overflow: number): void {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
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
}

/** An inline bucket's leaf page (page id 0, as bbolt writes it), exactly `size` bytes. */
function inlinePage(entries: Entries, size: number): Uint8Array {
  const leaf = new LeafBuilder(true);
  const order = new KeyOrder();
  for (const [key, value] of entries) {
    order.check(key, value);
    leaf.add(key, value, 0);
    if (leaf.size > size) throw changedError();
  }
  if (leaf.size !== size) throw changedError();
  const page = new Uint8Array(size);
  leaf.take(0, 0, page);
  return page;
}

/** Meta page `index` (0 or 1): bbolt puts txid t on page t % 2, so the other page carries t - 1. */
function metaPage(page: Uint8Array, pageSize: number, txid: bigint, root: number, highWater: number, index: 0 | 1): void {
  const ownTxid = txid % 2n === BigInt(index) ? txid : txid - 1n;
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
}

/**
 * The output: pages are written straight into chunks of about CHUNK_BYTES
 * (a page bigger than that gets a chunk of its own); a chunk is handed out
 * once it is full, and never touched again.
 */
class Chunker {
  #chunk: Uint8Array;
  #used = 0;
  readonly #full: Uint8Array[] = [];

  constructor(private readonly pageSize: number) {
    this.#chunk = new Uint8Array(Math.max(CHUNK_BYTES, pageSize));
  }

  /** A zero-filled region of `length` bytes (whole pages) for the next page, in file order. */
  reserve(length: number): Uint8Array {
    if (this.#used + length > this.#chunk.length) this.#closeChunk();
    if (length > this.#chunk.length) {
      const own = new Uint8Array(length);
      this.#full.push(own);
      return own;
    }
    const region = this.#chunk.subarray(this.#used, this.#used + length);
    this.#used += length;
    return region;
  }

  /** The chunks completed so far. */
  *ready(): Generator<Uint8Array> {
    while (this.#full.length > 0) yield this.#full.shift()!;
  }

  /** Everything left, the last partial chunk included. */
  *flush(): Generator<Uint8Array> {
    this.#closeChunk();
    yield* this.ready();
  }

  #closeChunk(): void {
    if (this.#used === 0) return;
    this.#full.push(this.#chunk.subarray(0, this.#used));
    this.#chunk = new Uint8Array(Math.max(CHUNK_BYTES, this.pageSize));
    this.#used = 0;
  }
}
