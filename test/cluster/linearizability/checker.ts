/**
 * A linearizability checker for histories of a register/KV model (read,
 * write, compare-and-swap), after Wing & Gong with Lowe's improvements
 * ("Testing for linearizability", 2017) as Porcupine implements them: a
 * depth-first search for a linearization over a linked list of call/return
 * entries, with a cache of visited configurations (set of linearized
 * operations + model state) so no configuration is explored twice.
 *
 * What makes it fast on long, highly concurrent histories (each rule keeps
 * the search complete: it only skips choices another choice covers):
 * - P-compositionality: each key is checked on its own.
 * - Forced steps: a read or failed CAS consistent with the current state is
 *   taken at once, without trying alternatives (moving it to the front of
 *   any linearization keeps it valid).
 * - With unique written values (the recorder makes them so): a value once
 *   overwritten never returns, so leaving a state that some operation still
 *   has to see is a dead end; values nobody looks for collapse into one
 *   state; of several writes of such values in the window only the one
 *   completing first is tried.
 * - Indeterminate operations (the client never learned the outcome): a read
 *   is dropped; a write somebody saw happened before its first observer
 *   completed; one nobody saw can only have helped a later failed CAS, so it
 *   is optional until the last such CAS completes (then it never happened),
 *   or dropped outright. A configuration that decided fewer optional
 *   operations dominates one that decided more.
 * - quick-rules.ts finds the common violations (stale read, lost write,
 *   double CAS) directly, with a short explanation.
 * Checked against a brute-force reference on hundreds of thousands of small
 * random histories (checker.test.ts).
 * @module
 */
import { describeOp, type Operation, type Value } from "./history.js";
import { prepareKey } from "./prepare.js";
import { quickViolation, type QuickViolation } from "./quick-rules.js";

export type Verdict = "linearizable" | "violation" | "unknown";

export interface KeyResult {
  key: string;
  verdict: Verdict;
  /** Operations checked (after dropping indeterminate reads and unobserved indeterminate writes). */
  operations: number;
  /** Of which indeterminate and left open-ended. */
  openEnded: number;
  /** Search steps taken. */
  steps: number;
  ms: number;
}

export interface Violation {
  key: string;
  /** Set when a quick rule found it (see quick-rules.ts); otherwise the search did. */
  rule?: QuickViolation["rule"];
  /** The operation that could not be placed before its completion. */
  blocking: string;
  /** The model state at the deepest point the search reached. */
  state: Value;
  /** The last operations of that deepest partial linearization, in order. */
  linearizedTail: string[];
  /** Operations pending (invoked, not linearized) at that point. */
  pending: string[];
  /** Every operation on the key, in invocation order (for a full report). */
  history: string[];
}

export interface CheckResult {
  verdict: Verdict;
  keys: KeyResult[];
  violation?: Violation;
  ms: number;
}

export interface CheckOptions {
  /** Value of every key before the history (default null: absent). */
  initial?: (key: string) => Value;
  /** Gives up on a key (verdict "unknown") after this many search steps. */
  maxStepsPerKey?: number;
  /** Gives up (verdict "unknown") after this long overall. */
  timeoutMs?: number;
  /** Look for the common violations with quick-rules.ts before searching (default true). */
  quickRules?: boolean;
}

/** Checks a whole history, key by key. */
export function checkHistory(history: readonly Operation[], options?: CheckOptions): CheckResult {
  const started = performance.now();
  const byKey = new Map<string, Operation[]>();
  for (const op of history) {
    let list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, (list = []));
    list.push(op);
  }
  const keys: KeyResult[] = [];
  let verdict: Verdict = "linearizable";
  let violation: Violation | undefined;
  const deadline = started + (options?.timeoutMs ?? 60_000);
  for (const [key, ops] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const result = checkKey(key, ops, options?.initial?.(key) ?? null, options?.maxStepsPerKey ?? 50_000_000, deadline, options?.quickRules ?? true);
    keys.push(result.summary);
    if (result.summary.verdict === "violation") {
      verdict = "violation";
      violation ??= result.violation;
    } else if (result.summary.verdict === "unknown" && verdict === "linearizable") {
      verdict = "unknown";
    }
  }
  return { verdict, keys, ...(violation !== undefined ? { violation } : {}), ms: performance.now() - started };
}

/** An operation as the search sees it. */
interface SearchOp {
  readonly op: Operation;
  readonly call: number;
  /** Completion bound: real, an observer's, a soft deadline, or Infinity. */
  readonly ret: number;
  /** Optional: an unfinished operation nobody saw; dropped (never happened) if not linearized by `ret`. */
  readonly soft: boolean;
  /** Index among must-linearize ops, or -1. */
  readonly det: number;
  /** Index among optional ops (soft or open-ended), or -1. */
  readonly opt: number;
  readonly zobrist: number;
  /** The state this op must see (a read's answer, a successful CAS's expected value), or -1. */
  needs: number;
}

