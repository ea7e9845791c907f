/**
 * The server's watch side: owns the watchable store, opens sessions for the
 * transports ({@link WatchApi}), runs the store's periodic work, and keeps
 * etcd's watch gauges.
 *
 * Periodic work (on the injected clock; started by `start()`):
 * - sync: every {@link SYNC_INTERVAL_MS} (100 ms, etcd's syncWatchersLoop) a
 *   round of catch-up for unsynced watchers, and right away (setImmediate)
 *   whenever the store signals backlog, repeated while rounds make progress
 *   — each round is bounded, so I/O still gets its turn. The same run
 *   retries victims as a safety net (normally a session's drain retries its
 *   own victims at once).
 * - progress: every {@link progressCheckMs} the sessions check their
 *   progress_notify deadline (the interval itself is per session, with
 *   jitter, as etcd's per-stream ticker).
 * @module
 */

import type { AuthGate } from "../auth/gate.js";
import type { ResponseHeader } from "../../gen/etcdserverpb/rpc.js";
import type { Event } from "../../gen/mvccpb/kv.js";
import type { Cancel, Clock } from "../../pkg/clock.js";
import { nullLogger, type Logger } from "../../pkg/logger.js";
import type { Random } from "../../pkg/random.js";
import type { BackendReader } from "../../storage/backend/backend.js";
import { WatchableStore, type WatchLimits, type WatchSource, type WatchStats } from "../../storage/mvcc/watch/index.js";
import type { ServerMetrics } from "../metrics/metrics.js";
import type { WatchApi, WatchSessionOptions } from "./api.js";
import { WatchSession, type SessionLimits } from "./session.js";

/** etcd's sync loop period. */
export const SYNC_INTERVAL_MS = 100;
/** etcd's default --experimental-watch-progress-notify-interval. */
export const DEFAULT_PROGRESS_NOTIFY_INTERVAL_MS = 10 * 60 * 1000;
/** etcd raises a smaller progress interval to this. */
export const MIN_PROGRESS_NOTIFY_INTERVAL_MS = 100;
/** How far past max-request-bytes a fragment-enabled response may grow before it is split (etcd's gRPC overhead allowance). */
const FRAGMENT_OVERHEAD_BYTES = 512 * 1024;

/** A gauge as prom-client has it (ServerMetrics' gauges fit). */
export interface GaugeLike {
  set(value: number): void;
}

/** etcd_debugging_mvcc_{watcher,watch_stream,slow_watcher,pending_events}_total. */
export interface WatchGauges {
  watchers: GaugeLike;
  streams: GaugeLike;
  slowWatchers: GaugeLike;
  pendingEvents: GaugeLike;
  /** When present, the gauges are also refreshed right before each scrape. */
  onScrape?(hook: () => void): void;
}

/** The watch gauges of the server's metrics registry. */
export function watchGaugesOf(m: ServerMetrics): WatchGauges {
  return {
    watchers: m.watcherTotal,
    streams: m.watchStreamTotal,
    slowWatchers: m.slowWatcherTotal,
    pendingEvents: m.pendingEventsTotal,
    onScrape: (hook) => m.onScrape(hook),
  };
}

export interface WatchHubOptions {
  /** Who may do what (AUTH_OFF when absent). */
  auth?: AuthGate;
  /** The key-value store (KVStore). */
  source: WatchSource;
  /** Its backend, for catch-up reads. */
  backend: BackendReader;
  header(revision: bigint): ResponseHeader;
  clock: Clock;
  random: Random;
  /** --max-request-bytes: responses of fragment-enabled watchers are split past this + 512 KiB. */
  maxRequestBytes: number;
  /** Split threshold for fragment-enabled watchers; default maxRequestBytes + 512 KiB (tests lower it). */
  fragmentBytes?: number;
  /** --experimental-watch-progress-notify-interval in ms; 0/absent = 10 minutes, below 100 ms = 100 ms. */
  progressNotifyIntervalMs?: number;
  metrics?: WatchGauges;
  logger?: Logger;
  limits?: Partial<WatchLimits>;
  sessionLimits?: Partial<SessionLimits>;
}

export class WatchHub implements WatchApi {
  readonly store: WatchableStore;
  readonly #options: WatchHubOptions;
  #source: WatchSource;
  /** What sessions read prev_kv from: always the current store, also after a restore replaced it. */
  readonly #sourceView: WatchSource;
  readonly #log: Logger;
  readonly #sessions = new Set<WatchSession>();
  readonly #progressIntervalMs: number;
  #pendingEvents = 0;
  #timers: Cancel[] = [];
  #immediate: NodeJS.Immediate | undefined;
  #started = false;

