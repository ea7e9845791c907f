/**
 * Writes a bbolt database file (etcd's backend format) from a
 * {@link BucketSource}, as a sequence of chunks that can be streamed
 * (Maintenance.Snapshot) or written to a file.
 *
 * Layout: meta pages 0 and 1, an empty freelist on page 2, then each
 * non-inline bucket's tree (its leaves in key order, each branch page right
 * after its last child), then the root bucket's tree. The meta pages come
 * first but name the root page and the high-water mark, so a first pass over
 * the source measures the layout (sizes only) and a second one writes it.
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
  META_SIZE,
  compareBytes,
  decodeMeta,
  encodeMeta,
  encodePageHeader,
  isValidPageSize,
  metaProblem,
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
 * The measuring pass has no bytes to give but may take seconds on a big
 * source: it yields an empty chunk after about this much, so that a consumer
 * awaiting between chunks lets its event loop run.
 */
const PAUSE_EVERY_BYTES = 1 << 20;
const PAUSE = new Uint8Array(0);

/**
 * The file's bytes, in order, in chunks of whole pages. Memory stays bounded
 * by the chunk size plus one page being filled per tree level (and the
 * largest value), whatever the database's size. While it measures the
 * source (before the first page), it yields empty chunks now and then
 * (about every MiB of source): a chance for an async consumer to await.
 */
export function writeBolt(source: BucketSource, options: BoltWriteOptions = {}): Iterable<Uint8Array> {
  const pageSize = options.pageSize ?? 4096;
  const txid = options.txid ?? 1n;
  if (!isValidPageSize(pageSize)) throw new RangeError(`bbolt writer: page size ${pageSize} is not a power of two between 512 and 1 MiB`);
  if (txid < 1n || txid > 0xffff_ffff_ffff_ffffn) throw new RangeError(`bbolt writer: txid ${txid} out of range`);
  return generate(source, pageSize, txid);
}

/**
 * The whole file's size, known from its first page (meta page 0: high-water
 * mark × page size). With {@link writeBolt}'s first non-empty chunk, a
 * stream can announce its total (etcd's `remaining_bytes`) without a
 * second run of the writer.
 */
export function boltFileSize(firstPage: Uint8Array): number {
  if (firstPage.length < PAGE_HEADER_SIZE + META_SIZE || metaProblem(firstPage, PAGE_HEADER_SIZE) !== undefined) throw new Error("bbolt writer: not the first page of a bbolt file");
  const meta = decodeMeta(firstPage, PAGE_HEADER_SIZE);
  return Number(meta.pgid) * meta.pageSize;
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
    const tree = yield* layTree(bucket.entries(), 0, next, pageSize, undefined);
    const inlineSize = PAGE_HEADER_SIZE + tree.elements * LEAF_ELEMENT_SIZE + tree.bytes;
    // bbolt's bucket.inlineable(): a one-leaf bucket no bigger than a quarter page lives in its parent.
    if (inlineSize <= pageSize / 4) plans.push({ name, pages: 0, valueSize: BUCKET_HEADER_SIZE + inlineSize });
    else {
      plans.push({ name, pages: tree.pages, valueSize: BUCKET_HEADER_SIZE });
      next += tree.pages;
    }
  }
  const rootPlan = yield* layTree(plans.map((p) => [p.name, new Uint8Array(p.valueSize)] as const), BUCKET_LEAF_FLAG, next, pageSize, undefined);
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

interface TreeLayout {
  readonly root: number;
  readonly pages: number;
  /** Entries and their key + value bytes: what decides whether a bucket is inline. */
  readonly elements: number;
  readonly bytes: number;
}

/**
 * Lays out one tree from `firstPgid` on, streaming: leaves in key order,
 * each branch page written as soon as its children are (so the file holds
 * a branch page right after its last child) and memory stays at one page
 * being filled per level. Writes the pages into `out` (yielding its full
 * chunks) or, without `out`, only measures; either way the layout is the
 * same.
 */
