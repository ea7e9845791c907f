/**
 * What the linearizability search sees of each operation of one key: how
 * indeterminate operations are bounded, made optional, or dropped. See
 * checker.ts for the whole picture.
 * @module
 */
import type { Operation, Value } from "./history.js";

export interface PreparedOp {
  op: Operation;
  /** Finite completion bound, or Infinity. */
  ret: number;
  /** True for an optional op with a soft deadline. */
  soft: boolean;
}

/**
 * Decides what the search sees of each operation:
 * - completed operations as they are;
 * - an unfinished read: nothing (it constrains nothing);
 * - an unfinished write/CAS whose value somebody saw: it happened, before
 *   the first observer completed (a must-linearize op with that bound);
 * - one nobody saw: its only possible use is to make a later failed CAS
 *   fail (the register then holds a value nobody reads). It is optional
 *   until the last failed CAS it could help has completed, and dropped when
 *   there is none. See the module comment for why this loses nothing.
 * Without unique values only the first two rules apply; the rest stays open-ended.
 */
export function prepareKey(ops: readonly Operation[], initial: Value = null): { kept: PreparedOp[]; unique: boolean } {
  const writerCount = new Map<string, number>();
  let unique = true;
  for (const op of ops) {
    if (op.input.kind === "read") continue;
    const v = op.input.value;
    writerCount.set(v, (writerCount.get(v) ?? 0) + 1);
    if (writerCount.get(v)! > 1 || v === initial) unique = false;
  }
  const firstSeen = new Map<Value, number>();
  const seen = (v: Value, t: number): void => {
    if (t < (firstSeen.get(v) ?? Infinity)) firstSeen.set(v, t);
  };
  const expected = new Set<Value>();
  const failedCas: Operation[] = [];
  for (const op of ops) {
    if (op.input.kind === "cas") expected.add(op.input.expect);
    if (op.ret === undefined || op.output === undefined) continue;
    if (op.output.kind === "read") seen(op.output.value, op.ret);
    if (op.output.kind === "cas" && op.input.kind === "cas") {
      if (op.output.ok) seen(op.input.expect, op.ret);
      else failedCas.push(op);
    }
  }
  const alive = unique ? deathTimes(ops, initial) : undefined;
  /** Whether value x can still be the register's value at some time ≥ t. */
  const isAlive = (x: Value, t: number): boolean => (alive?.get(x) ?? Infinity) >= t;
  const kept: PreparedOp[] = [];
  for (const op of ops) {
    if (op.output !== undefined && op.ret !== undefined) {
      kept.push({ op, ret: op.ret, soft: false });
      continue;
    }
    const input = op.input;
    if (input.kind === "read") continue;
    const observed = unique ? firstSeen.get(input.value) : undefined;
    if (observed !== undefined) {
      kept.push({ op, ret: Math.max(op.call, observed), soft: false });
      continue;
    }
    if (!unique || expected.has(input.value)) {
      kept.push({ op, ret: Infinity, soft: false });
      continue;
    }
    let deadline = -Infinity;
    if (input.kind === "write") {
      for (const f of failedCas) {
        if (f.ret! >= op.call && f.input.kind === "cas" && isAlive(f.input.expect, op.call)) deadline = Math.max(deadline, f.ret!);
      }
    } else if (isAlive(input.expect, op.call)) {
      for (const f of failedCas) {
        if (f.ret! >= op.call && f.input.kind === "cas" && f.input.expect === input.expect) deadline = Math.max(deadline, f.ret!);
      }
    }
    if (deadline > -Infinity) kept.push({ op, ret: deadline, soft: true });
    // else: it cannot have mattered to anyone; dropped.
  }
  return { kept, unique };
}

/**
 * For each value, the time after which it can never again be the register's
 * value (with unique values): the earliest completion of a definite
 * mutation invoked after the value's write completed. Values whose write
 * never completed stay alive.
 */
function deathTimes(ops: readonly Operation[], initial: Value): Map<Value, number> {
  const mutations = ops
    .filter((op) => op.ret !== undefined && (op.output?.kind === "write" || (op.output?.kind === "cas" && op.output.ok)))
    .sort((a, b) => a.call - b.call);
  const suffixMin = new Array<number>(mutations.length + 1).fill(Infinity);
  for (let i = mutations.length - 1; i >= 0; i--) suffixMin[i] = Math.min(mutations[i]!.ret!, suffixMin[i + 1]!);
  const after = (t: number): number => {
    let lo = 0;
    let hi = mutations.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (mutations[mid]!.call > t) hi = mid;
      else lo = mid + 1;
    }
    return suffixMin[lo]!;
  };
  const death = new Map<Value, number>();
  death.set(initial, after(-Infinity));
  for (const op of ops) {
    if (op.input.kind === "read" || op.ret === undefined || op.output === undefined) continue;
    if (op.output.kind === "cas" && !op.output.ok) continue;
    death.set(op.input.value, after(op.ret));
  }
  return death;
}

