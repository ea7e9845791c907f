/**
 * `CompactorRig` for the compactor tests: a manual clock, a store revision
 * the test sets, and a `compact` that records each request and answers as
 * the test says (applied at once by default; or an etcd error; or held
 * until released). Imported only by tests.
 * @module
 */
import { ManualClock } from "../../pkg/clock.js";
import { EtcdError, type ErrorKind } from "../../pkg/errors.js";
import type { Logger } from "../../pkg/logger.js";
import type { Cancellation } from "../api.js";
import type { CompactorDeps } from "./compactor.js";

export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  fields: Record<string, unknown>;
}

interface Held {
  revision: bigint;
  release(err?: ErrorKind): void;
}

export class CompactorRig {
  readonly clock = new ManualClock();
  /** The store's current revision, as the compactor reads it. */
  rev = 1n;
  /** Every compaction asked for, in order. */
  readonly requests: bigint[] = [];
  /** Compactions the store actually applied. */
  readonly applied: bigint[] = [];
  readonly logs: LogLine[] = [];
  /** Errors the next compactions fail with, one each, in order. */
  readonly failures: ErrorKind[] = [];
  /** When set, compactions wait in `held` until the test releases them. */
  hold = false;
  readonly held: Held[] = [];
  /** Signals the compactions were given, to see that a stop aborts them. */
  readonly signals: Cancellation[] = [];

  readonly deps: CompactorDeps = {
    clock: this.clock,
    currentRevision: () => this.rev,
    compact: (revision, signal) => this.#compact(revision, signal),
    logger: recordingLogger(this.logs),
  };

  /** Moves the clock `ms` at a time, `times` times, letting a compaction's promise settle after each step (a schedule re-arms only then). */
  async step(ms: number, times = 1): Promise<void> {
    for (let i = 0; i < times; i++) {
      this.clock.advance(ms);
      await settle();
    }
  }

  messages(): string[] {
    return this.logs.map((l) => l.msg);
  }

  #compact(revision: bigint, signal: Cancellation): Promise<void> {
    this.requests.push(revision);
    this.signals.push(signal);
    const failure = this.failures.shift();
    const answer = (err: ErrorKind | undefined): void => {
      if (err !== undefined) throw new EtcdError(err);
      this.applied.push(revision);
    };
    if (!this.hold) return Promise.resolve().then(() => answer(failure));
    return new Promise<void>((resolve, reject) => {
      const release = (err?: ErrorKind): void => {
        try {
          answer(err ?? failure);
          resolve();
        } catch (e) {
          reject(e as Error);
        }
      };
      this.held.push({ revision, release });
      // As the proposer does: a waiter whose caller gives up is released at once.
      signal.addEventListener("abort", () => reject(new Error("canceled")), { once: true });
    });
  }

}

/** A logger that appends every line, with its child bindings, to `lines`. */
export function recordingLogger(lines: LogLine[], bindings: Record<string, unknown> = {}): Logger {
  const at =
    (level: LogLine["level"]) =>
    (fields: object, msg: string): void => {
      lines.push({ level, msg, fields: { ...bindings, ...(fields as Record<string, unknown>) } });
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: (b) => recordingLogger(lines, { ...bindings, ...b }) };
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
