/**
 * A registry of pending requests by id: the proposer registers a waiter, the
 * apply loop triggers it with the result once the entry is applied. Exactly
 * one of trigger/cancel settles a waiter; later calls for that id are no-ops,
 * so an entry applied after its proposer gave up is harmless.
 * @module
 */

interface Pending<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

export class WaitRegistry<T> {
  readonly #pending = new Map<bigint, Pending<T>>();

  /** Registers `id` and returns the promise its trigger will settle. */
  register(id: bigint): Promise<T> {
    if (this.#pending.has(id)) throw new Error(`wait: duplicate id ${id}`);
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
    });
  }

  isRegistered(id: bigint): boolean {
    return this.#pending.has(id);
  }

  /** Settles the waiter of `id` with `value`; false when nobody waits. */
  trigger(id: bigint, value: T): boolean {
    const waiter = this.#pending.get(id);
    if (waiter === undefined) return false;
    this.#pending.delete(id);
    waiter.resolve(value);
    return true;
  }

  /** Rejects the waiter of `id`; false when nobody waits. */
  cancel(id: bigint, err: Error): boolean {
    const waiter = this.#pending.get(id);
    if (waiter === undefined) return false;
    this.#pending.delete(id);
    waiter.reject(err);
    return true;
  }

  /** Rejects every waiter (server stop). */
  cancelAll(err: Error): void {
    const waiters = [...this.#pending.values()];
    this.#pending.clear();
    for (const w of waiters) w.reject(err);
  }

  get size(): number {
    return this.#pending.size;
  }
}