  constructor(options: WatchHubOptions) {
    this.#options = options;
    this.#log = options.logger ?? nullLogger;
    this.#source = options.source;
    // Getters, not copies: a snapshot install swaps the source under the view.
    const source = (): WatchSource => this.#source;
    this.#sourceView = {
      get rev() {
        return source().rev;
      },
      get compactRev() {
        return source().compactRev;
      },
      range: (key, end, opts) => this.#source.range(key, end, opts),
    };
    this.store = new WatchableStore({
      source: options.source,
      backend: options.backend,
      ...(options.limits !== undefined ? { limits: options.limits } : {}),
      wake: () => this.#wake(),
      logger: this.#log,
    });
    let interval = options.progressNotifyIntervalMs ?? 0;
    if (interval <= 0) interval = DEFAULT_PROGRESS_NOTIFY_INTERVAL_MS;
    if (interval < MIN_PROGRESS_NOTIFY_INTERVAL_MS) {
      this.#log.warn({ "min-watch-progress-notify-interval": `${MIN_PROGRESS_NOTIFY_INTERVAL_MS}ms` }, "adjusting watch progress notify interval to minimum period");
      interval = MIN_PROGRESS_NOTIFY_INTERVAL_MS;
    }
    this.#progressIntervalMs = interval;
    options.metrics?.onScrape?.(() => this.updateMetrics());
  }

  /** The commit hook for the KVStore (`onCommit`). */
  notify(events: Event[], rev: bigint): void {
    this.store.notify(events, rev);
  }

  /**
   * The store's contents were replaced (a snapshot installed from the
   * leader): synced watchers catch up from where they were. Pass the new
   * store and backend when the server created new objects for them.
   */
  restore(syncedThrough: bigint, replaced?: { source: WatchSource; backend: BackendReader }): void {
    if (replaced !== undefined) this.#source = replaced.source;
    this.store.restore(syncedThrough, replaced);
  }

  get progressIntervalMs(): number {
    return this.#progressIntervalMs;
  }

  /** How often sessions check their progress deadline. */
  get progressCheckMs(): number {
    return Math.min(1000, Math.max(10, Math.floor(this.#progressIntervalMs / 10)));
  }

  /** A session for one stream; `options` say who its client is (see WatchSessionOptions). */
  openSession(options: WatchSessionOptions = {}): WatchSession {
    const o = this.#options;
    const session = new WatchSession({
      ...(o.auth !== undefined ? { auth: o.auth } : {}),
      ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
      ...(options.describeError !== undefined ? { describeError: options.describeError } : {}),
      store: this.store,
      source: this.#sourceView,
      header: (rev) => o.header(rev),
      fragmentBytes: o.fragmentBytes ?? o.maxRequestBytes + FRAGMENT_OVERHEAD_BYTES,
      progressIntervalMs: this.#progressIntervalMs,
      clock: o.clock,
      random: o.random,
      ...(o.sessionLimits !== undefined ? { limits: o.sessionLimits } : {}),
      pendingEvents: (delta) => {
        this.#pendingEvents += delta;
      },
      onClose: (s) => {
        this.#sessions.delete(s);
        this.updateMetrics();
      },
    });
    this.#sessions.add(session);
    this.updateMetrics();
    return session;
  }

  /** Open sessions. */
  get sessions(): number {
    return this.#sessions.size;
  }

  stats(): WatchStats & { pendingEvents: number } {
    return { ...this.store.stats(), pendingEvents: this.#pendingEvents };
  }

  /**
   * One run of the store's periodic work: victims retry, one catch-up round.
   * Returns the watchers still unsynced. The timers call it; tests may too.
   */
  runSync(): number {
    this.store.retryAllVictims();
    const before = this.store.stats();
    const left = this.store.syncWatchers();
    const after = this.store.stats();
    this.updateMetrics();
    // More backlog and the round moved something: go again after pending I/O.
    if (left > 0 && (after.unsynced !== before.unsynced || this.store.lastRoundAdvanced > 0)) this.#wake();
    return left;
  }

  /** Lets every session check its progress_notify deadline. */
  progressTick(nowMs = this.#options.clock.nowMs()): void {
    for (const s of this.#sessions) s.progressTick(nowMs);
  }

  updateMetrics(): void {
    const m = this.#options.metrics;
    if (m === undefined) return;
    const st = this.store.stats();
    m.watchers.set(st.watchers);
    m.streams.set(st.streams);
    m.slowWatchers.set(st.unsynced + st.victims);
    m.pendingEvents.set(this.#pendingEvents);
  }

  /** Starts the periodic sync and progress checks on the clock. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const clock = this.#options.clock;
    this.#timers.push(
      clock.every(SYNC_INTERVAL_MS, () => this.runSync()),
      clock.every(this.progressCheckMs, () => this.progressTick()),
    );
    if (this.store.hasBacklog) this.#wake();
  }

  /** Stops the timers and ends every session (their transports are told to finish). */
  stop(): void {
    this.#started = false;
    for (const cancel of this.#timers) cancel();
    this.#timers = [];
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    for (const s of [...this.#sessions]) s.end();
  }

  #wake(): void {
    if (!this.#started || this.#immediate !== undefined) return;
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined;
      this.runSync();
    });
  }
}
