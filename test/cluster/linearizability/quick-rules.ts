/**
 * Cheap sufficient conditions for a violation, checked before the search.
 * Each rule names a pattern that no linearization can explain when written
 * values are unique per key (a value, once overwritten, never comes back):
 *
 * - a value read (or expected by a successful CAS) that nothing wrote, or
 *   whose write began only after the read had completed;
 * - a stale read: the value's write completed, then another write completed
 *   (so it is ordered after), then the read began — it can no longer see
 *   the value (covers lost writes too);
 * - two successful CAS from the same expected value.
 *
 * They find the common violations in linear-ish time with a three-operation
 * explanation; the search remains the judge of everything else.
 * @module
 */
import { describeOp, type Operation, type Value } from "./history.js";

export interface QuickViolation {
  rule: "unwritten-value" | "read-before-write" | "stale-read" | "double-cas";
  explanation: string;
  ops: Operation[];
}

/** Looks for a violation on one key's operations (values must be unique; see prepareKey). */
export function quickViolation(ops: readonly Operation[], initial: Value): QuickViolation | undefined {
  // The op that wrote each value; the initial value counts as written before everything.
  const writer = new Map<Value, Operation | "initial">();
  writer.set(initial, "initial");
  for (const op of ops) if (op.input.kind !== "read") writer.set(op.input.value, op);
  // Definite mutations: completed writes and successful CAS, by invocation time.
  const mutations = ops
    .filter((op) => op.ret !== undefined && (op.output?.kind === "write" || (op.output?.kind === "cas" && op.output.ok)))
    .sort((a, b) => a.call - b.call);
  // suffixMinRet[i] = the earliest completion among mutations[i..].
  const suffixMinRet = new Array<number>(mutations.length + 1).fill(Infinity);
  const suffixArg = new Array<Operation | undefined>(mutations.length + 1).fill(undefined);
  for (let i = mutations.length - 1; i >= 0; i--) {
    const m = mutations[i]!;
    if (m.ret! < suffixMinRet[i + 1]!) {
      suffixMinRet[i] = m.ret!;
      suffixArg[i] = m;
    } else {
      suffixMinRet[i] = suffixMinRet[i + 1]!;
      suffixArg[i] = suffixArg[i + 1];
    }
  }
  const firstCalledAfter = (t: number): number => {
    let lo = 0;
    let hi = mutations.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (mutations[mid]!.call > t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const casByExpect = new Map<Value, Operation>();
  for (const op of ops) {
    if (op.ret === undefined || op.output === undefined) continue;
    let seen: Value;
    if (op.output.kind === "read") seen = op.output.value;
    else if (op.output.kind === "cas" && op.output.ok && op.input.kind === "cas") {
      seen = op.input.expect;
      const other = casByExpect.get(seen);
      if (other !== undefined) {
        return {
          rule: "double-cas",
          explanation: `two CAS both succeeded from ${JSON.stringify(seen)}: ${describeOp(other)} and ${describeOp(op)}`,
          ops: [other, op],
        };
      }
      casByExpect.set(seen, op);
    } else continue;
    const w = writer.get(seen);
    if (w === undefined) {
      return { rule: "unwritten-value", explanation: `${describeOp(op)} saw ${JSON.stringify(seen)}, which nothing wrote`, ops: [op] };
    }
    if (w !== "initial" && op.ret < w.call) {
      return { rule: "read-before-write", explanation: `${describeOp(op)} completed before ${describeOp(w)} began`, ops: [op, w] };
    }
    const wRet = w === "initial" ? -Infinity : w.ret;
    if (wRet === undefined) continue; // an unfinished write: its order is unknown
    const i = firstCalledAfter(wRet);
    if (suffixMinRet[i]! < op.call) {
      const m = suffixArg[i]!;
      const wText = w === "initial" ? "the initial value" : describeOp(w);
      return {
        rule: "stale-read",
        explanation: `${describeOp(op)} saw a stale value: ${wText} completed, then ${describeOp(m)} began and completed, all before the read began`,
        ops: w === "initial" ? [m, op] : [w, m, op],
      };
    }
  }
  return undefined;
}
