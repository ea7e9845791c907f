/**
 * Recorded client histories for the linearizability checker: one entry per
 * operation on one key of a register/KV model — read, write, or
 * compare-and-swap — with its invocation and completion times and its
 * result. An operation whose outcome the client never learned (a timeout, a
 * dropped connection) is *indeterminate*: it may or may not have taken
 * effect, at any time after its invocation.
 * @module
 */

/** A key's value; null when the key does not exist. */
export type Value = string | null;

export type OpInput =
  | { readonly kind: "read" }
  | { readonly kind: "write"; readonly value: string }
  /** Put `value` if the key's current value is `expect` (null: if the key is absent). */
  | { readonly kind: "cas"; readonly expect: Value; readonly value: string };

export type OpOutput =
  | { readonly kind: "read"; readonly value: Value }
  | { readonly kind: "write" }
  | { readonly kind: "cas"; readonly ok: boolean };

export interface Operation {
  readonly id: number;
  readonly client: number;
  readonly key: string;
  readonly input: OpInput;
  /** Undefined for an indeterminate operation. */
  readonly output: OpOutput | undefined;
  /** Invocation time (any monotonic unit, the same for every operation). */
  readonly call: number;
  /** Completion time; undefined for an indeterminate operation. */
  readonly ret: number | undefined;
  /** Where it went (e.g. the member's endpoint), for reports only. */
  readonly target?: string;
}

export function describeOp(op: Operation): string {
  const i = op.input;
  const what =
    i.kind === "read" ? "read" : i.kind === "write" ? `write(${JSON.stringify(i.value)})` : `cas(${JSON.stringify(i.expect)} → ${JSON.stringify(i.value)})`;
  const o = op.output;
  const got =
    o === undefined ? "?" : o.kind === "read" ? JSON.stringify(o.value) : o.kind === "write" ? "ok" : o.ok ? "ok" : "failed";
  const when = `[${op.call.toFixed(3)}, ${op.ret === undefined ? "∞" : op.ret.toFixed(3)}]`;
  return `#${op.id} c${op.client} ${op.key} ${what} → ${got} ${when}${op.target !== undefined ? ` via ${op.target}` : ""}`;
}

/** Builds a history by hand (tests): times are given, ids assigned in order. */
export class HistoryBuilder {
  readonly ops: Operation[] = [];

  #add(client: number, key: string, input: OpInput, output: OpOutput | undefined, call: number, ret: number | undefined): this {
    this.ops.push({ id: this.ops.length, client, key, input, output, call, ret });
    return this;
  }

  read(client: number, key: string, value: Value, call: number, ret: number): this {
    return this.#add(client, key, { kind: "read" }, { kind: "read", value }, call, ret);
  }

  write(client: number, key: string, value: string, call: number, ret: number | undefined): this {
    return this.#add(client, key, { kind: "write", value }, ret === undefined ? undefined : { kind: "write" }, call, ret);
  }

  cas(client: number, key: string, expect: Value, value: string, ok: boolean | undefined, call: number, ret: number | undefined): this {
    return this.#add(client, key, { kind: "cas", expect, value }, ok === undefined || ret === undefined ? undefined : { kind: "cas", ok }, call, ok === undefined ? undefined : ret);
  }
}
