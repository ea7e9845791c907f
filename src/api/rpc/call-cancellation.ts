/**
 * A call's cancellation, for transports to extend: listeners in plain
 * fields, the AbortSignal created only when asked for, and the reason built
 * only when read — so a unary call that ends normally allocates nothing here.
 * @module
 */
import type { CallCancellation } from "./contract.js";
import { RpcError } from "./contract.js";

type Listener = () => void;

export class CallCancellationBase implements CallCancellation {
  #aborted = false;
  #code = 0;
  #message = "";
  #reason: RpcError | undefined;
  #controller: AbortController | undefined;
  // One listener is the common case (a proposal waiting); more go to the array.
  #first: Listener | undefined;
  #more: Listener[] | undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): RpcError | undefined {
    if (!this.#aborted) return undefined;
    this.#reason ??= new RpcError(this.#code, this.#message);
    return this.#reason;
  }

  get cancellation(): CallCancellation {
    return this;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  addEventListener(_type: "abort", listener: Listener): void {
    if (this.#aborted) return; // as with an AbortSignal: an abort that already happened is not replayed
    if (this.#first === undefined) this.#first = listener;
    else (this.#more ??= []).push(listener);
  }

  removeEventListener(_type: "abort", listener: Listener): void {
    if (this.#first === listener) this.#first = undefined;
    else if (this.#more !== undefined) {
      const i = this.#more.indexOf(listener);
      if (i >= 0) this.#more.splice(i, 1);
    }
  }

  /** Ends the call for everything that listens: `code` and `message` are the status the call ended with. */
  protected abortCall(code: number, message: string): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#code = code;
    this.#message = message;
    const first = this.#first;
    const more = this.#more;
    this.#first = undefined;
    this.#more = undefined;
    this.#controller?.abort(this.reason);
    first?.();
    if (more !== undefined) for (const l of more) l();
  }
}