interface Node {
  readonly sop: SearchOp;
  readonly isCall: boolean;
  match: Node | undefined; // call → its return
  prev: Node | undefined;
  next: Node | undefined;
}

function checkKey(
  key: string,
  ops: readonly Operation[],
  initial: Value,
  maxSteps: number,
  deadline: number,
  quickRules: boolean,
): { summary: KeyResult; violation?: Violation } {
  const started = performance.now();
  const history = (): string[] => [...ops].sort((a, b) => a.call - b.call).map(describeOp);
  const { kept, unique } = prepareKey(ops, initial);
  if (unique && quickRules) {
    const quick = quickViolation(ops, initial);
    if (quick !== undefined) {
      return {
        summary: { key, verdict: "violation", operations: kept.length, openEnded: 0, steps: 0, ms: performance.now() - started },
        violation: { key, rule: quick.rule, blocking: quick.explanation, state: null, linearizedTail: [], pending: quick.ops.map(describeOp), history: history() },
      };
    }
  }
  // Deterministic pseudo-random 32-bit tags: the linearized set is hashed incrementally.
  let seed = 0x9e3779b9;
  const nextTag = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let z = seed;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  };
  let detCount = 0;
  let optCount = 0;
  const sops: SearchOp[] = kept.map(({ op, ret, soft }) => {
    const optional = soft || ret === Infinity;
    return { op, call: op.call, ret, soft, det: optional ? -1 : detCount++, opt: optional ? optCount++ : -1, zobrist: nextTag(), needs: -1 };
  });

  // States: values any op looks for keep their identity; every other value
  // is indistinguishable to every op, so they share one state.
  const observed = new Set<Value>();
  for (const { op } of kept) {
    if (op.output?.kind === "read") observed.add(op.output.value);
    if (op.input.kind === "cas") observed.add(op.input.expect);
  }
  const stateIds = new Map<Value, number>();
  const stateValues: Value[] = [];
  const stateId = (v: Value): number => {
    let id = stateIds.get(v);
    if (id === undefined) {
      id = stateValues.length;
      stateIds.set(v, id);
      stateValues.push(v);
    }
    return id;
  };
  const unseen = stateId(UNSEEN);
  for (const v of observed) stateId(v);
  const canon = (v: Value): number => (observed.has(v) ? stateIds.get(v)! : unseen);
  // How many must-linearize ops still have to see each state.
  const need = new Int32Array(stateValues.length);
  for (const sop of sops) {
    const o = sop.op.output;
    if (sop.det < 0 || o === undefined) continue;
    if (o.kind === "read") sop.needs = canon(o.value);
    else if (o.kind === "cas" && o.ok && sop.op.input.kind === "cas") sop.needs = canon(sop.op.input.expect);
    if (sop.needs >= 0) need[sop.needs]!++;
  }

  // The entry list: calls and returns by time; at equal times calls first
  // (more concurrency, never a false alarm).
  type Entry = { time: number; isCall: boolean; sop: SearchOp };
  const entries: Entry[] = [];
  for (const sop of sops) entries.push({ time: sop.call, isCall: true, sop }, { time: sop.ret, isCall: false, sop });
  entries.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.sop.op.id - b.sop.op.id : a.isCall ? -1 : 1));
  const head: Node = { sop: undefined as unknown as SearchOp, isCall: false, match: undefined, prev: undefined, next: undefined };
  let tail = head;
  const callNodes = new Map<SearchOp, Node>();
  for (const e of entries) {
    const node: Node = { sop: e.sop, isCall: e.isCall, match: undefined, prev: tail, next: undefined };
    tail.next = node;
    tail = node;
    if (e.isCall) callNodes.set(e.sop, node);
    else callNodes.get(e.sop)!.match = node;
  }
  const lift = (call: Node): void => {
    call.prev!.next = call.next;
    if (call.next !== undefined) call.next.prev = call.prev;
    const ret = call.match!;
    ret.prev!.next = ret.next;
    if (ret.next !== undefined) ret.next.prev = ret.prev;
  };
  const unlift = (call: Node): void => {
    const ret = call.match!;
    ret.prev!.next = ret;
    if (ret.next !== undefined) ret.next.prev = ret;
    call.prev!.next = call;
    if (call.next !== undefined) call.next.prev = call;
  };

  // Visited configurations: (must-linearize set, state) → the optional-op
  // sets seen with it. One that decided a subset of these optional ops
  // dominates (it can still do everything the other can).
  const det = new Uint32Array(Math.max(1, Math.ceil(detCount / 32)));
  let opt = 0n;
  let hash = 0;
  let linearizedDet = 0;
  const cache = new Map<string, Array<{ det: Uint32Array; opt: bigint[] }>>();
  const visit = (s: number): boolean => {
    const k = `${hash}:${s}`;
    let bucket = cache.get(k);
    if (bucket === undefined) cache.set(k, (bucket = []));
    for (const slot of bucket) {
      if (!sameBits(slot.det, det)) continue;
      if (slot.opt.some((seen) => (seen & ~opt) === 0n)) return false;
      slot.opt.push(opt);
      return true;
    }
    bucket.push({ det: det.slice(), opt: [opt] });
    return true;
  };
  const mark = (sop: SearchOp, on: boolean): void => {
    if (sop.det >= 0) {
      const w = sop.det >>> 5;
      det[w] = on ? det[w]! | (1 << (sop.det & 31)) : det[w]! & ~(1 << (sop.det & 31));
      linearizedDet += on ? 1 : -1;
    } else {
      opt = on ? opt | (1n << BigInt(sop.opt)) : opt & ~(1n << BigInt(sop.opt));
    }
    hash = (hash ^ sop.zobrist) >>> 0;
  };

  /**
   * Interchangeable candidates, of which only the one completing first is
   * tried (swapping two of them in a linearization keeps it valid when the
   * earlier-completing one moves forward): writes of values nobody looks
   * for (they all lead to the same state), and optional CAS with the same
   * expected value. Only with unique values.
   */
  const classOf = (sop: SearchOp): string | undefined => {
    if (!unique) return undefined;
    const i = sop.op.input;
    if (i.kind === "write" && !observed.has(i.value)) return "blind";
    if (i.kind === "cas" && sop.det < 0) return `cas:${String(i.expect)}`;
    return undefined;
  };
  const classes = sops.map(classOf);
  const classIndex = new Map<SearchOp, string | undefined>(sops.map((s, i) => [s, classes[i]]));
  const chooseClassReps = (): Set<Node> => {
    const best = new Map<string, Node>();
    for (let n = head.next; n !== undefined && n.isCall; n = n.next) {
      const c = classIndex.get(n.sop);
      if (c === undefined) continue;
      const b = best.get(c);
      if (b === undefined || n.sop.ret < b.sop.ret) best.set(c, n);
    }
    return new Set(best.values());
  };
  /**
   * A must-linearize op that leaves the state unchanged (a read, a failed
   * CAS) and is consistent with it can be taken now without loss of
   * generality: moving it here from wherever a linearization puts it
   * changes nobody's view. So it is taken without trying alternatives.
   */
  const forcedCandidate = (): Node | undefined => {
    for (let n = head.next; n !== undefined && n.isCall; n = n.next) {
      const op = n.sop.op;
      if (n.sop.det < 0 || op.output === undefined) continue;
      const mutates = op.output.kind === "write" || (op.output.kind === "cas" && op.output.ok);
      if (!mutates && step(stateValues[stateCur]!, op) !== undefined) return n;
    }
    return undefined;
  };

  type Frame = { node: Node; state: number; reps: Set<Node>; kind: "forced" | "normal" | "drop" };
  const stack: Frame[] = [];
  let stateCur = observed.has(initial) ? stateIds.get(initial)! : unseen;
  let entry = head.next;
  let reps = new Set<Node>();
  let fresh = true;
  let steps = 0;
  let best = { depth: -1, state: stateCur, blocking: undefined as SearchOp | undefined, tail: [] as SearchOp[], pending: [] as SearchOp[] };
  let verdict: Verdict = "linearizable";

  /** Linearizes the op of `node` next if the model allows it and the configuration is new. */
  const tryPush = (node: Node, kind: Frame["kind"]): boolean => {
    const sop = node.sop;
    const next = step(stateValues[stateCur]!, sop.op);
    if (next === undefined) return false;
    const nextState = canon(next.value);
    const consumed = sop.needs === stateCur ? 1 : 0;
    // With unique values a state never comes back: leaving it while some
    // operation still has to see it is a dead end.
    if (unique && nextState !== stateCur && need[stateCur]! - consumed > 0) return false;
    mark(sop, true);
    if (!visit(nextState)) {
      mark(sop, false);
      return false;
    }
    need[stateCur] = need[stateCur]! - consumed;
    stack.push({ node, state: stateCur, reps, kind });
    stateCur = nextState;
    lift(node);
    entry = head.next;
    fresh = true;
    return true;
  };
  /** An optional op reached its deadline unlinearized: it never happened. */
  const tryDrop = (node: Node): boolean => {
    mark(node.sop, true);
    if (!visit(stateCur)) {
      mark(node.sop, false);
      return false;
    }
    stack.push({ node, state: stateCur, reps, kind: "drop" });
    lift(node);
    entry = head.next;
    fresh = true;
    return true;
  };

  search: while (linearizedDet < detCount) {
    if (++steps > maxSteps || ((steps & 0xffff) === 0 && performance.now() > deadline)) {
      verdict = "unknown";
      break;
    }
    if (entry === undefined) break;
    if (fresh) {
      fresh = false;
      reps = chooseClassReps();
      const forced = forcedCandidate();
      if (forced !== undefined) {
        if (tryPush(forced, "forced")) continue;
        entry = head; // its configuration was explored already: this window fails
      }
    }
    if (entry !== head && entry.isCall) {
      const node = entry;
      entry = node.next;
      if (classIndex.get(node.sop) !== undefined && !reps.has(node)) continue;
      tryPush(node, "normal");
      continue;
    }
    if (entry !== head) {
      const sop = entry.sop;
      if (sop.ret === Infinity) break; // only open-ended ops remain: they may all come last
      if (sop.soft) {
        if (tryDrop(callNodes.get(sop)!)) continue;
      } else if (stack.length > best.depth) {
        best = snapshot(stack, stateCur, sop, head);
      }
    }
    // A must-linearize op reached its completion unplaced: backtrack.
    for (;;) {
      const top = stack.pop();
      if (top === undefined) {
        verdict = "violation";
        break search;
      }
      stateCur = top.state;
      if (top.kind !== "drop" && top.node.sop.needs === stateCur) need[stateCur] = need[stateCur]! + 1;
      mark(top.node.sop, false);
      unlift(top.node);
      if (top.kind !== "normal") continue; // no alternative at that point: its window fails too
      entry = top.node.next;
      reps = top.reps;
      continue search;
    }
  }

  const summary: KeyResult = { key, verdict, operations: sops.length, openEnded: optCount, steps, ms: performance.now() - started };
  if (verdict !== "violation") return { summary };
  return {
    summary,
    violation: {
      key,
      blocking: best.blocking !== undefined ? describeOp(best.blocking.op) : "?",
      state: best.state === unseen ? "(a value no operation looks for)" : (stateValues[best.state] ?? null),
      linearizedTail: best.tail.map((s) => describeOp(s.op)),
      pending: best.pending.map((s) => describeOp(s.op)),
      history: history(),
    },
  };

  function snapshot(st: Frame[], s: number, blocking: SearchOp, h: Node): typeof best {
    const pending: SearchOp[] = [];
    for (let n = h.next; n !== undefined && pending.length < 20; n = n.next) if (n.isCall) pending.push(n.sop);
    return { depth: st.length, state: s, blocking, tail: st.filter((f) => f.kind !== "drop").slice(-20).map((x) => x.node.sop), pending };
  }
}

