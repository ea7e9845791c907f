/**
 * Linearizable histories by construction, for testing the checker: clients
 * run operations against one register per key; each operation takes effect
 * at a random instant inside its call/return interval (so the history is
 * linearizable), and some time out — those take effect at a random later
 * instant or never, and their outcome is unknown to the client.
 * @module
 */
import { SeededRandom } from "../../../src/pkg/random.js";
import type { OpInput, OpOutput, Operation, Value } from "./history.js";

export interface SimulationOptions {
  seed: number;
  clients: number;
  keys: number;
  operations: number;
  /** Share of operations that time out (0..1). */
  timeoutRate?: number;
  /** Mix of reads / writes / CAS (weights). */
  mix?: { read: number; write: number; cas: number };
}

interface Pending {
  client: number;
  seq: number;
  key: string;
  kind: "read" | "write" | "cas";
  call: number;
  ret: number | undefined;
  /** When it takes effect; undefined: never. */
  point: number | undefined;
  input?: OpInput;
  output?: OpOutput;
}

export function simulate(options: SimulationOptions): Operation[] {
  const random = new SeededRandom(options.seed);
  const uniform = (): number => random.intn(1_000_000) / 1_000_000;
  const mix = options.mix ?? { read: 5, write: 3, cas: 2 };
  const total = mix.read + mix.write + mix.cas;
  const timeoutRate = options.timeoutRate ?? 0;
  const clockOf = Array.from({ length: options.clients }, () => uniform());
  const pending: Pending[] = [];
  for (let n = 0; n < options.operations; n++) {
    const client = random.intn(options.clients);
    const call = clockOf[client]! + uniform() * 0.2;
    const latency = 0.05 + uniform() * uniform() * 3;
    const r = random.intn(total);
    const kind = r < mix.read ? "read" : r < mix.read + mix.write ? "write" : "cas";
    const key = `k${random.intn(options.keys)}`;
    const timedOut = uniform() < timeoutRate;
    const ret = call + latency;
    let point: number | undefined = call + uniform() * latency;
    if (timedOut) point = uniform() < 0.5 ? call + uniform() * latency * 4 : undefined;
    pending.push({ client, seq: n, key, kind, call, ret: timedOut ? undefined : ret, point });
    clockOf[client] = ret;
  }
  // Apply in order of effect; a client's inputs depend only on its earlier completed results.
  const state = new Map<string, Value>();
  const lastSeen = new Map<string, Value>(); // client:key → value it last learned
  // One timeline: an input is fixed at its call from the results its
  // client had received by then; results arrive at completion.
  type Event = { t: number; kind: 0 | 1 | 2; p: Pending }; // 0 effect, 1 completion, 2 call (order at equal times)
  const events: Event[] = [];
  for (const p of pending) {
    events.push({ t: p.call, kind: 2, p });
    if (p.point !== undefined) events.push({ t: p.point, kind: 0, p });
    if (p.ret !== undefined) events.push({ t: p.ret, kind: 1, p });
  }
  events.sort((a, b) => a.t - b.t || a.kind - b.kind);
  for (const { kind, p } of events) {
    if (kind === 2) {
      const value = `${p.key}:c${p.client}:${p.seq}`;
      p.input =
        p.kind === "read"
          ? { kind: "read" }
          : p.kind === "write"
            ? { kind: "write", value }
            : { kind: "cas", expect: lastSeen.get(`${p.client}:${p.key}`) ?? null, value };
    } else if (kind === 1) {
      const o = p.output;
      const i = p.input!;
      if (o?.kind === "read") lastSeen.set(`${p.client}:${p.key}`, o.value);
      if (o?.kind === "write" && i.kind === "write") lastSeen.set(`${p.client}:${p.key}`, i.value);
      if (o?.kind === "cas" && o.ok && i.kind === "cas") lastSeen.set(`${p.client}:${p.key}`, i.value);
    } else {
      const current = state.get(p.key) ?? null;
      const input = p.input!;
      if (input.kind === "read") p.output = { kind: "read", value: current };
      else if (input.kind === "write") {
        state.set(p.key, input.value);
        p.output = { kind: "write" };
      } else {
        const ok = current === input.expect;
        if (ok) state.set(p.key, input.value);
        p.output = { kind: "cas", ok };
      }
    }
  }
  return pending.map((p, id) => ({
    id,
    client: p.client,
    key: p.key,
    input: p.input!,
    output: p.ret === undefined ? undefined : p.output,
    call: p.call,
    ret: p.ret,
  }));
}
