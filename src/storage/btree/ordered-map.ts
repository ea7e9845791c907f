/**
 * An ordered map from string keys to values, kept in a B+tree. Keys are
 * compared with the JS `<` operator, i.e. by UTF-16 code unit; storage code
 * uses latin1 strings (one char per byte), whose order is exactly unsigned
 * byte order, which is how etcd orders keys.
 *
 * Leaves are linked so that a range scan walks siblings without going back up
 * the tree. Deletion rebalances (borrow or merge), so the tree stays compact
 * after mass deletes (compaction removes many keys at once).
 * @module
 */

const MAX_ENTRIES = 64;
const MIN_ENTRIES = MAX_ENTRIES >> 2;

interface Leaf<V> {
  readonly leaf: true;
  keys: string[];
  vals: V[];
  next: Leaf<V> | null;
  prev: Leaf<V> | null;
}

/** keys[i] separates children[i] and children[i+1]: keys in children[i+1] are >= keys[i]. */
interface Inner<V> {
  readonly leaf: false;
  keys: string[];
  children: Node<V>[];
}

type Node<V> = Leaf<V> | Inner<V>;

interface Split<V> {
  sep: string;
  right: Node<V>;
}

function newLeaf<V>(): Leaf<V> {
  return { leaf: true, keys: [], vals: [], next: null, prev: null };
}

/** First index i with keys[i] >= key. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i with keys[i] > key: the child of an inner node that holds key. */
function upperBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function nodeSize<V>(n: Node<V>): number {
  return n.leaf ? n.keys.length : n.children.length;
}