/** The shared state of unobserved values (not a string any client writes). */
const UNSEEN = "\u0000unseen";

/** The register model: undefined when `op` cannot happen in `state`, else the next state. */
function step(state: Value, op: Operation): { value: Value } | undefined {
  const input = op.input;
  const output = op.output;
  switch (input.kind) {
    case "read":
      return output?.kind === "read" && output.value === state ? { value: state } : undefined;
    case "write":
      return { value: input.value };
    case "cas": {
      const matches = state === input.expect;
      if (output === undefined) return { value: matches ? input.value : state };
      if (output.kind !== "cas" || output.ok !== matches) return undefined;
      return { value: matches ? input.value : state };
    }
  }
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A readable account of a violation for test failures and logs. */
export function formatViolation(v: Violation, maxHistory = 60): string {
  if (v.rule !== undefined) {
    return [
      `key ${JSON.stringify(v.key)}: ${v.rule}: ${v.blocking}`,
      `  history of the key (${v.history.length} ops${v.history.length > maxHistory ? `, first ${maxHistory}` : ""}):`,
      ...v.history.slice(0, maxHistory).map((s) => `    ${s}`),
    ].join("\n");
  }
  const lines = [
    `key ${JSON.stringify(v.key)}: no linearization places ${v.blocking}`,
    `  state at the deepest point: ${JSON.stringify(v.state)}`,
    `  last linearized:`,
    ...v.linearizedTail.map((s) => `    ${s}`),
    `  pending then:`,
    ...v.pending.map((s) => `    ${s}`),
    `  history of the key (${v.history.length} ops${v.history.length > maxHistory ? `, first ${maxHistory}` : ""}):`,
    ...v.history.slice(0, maxHistory).map((s) => `    ${s}`),
  ];
  return lines.join("\n");
}
