/**
 * A stream's requests as an AsyncIterable, for transports: messages are
 * pushed as they arrive and pulled by the handler. While a message waits
 * unclaimed the transport is told to stop taking requests in (`pause`), so
 * a client that sends faster than the handler reads is held back by flow
 * control instead of filling memory — at most one message waits beside the
 * one being handed over, however small the messages; it is told to `resume`
 * once the handler caught up.
 *
 * A message reaches a waiting handler in a microtask, not at once: what the
 * transport parses in the same turn (a reset right behind the message) is
 * seen first, and a queue closed meanwhile ends the handler's loop instead
 * of giving it the message.
 * @module
 */

export interface InputFlow {
  pause(): void;
  resume(): void;
}

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

export class RequestQueue<T> implements AsyncIterableIterator<T> {
  readonly #flow: InputFlow;
  /** Received, not yet given to the handler; the first is being handed over while `#waiting` is set. */
  readonly #items: T[] = [];
  #ended = false;
  #waiting: ((result: IteratorResult<T>) => void) | undefined;

  constructor(flow: InputFlow) {
    this.#flow = flow;
  }

  /** A request arrived. */
  push(item: T): void {
    if (this.#ended) return;
    const items = this.#items;
    items.push(item);
    if (this.#waiting === undefined) {
      if (items.length === 1) this.#flow.pause();
    } else if (items.length === 1) queueMicrotask(this.#handOver);
    else if (items.length === 2) this.#flow.pause();
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
    if (this.#items.length > 0) return Promise.resolve({ value: this.#take(), done: false });
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

  /** Gives the first message to the waiting handler, unless the queue was closed since it arrived. */
  readonly #handOver = (): void => {
    const waiting = this.#waiting;
    if (waiting === undefined || this.#items.length === 0) return;
    this.#waiting = undefined;
    waiting({ value: this.#take(), done: false });
  };

  #take(): T {
    const value = this.#items.shift()!;
    if (this.#items.length === 0 && !this.#ended) this.#flow.resume();
    return value;
  }

  #wakeDone(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.(DONE);
  }
}
