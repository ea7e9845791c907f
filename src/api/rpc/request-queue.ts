/**
 * A stream's requests as an AsyncIterable, for transports: messages are
 * pushed as they arrive and pulled by the handler. While a message waits
 * unread the transport is told to stop reading (`pause`), so a client that
 * sends faster than the handler reads is held back by flow control instead
 * of filling memory; it is told to `resume` once the handler caught up.
 * @module
 */

export interface InputFlow {
  pause(): void;
  resume(): void;
}

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

export class RequestQueue<T> implements AsyncIterableIterator<T> {
  readonly #flow: InputFlow;
  readonly #items: T[] = [];
  #ended = false;
  #waiting: ((result: IteratorResult<T>) => void) | undefined;

  constructor(flow: InputFlow) {
    this.#flow = flow;
  }

  /** A request arrived. */
  push(item: T): void {
    if (this.#ended) return;
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      waiting({ value: item, done: false });
      return;
    }
    this.#items.push(item);
    if (this.#items.length === 1) this.#flow.pause();
  }

  /** The client half-closed: iteration ends after the requests already in. */
  end(): void {
    this.#ended = true;
    if (this.#items.length === 0) this.#wakeDone();
  }

  /** The call is gone: unread requests are dropped and iteration ends now. */
  close(): void {
    this.#items.length = 0;
    this.#ended = true;
    this.#wakeDone();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#items.length > 0) {
      const value = this.#items.shift()!;
      if (this.#items.length === 0 && !this.#ended) this.#flow.resume();
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /** The handler stopped reading (left its for-await loop). */
  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #wakeDone(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.(DONE);
  }
}