function* layTree(entries: Entries, flags: number, firstPgid: number, pageSize: number, out: Chunker | undefined): Generator<Uint8Array, TreeLayout> {
  let next = firstPgid;
  const leaf = new LeafBuilder(out !== undefined);
  const order = new KeyOrder();
  /** levels[0] gathers the leaves' first keys for the lowest branch pages, levels[1] the next, … */
  const levels: BranchBuilder[] = [];
  let elements = 0;
  let bytes = 0;
  let measuredSincePause = 0;

  /** Gives page `pgid` (first key `key`) to the branch page being filled at `depth`, writing that page first when it is full. */
  function* addChild(depth: number, key: Uint8Array, pgid: number): Generator<Uint8Array> {
    const branch = (levels[depth] ??= new BranchBuilder());
    // Two or more children a page (bbolt's minKeysPerPage): each level is at most half the one below.
    if (branch.count >= 2 && (branch.size + BRANCH_ELEMENT_SIZE + key.length > pageSize || branch.count === MAX_ELEMENTS)) yield* finishBranch(depth);
    branch.push(key, pgid);
  }

  function* finishBranch(depth: number): Generator<Uint8Array> {
    const branch = levels[depth]!;
    const pgid = next;
    const overflow = Math.ceil(branch.size / pageSize) - 1;
    next += overflow + 1;
    if (out) {
      branch.write(out.reserve((overflow + 1) * pageSize), pgid, overflow);
      yield* out.ready();
    }
    // The page is written before its parent can be: file order stays page id order.
    yield* addChild(depth + 1, branch.key(0), pgid);
    branch.clear();
  }

  function* finishLeaf(): Generator<Uint8Array> {
    const pgid = next;
    const overflow = Math.ceil(leaf.size / pageSize) - 1;
    next += overflow + 1;
    leaf.take(pgid, overflow, out?.reserve((overflow + 1) * pageSize));
    if (out) yield* out.ready();
    yield* addChild(0, leaf.firstKey(), pgid);
  }

  for (const [key, value] of entries) {
    order.check(key, value);
    const size = LEAF_ELEMENT_SIZE + key.length + value.length;
    if (leaf.count > 0 && (leaf.size + size > pageSize || leaf.count === MAX_ELEMENTS)) yield* finishLeaf();
    leaf.add(key, value, flags);
    elements++;
    bytes += key.length + value.length;
    measuredSincePause += size;
    if (!out && measuredSincePause >= PAUSE_EVERY_BYTES) {
      measuredSincePause = 0;
      yield PAUSE;
    }
  }
  // The last leaf (an empty one for an empty tree).
  yield* finishLeaf();
  // Close every level bottom up; a lone child at the top is the root.
  for (let depth = 0; ; depth++) {
    const branch = levels[depth]!;
    if (depth === levels.length - 1 && branch.count === 1) return { root: branch.pgid(0), pages: next - firstPgid, elements, bytes };
    yield* finishBranch(depth);
  }
}

/**
 * The branch page being filled at one level: its children's first keys
 * (copied into one reused buffer) and page ids.
 */
class BranchBuilder {
  count = 0;
  size = PAGE_HEADER_SIZE;
  #keys = new Uint8Array(4096);
  #used = 0;
  readonly #ends: number[] = [];
  readonly #pgids: number[] = [];

  push(key: Uint8Array, pgid: number): void {
    if (this.#used + key.length > this.#keys.length) {
      const grown = new Uint8Array(Math.max(this.#used + key.length, this.#keys.length * 2));
      grown.set(this.#keys.subarray(0, this.#used));
      this.#keys = grown;
    }
    this.#keys.set(key, this.#used);
    this.#used += key.length;
    this.#ends.push(this.#used);
    this.#pgids.push(pgid);
    this.count++;
    this.size += BRANCH_ELEMENT_SIZE + key.length;
  }

  key(i: number): Uint8Array {
    return this.#keys.subarray(i === 0 ? 0 : this.#ends[i - 1], this.#ends[i]);
  }

  pgid(i: number): number {
    return this.#pgids[i]!;
  }

  /** Writes the page into `page` (zero-filled, big enough). */
  write(page: Uint8Array, pgid: number, overflow: number): void {
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    encodePageHeader(page, 0, { id: BigInt(pgid), flags: PageFlag.branch, count: this.count, overflow });
    let data = PAGE_HEADER_SIZE + this.count * BRANCH_ELEMENT_SIZE;
    for (let i = 0; i < this.count; i++) {
      const at = PAGE_HEADER_SIZE + i * BRANCH_ELEMENT_SIZE;
      const key = this.key(i);
      view.setUint32(at, data - at, true);
      view.setUint32(at + 4, key.length, true);
      view.setBigUint64(at + 8, BigInt(this.#pgids[i]!), true);
      page.set(key, data);
      data += key.length;
    }
  }

  clear(): void {
    this.count = 0;
    this.size = PAGE_HEADER_SIZE;
    this.#used = 0;
    this.#ends.length = 0;
    this.#pgids.length = 0;
  }
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
  readonly #write: boolean;
  readonly #table: number[] = [];
  #data = Buffer.allocUnsafe(4096);
  #dataLength = 0;
  readonly #first = new Uint8Array(MAX_KEY_SIZE);
  #firstLength = 0;

  constructor(write: boolean) {
    this.#write = write;
  }

  /** The first key of the page being filled (of the last one, after take); valid until the next add. */
  firstKey(): Uint8Array {
    return this.#first.subarray(0, this.#firstLength);
  }

  add(key: Uint8Array, value: Uint8Array, flags: number): void {
    if (this.count === 0) {
      this.#first.set(key);
      this.#firstLength = key.length;
    }
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