export class OrderedMap<V> {
  #root: Node<V> = newLeaf<V>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(key: string): V | undefined {
    const leaf = this.#findLeaf(key);
    const i = lowerBound(leaf.keys, key);
    return i < leaf.keys.length && leaf.keys[i] === key ? leaf.vals[i] : undefined;
  }

  has(key: string): boolean {
    const leaf = this.#findLeaf(key);
    const i = lowerBound(leaf.keys, key);
    return i < leaf.keys.length && leaf.keys[i] === key;
  }

  /** Inserts or replaces. */
  set(key: string, value: V): void {
    const split = this.#insert(this.#root, key, value);
    if (split !== null) {
      this.#root = { leaf: false, keys: [split.sep], children: [this.#root, split.right] };
    }
  }

  /** Removes `key`; false when it was absent. */
  delete(key: string): boolean {
    const removed = this.#remove(this.#root, key);
    const root = this.#root;
    if (!root.leaf && root.children.length === 1) this.#root = root.children[0]!;
    return removed;
  }

  clear(): void {
    this.#root = newLeaf<V>();
    this.#size = 0;
  }

  /**
   * Calls `visit` for every entry with `from <= key < to` in ascending key
   * order (`to` undefined: up to the last key). Stops early when `visit`
   * returns false. The map must not be modified during the walk.
   */
  forEachInRange(from: string, to: string | undefined, visit: (key: string, value: V) => boolean | void): void {
    let leaf: Leaf<V> | null = this.#findLeaf(from);
    let i = lowerBound(leaf.keys, from);
    while (leaf !== null) {
      const keys = leaf.keys;
      for (; i < keys.length; i++) {
        const k = keys[i]!;
        if (to !== undefined && k >= to) return;
        if (visit(k, leaf.vals[i]!) === false) return;
      }
      leaf = leaf.next;
      i = 0;
    }
  }

  /** Every entry in ascending key order. */
  forEach(visit: (key: string, value: V) => boolean | void): void {
    this.forEachInRange("", undefined, visit);
  }

  /** Keys in ascending order (for tests and debugging). */
  keys(): string[] {
    const out: string[] = [];
    this.forEach((k) => {
      out.push(k);
    });
    return out;
  }

  /** The smallest key >= `key`, if any. */
  ceilingKey(key: string): string | undefined {
    let found: string | undefined;
    this.forEachInRange(key, undefined, (k) => {
      found = k;
      return false;
    });
    return found;
  }

  /** Checks the structural invariants; throws on violation (tests only). */
  checkInvariants(): void {
    let count = 0;
    const walk = (n: Node<V>, lo: string | undefined, hi: string | undefined, isRoot: boolean): number => {
      const size = nodeSize(n);
      if (size > MAX_ENTRIES) throw new Error(`node over capacity: ${size}`);
      if (!isRoot && size < MIN_ENTRIES) throw new Error(`node under capacity: ${size}`);
      for (let i = 1; i < n.keys.length; i++) {
        if (!(n.keys[i - 1]! < n.keys[i]!)) throw new Error("keys out of order");
      }
      for (const k of n.keys) {
        if (lo !== undefined && k < lo) throw new Error("key below its lower separator");
        if (hi !== undefined && k >= hi) throw new Error("key at or above its upper separator");
      }
      if (n.leaf) {
        if (n.vals.length !== n.keys.length) throw new Error("leaf keys/vals length mismatch");
        count += n.keys.length;
        return 1;
      }
      if (n.keys.length !== n.children.length - 1) throw new Error("inner keys/children mismatch");
      let depth = -1;
      for (let i = 0; i < n.children.length; i++) {
        const d = walk(n.children[i]!, i === 0 ? lo : n.keys[i - 1], i === n.keys.length ? hi : n.keys[i], false);
        if (depth !== -1 && d !== depth) throw new Error("unbalanced tree");
        depth = d;
      }
      return depth + 1;
    };
    walk(this.#root, undefined, undefined, true);
    if (count !== this.#size) throw new Error(`size ${this.#size} but ${count} entries`);
    // The leaf chain must visit every entry in order, in both directions.
    let leaf: Leaf<V> | null = this.#findLeaf("");
    let prev: Leaf<V> | null = null;
    let chained = 0;
    while (leaf !== null) {
      if (leaf.prev !== prev) throw new Error("broken prev link");
      chained += leaf.keys.length;
      prev = leaf;
      leaf = leaf.next;
    }
    if (chained !== this.#size) throw new Error("leaf chain misses entries");
  }

  #findLeaf(key: string): Leaf<V> {
    let n = this.#root;
    while (!n.leaf) n = n.children[upperBound(n.keys, key)]!;
    return n;
  }

  #insert(n: Node<V>, key: string, value: V): Split<V> | null {
    if (n.leaf) {
      const i = lowerBound(n.keys, key);
      if (i < n.keys.length && n.keys[i] === key) {
        n.vals[i] = value;
        return null;
      }
      // Appending at the end is the common case (increasing keys): avoid splice.
      if (i === n.keys.length) {
        n.keys.push(key);
        n.vals.push(value);
      } else {
        n.keys.splice(i, 0, key);
        n.vals.splice(i, 0, value);
      }
      this.#size++;
      return n.keys.length > MAX_ENTRIES ? this.#splitLeaf(n) : null;
    }
    const ci = upperBound(n.keys, key);
    const split = this.#insert(n.children[ci]!, key, value);
    if (split === null) return null;
    n.keys.splice(ci, 0, split.sep);
    n.children.splice(ci + 1, 0, split.right);
    return n.children.length > MAX_ENTRIES ? this.#splitInner(n) : null;
  }

  #splitLeaf(n: Leaf<V>): Split<V> {
    const mid = n.keys.length >>> 1;
    const right: Leaf<V> = { leaf: true, keys: n.keys.splice(mid), vals: n.vals.splice(mid), next: n.next, prev: n };
    if (n.next !== null) n.next.prev = right;
    n.next = right;
    return { sep: right.keys[0]!, right };
  }

  #splitInner(n: Inner<V>): Split<V> {
    const mid = n.children.length >>> 1;
    const rightChildren = n.children.splice(mid);
    // keys[mid-1] moves up as the separator between the halves.
    const rightKeys = n.keys.splice(mid - 1);
    const sep = rightKeys.shift()!;
    return { sep, right: { leaf: false, keys: rightKeys, children: rightChildren } };
  }

  #remove(n: Node<V>, key: string): boolean {
    if (n.leaf) {
      const i = lowerBound(n.keys, key);
      if (i >= n.keys.length || n.keys[i] !== key) return false;
      n.keys.splice(i, 1);
      n.vals.splice(i, 1);
      this.#size--;
      return true;
    }
    const ci = upperBound(n.keys, key);
    const child = n.children[ci]!;
    if (!this.#remove(child, key)) return false;
    if (nodeSize(child) < MIN_ENTRIES) this.#rebalance(n, ci);
    return true;
  }

  /** children[ci] of `parent` is under capacity: borrow from a sibling or merge with it. */
  #rebalance(parent: Inner<V>, ci: number): void {
    const child = parent.children[ci]!;
    const left = ci > 0 ? parent.children[ci - 1]! : undefined;
    const right = ci + 1 < parent.children.length ? parent.children[ci + 1]! : undefined;
    if (left !== undefined && nodeSize(left) > MIN_ENTRIES) {
      this.#borrowFromLeft(parent, ci, left, child);
    } else if (right !== undefined && nodeSize(right) > MIN_ENTRIES) {
      this.#borrowFromRight(parent, ci, child, right);
    } else if (left !== undefined) {
      this.#merge(parent, ci - 1, left, child);
    } else if (right !== undefined) {
      this.#merge(parent, ci, child, right);
    }
  }

  #borrowFromLeft(parent: Inner<V>, ci: number, left: Node<V>, child: Node<V>): void {
    if (left.leaf && child.leaf) {
      child.keys.unshift(left.keys.pop()!);
      child.vals.unshift(left.vals.pop()!);
      parent.keys[ci - 1] = child.keys[0]!;
    } else if (!left.leaf && !child.leaf) {
      child.keys.unshift(parent.keys[ci - 1]!);
      child.children.unshift(left.children.pop()!);
      parent.keys[ci - 1] = left.keys.pop()!;
    }
  }

  #borrowFromRight(parent: Inner<V>, ci: number, child: Node<V>, right: Node<V>): void {
    if (child.leaf && right.leaf) {
      child.keys.push(right.keys.shift()!);
      child.vals.push(right.vals.shift()!);
      parent.keys[ci] = right.keys[0]!;
    } else if (!child.leaf && !right.leaf) {
      child.keys.push(parent.keys[ci]!);
      child.children.push(right.children.shift()!);
      parent.keys[ci] = right.keys.shift()!;
    }
  }

  /** Merges parent.children[li+1] into parent.children[li]. */
  #merge(parent: Inner<V>, li: number, left: Node<V>, right: Node<V>): void {
    if (left.leaf && right.leaf) {
      for (let i = 0; i < right.keys.length; i++) {
        left.keys.push(right.keys[i]!);
        left.vals.push(right.vals[i]!);
      }
      left.next = right.next;
      if (right.next !== null) right.next.prev = left;
    } else if (!left.leaf && !right.leaf) {
      left.keys.push(parent.keys[li]!);
      for (const k of right.keys) left.keys.push(k);
      for (const c of right.children) left.children.push(c);
    }
    parent.keys.splice(li, 1);
    parent.children.splice(li + 1, 1);
  }
}
