/**
 * A min-heap of (lease id, time) with at most one entry per lease: the
 * lessor keeps its expiry deadlines and its next checkpoint times here.
 * `upsert` moves an existing entry instead of adding a second one, so the
 * heap never holds more entries than there are leases.
 * @module
 */

interface Item {
  readonly id: bigint;
  time: number;
  index: number;
}

export interface QueuedLease {
  readonly id: bigint;
  /** Milliseconds on the lessor's clock. */
  readonly time: number;
}

export class LeaseQueue {
  #heap: Item[] = [];
  #byId = new Map<bigint, Item>();

  get size(): number {
    return this.#heap.length;
  }

  has(id: bigint): boolean {
    return this.#byId.has(id);
  }

  /** Time queued for `id`, if any. */
  timeOf(id: bigint): number | undefined {
    return this.#byId.get(id)?.time;
  }

  /** Sets the time of `id`, adding it when absent. */
  upsert(id: bigint, time: number): void {
    const item = this.#byId.get(id);
    if (item === undefined) {
      const added: Item = { id, time, index: this.#heap.length };
      this.#heap.push(added);
      this.#byId.set(id, added);
      this.#up(added.index);
      return;
    }
    const before = item.time;
    item.time = time;
    if (time < before) this.#up(item.index);
    else if (time > before) this.#down(item.index);
  }

  /** Like {@link upsert} but never moves an entry to a later time. */
  upsertEarlier(id: bigint, time: number): void {
    const current = this.#byId.get(id)?.time;
    if (current === undefined || time < current) this.upsert(id, time);
  }

  /** The earliest entry, left in place. */
  peek(): QueuedLease | undefined {
    return this.#heap[0];
  }

  /** Removes and returns the earliest entry. */
  pop(): QueuedLease | undefined {
    const top = this.#heap[0];
    if (top === undefined) return undefined;
    this.#removeAt(0);
    return { id: top.id, time: top.time };
  }

  remove(id: bigint): boolean {
    const item = this.#byId.get(id);
    if (item === undefined) return false;
    this.#removeAt(item.index);
    return true;
  }

  clear(): void {
    this.#heap = [];
    this.#byId = new Map();
  }

  #removeAt(index: number): void {
    const heap = this.#heap;
    const removed = heap[index]!;
    this.#byId.delete(removed.id);
    const last = heap.pop()!;
    if (index === heap.length) return;
    heap[index] = last;
    last.index = index;
    this.#down(index);
    this.#up(last.index);
  }

  #up(index: number): void {
    const heap = this.#heap;
    const item = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (parent.time <= item.time) break;
      heap[index] = parent;
      parent.index = index;
      index = parentIndex;
    }
    heap[index] = item;
    item.index = index;
  }

  #down(index: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const item = heap[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && heap[right]!.time < heap[left]!.time ? right : left;
      const c = heap[child]!;
      if (c.time >= item.time) break;
      heap[index] = c;
      c.index = index;
      index = child;
    }
    heap[index] = item;
    item.index = index;
  }
}
