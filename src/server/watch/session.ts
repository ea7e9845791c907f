/**
 * One client watch stream (etcd's v3rpc serverWatchStream), independent of
 * the transport: it turns WatchRequests into watchers on a
 * {@link WatchStream} and the store's deliveries into WatchResponses, in one
 * ordered queue towards a {@link WatchSink}.
 *
 * etcd's per-stream rules kept here:
 * - `created` answers come in request order and before any event of that
 *   watch (both go through the same queue; a watcher registers synchronously).
 * - A failed create (duplicate id, empty range, negative start) is answered
 *   `created` + `canceled` with watch id -1 and etcd's reason text.
 * - `cancel` of a live id answers `canceled`; of an unknown id, nothing.
 * - Progress: a WatchProgressRequest is answered (id -1, current revision)
 *   as soon as every watcher of the session is synced — deferred until then
 *   (etcd 3.5+). Watchers created with progress_notify get an empty response
 *   every interval (+ up to 10% jitter) in which they got no events, when synced.
 * - prev_kv is read at send time at revision − 1 (omitted for a creation
 *   or when compacted); fragment splits a response whose encoding reaches
 *   `fragmentBytes` into several with `fragment` set on all but the last.
 *
 * Flow control, and the memory bound: the store's offers are refused once
 * the queued events reach `maxQueuedBytes` (the watcher becomes a victim
 * holding one batch, and catches up from the backend later). The sink gets
 * at most `maxWriteBytes` per write and nothing more after it returns false
 * until `resume()`. So a stalled consumer pins at most: maxQueuedBytes + one
 * batch (≤ 1 MiB, or one revision) in the queue, plus one batch per victim
 * watcher in the store, plus what the transport itself buffers.
 * Control answers are always queued; past `maxQueuedResponses` the session
 * asks the transport to stop reading requests.
 *
 * Auth (etcd's isWatchPermitted, and beyond it): each create resolves the
 * stream's credentials and needs read permission on its range, else it is
 * answered created + canceled with id -1 and nothing is registered. While a
 * simple token's index is waited for, later requests of the stream wait
 * behind it, so answers keep request order. After every change of the auth
 * store each live watcher is checked again for the user it was created by
 * (at the current auth revision: a token that expired meanwhile does not
 * end it, as in etcd) and canceled when no longer permitted — etcd keeps
 * sending such a watcher events; we do not.
 * @module
 */

import type { AuthInfo } from "../../auth/index.js";
import type { ResponseHeader, WatchCancelRequest, WatchCreateRequest, WatchRequest, WatchResponse } from "../../gen/etcdserverpb/rpc.js";
import { WatchCreateRequest_FilterType } from "../../gen/etcdserverpb/rpc.js";
import { Event_EventType, type Event, type KeyValue } from "../../gen/mvccpb/kv.js";
import type { Clock } from "../../pkg/clock.js";
import { EtcdError, type ErrorKind } from "../../pkg/errors.js";
import type { Random } from "../../pkg/random.js";
import {
  eventBytes,
  INVALID_WATCH_ID,
  WatchError,
  type StoreWatchResponse,
  type WatchableStore,
  type WatchErrorKind,
  type WatchReceiver,
  type WatchSource,
  type WatchStream,
} from "../../storage/mvcc/watch/index.js";
import { AUTH_OFF, type AuthGate } from "../auth/gate.js";
import type { Credentials } from "../auth/credentials.js";
import type { WatchSessionApi, WatchSink } from "./api.js";
import { watchResponseSize } from "./codec.js";

export interface SessionLimits {
  /** Event bytes queued before the store's offers are refused. */
  maxQueuedBytes: number;
  /** Bytes handed to the sink per write. */
  maxWriteBytes: number;
  /** Queued responses past which the transport is asked to stop reading requests. */
  maxQueuedResponses: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxQueuedBytes: 1024 * 1024,
  maxWriteBytes: 256 * 1024,
  maxQueuedResponses: 4096,
};

export interface WatchSessionDeps {
  store: WatchableStore;
  /** Reads prev_kv. */
  source: WatchSource;
  header(revision: bigint): ResponseHeader;
  /** A fragment-enabled response whose encoding reaches this many bytes is split (etcd: max-request-bytes + 512 KiB). */
  fragmentBytes: number;
  /** progress_notify interval (etcd --experimental-watch-progress-notify-interval). */
  progressIntervalMs: number;
  clock: Clock;
  random: Random;
  limits?: Partial<SessionLimits>;
  /** Events queued in sessions (etcd_debugging_mvcc_pending_events_total). */
  pendingEvents?(delta: number): void;
  onClose?(session: WatchSession): void;
  /** Runs the flush off the caller's stack; default queueMicrotask. */
  schedule?(task: () => void): void;
  /** Who may watch what (AUTH_OFF when absent). */
  auth?: AuthGate;
  /** The stream's credentials: every create and every re-check acts as them. */
  credentials?: Credentials;
  /** The cancel reason for an auth error (default: its message). */
  describeError?(err: EtcdError): string;
}

/** etcd's texts for a create that failed (sent as cancel_reason). */
const CANCEL_REASONS: Record<WatchErrorKind, string> = {
  EmptyRange: "mvcc: watcher range is empty",
  DuplicateId: "mvcc: duplicate watch ID provided on the WatchStream",
  // etcd answers a create on a closing stream with the empty-range error too.
  StreamClosed: "mvcc: watcher range is empty",
};
/** etcd 3.6 answers a negative start revision this way (3.4 cancelled it as "compacted at -1"). */
const NEGATIVE_START_REASON = "etcdserver: mvcc: required revision has been compacted";
const FROM_KEY = Buffer.from([0]);
/** Auth errors whose own text a refused watch shows; any other is "permission denied" (etcd's watch.go). */
const OWN_REASON: ReadonlySet<ErrorKind> = new Set<ErrorKind>(["InvalidAuthToken", "AuthOldRevision", "UserEmpty"]);

interface WatchOptions {
  prevKv: boolean;
  fragment: boolean;
  progressNotify: boolean;
  /** No events sent since the last progress tick (etcd's progress[id]). */
  quiet: boolean;
  /** What the watcher reads, as its permission is checked: range_end empty = one key, "\0" = from key. */
  key: Uint8Array;
  rangeEnd: Uint8Array;
  /** Who created it; undefined when auth was off then. */
  user: string | undefined;
}

type QueueItem = { kind: "control"; resp: WatchResponse } | { kind: "events"; resp: StoreWatchResponse; bytes: number };

export class WatchSession implements WatchSessionApi, WatchReceiver {
  readonly #deps: WatchSessionDeps;
  readonly #limits: SessionLimits;
  readonly #stream: WatchStream;
  readonly #options = new Map<bigint, WatchOptions>();
  #queue: QueueItem[] = [];
  #head = 0;
  #queuedBytes = 0;
  #queuedEvents = 0;
  #sink: WatchSink | undefined;
  #blocked = false;
  #inputPaused = false;
  #flushScheduled = false;
  #refused = false;
  #deferredProgress = false;
  #nextProgressAt: number;
  #closed = false;
  #lastHeader: ResponseHeader | undefined;
  readonly #auth: AuthGate;
  readonly #unsubscribe: () => void;
  /** Requests waiting behind a create whose caller is still being resolved; undefined when none is. */
  #held: (() => void)[] | undefined;
  /** Aborted when the session closes: a token's index still awaited is then given up (made on the first resolution). */
  #closing: AbortController | undefined;

  constructor(deps: WatchSessionDeps) {
    this.#deps = deps;
    this.#limits = { ...DEFAULT_SESSION_LIMITS, ...deps.limits };
    this.#stream = deps.store.newStream(this);
    this.#nextProgressAt = this.#progressDeadline();
    this.#auth = deps.auth ?? AUTH_OFF;
    this.#unsubscribe = this.#auth.onChange(() => this.#recheck());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Responses waiting for the sink. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  // ---- requests -----------------------------------------------------------

  handle(req: WatchRequest): void {
    const u = req.requestUnion;
    if (u === undefined) return;
    switch (u.$case) {
      case "createRequest":
        this.create(u.value);
        return;
      case "cancelRequest":
        this.cancel(u.value);
        return;
      case "progressRequest":
        this.progress();
        return;
    }
  }

  create(req: WatchCreateRequest): void {
    if (this.#closed) return;
    if (this.#held !== undefined) {
      this.#held.push(() => this.create(req));
      return;
    }
    if (req.startRevision < 0n) {
      this.#refuse(NEGATIVE_START_REASON);
      return;
    }
    // etcd: an empty key is the smallest key; the permission is checked on the range as sent ("\0" = from key).
    const key = req.key.length === 0 ? FROM_KEY : req.key;
    const auth = this.#auth;
    if (!auth.enabled) {
      this.#register(req, key, undefined);
      return;
    }
    let who: ReturnType<AuthGate["identify"]>;
    try {
      this.#closing ??= new AbortController();
      who = auth.identify(this.#deps.credentials, this.#closing.signal);
    } catch (err) {
      this.#refuse(this.#reason(err));
      return;
    }
    if (!(who instanceof Promise)) {
      this.#admit(req, key, who);
      return;
    }
    // A simple token issued at an index not applied here yet: the stream's later requests wait behind this one.
    this.#held = [];
    void who
      .then(
        (info) => this.#admit(req, key, info),
        (err: unknown) => this.#refuse(this.#reason(err)),
      )
      .finally(() => this.#releaseHeld());
  }

  /** Registers the watcher if `info` may read its range; answers either way. */
  #admit(req: WatchCreateRequest, key: Uint8Array, info: AuthInfo | undefined): void {
    if (this.#closed) return;
    try {
      this.#auth.checkRange(info, key, req.rangeEnd);
    } catch (err) {
      this.#refuse(this.#reason(err));
      return;
    }
    this.#register(req, key, info?.username);
  }

  #register(req: WatchCreateRequest, key: Uint8Array, user: string | undefined): void {
    const rev = this.#stream.rev;
    const end = req.rangeEnd.length === 0 ? undefined : req.rangeEnd;
    let id: bigint;
    try {
      id = this.#stream.watch(req.watchId, key, end, req.startRevision, {
        noPut: req.filters.includes(WatchCreateRequest_FilterType.NOPUT),
        noDelete: req.filters.includes(WatchCreateRequest_FilterType.NODELETE),
      });
    } catch (err) {
      if (!(err instanceof WatchError)) throw err;
      this.#refuse(CANCEL_REASONS[err.kind]);
      return;
    }
    this.#options.set(id, { prevKv: req.prevKv, fragment: req.fragment, progressNotify: req.progressNotify, quiet: true, key, rangeEnd: req.rangeEnd, user });
    this.#control({ ...blank(), header: this.#deps.header(rev), watchId: id, created: true });
  }

  /** A create that registered nothing: created + canceled, watch id -1. */
  #refuse(reason: string): void {
    if (this.#closed) return;
    this.#control({ ...blank(), header: this.#deps.header(this.#stream.rev), watchId: INVALID_WATCH_ID, created: true, canceled: true, cancelReason: reason });
  }

  #reason(err: unknown): string {
    const shown = err instanceof EtcdError && OWN_REASON.has(err.kind) ? err : new EtcdError("PermissionDenied");
    return this.#deps.describeError?.(shown) ?? shown.message;
  }

  /** Runs the requests that waited behind a create, in order, until one of them waits again. */
  #releaseHeld(): void {
    const waiting = this.#held ?? [];
    this.#held = undefined;
    for (let i = 0; i < waiting.length; i++) {
      waiting[i]!();
      // (Read through a cast: the request just run may have started a new wait.)
      const again = this.#held as (() => void)[] | undefined;
      if (again !== undefined) {
        again.push(...waiting.slice(i + 1));
        return;
      }
    }
  }

  /**
   * The auth store changed: every live watcher is checked again as the user
   * that created it, at the current auth revision (a watcher created while
   * auth was off has none: "user name is empty" once it is on).
   */
  #recheck(): void {
    const auth = this.#auth;
    if (this.#closed || !auth.enabled) return;
    for (const [id, w] of this.#options) {
      const info = w.user === undefined ? undefined : { username: w.user, revision: auth.revision };
      try {
        auth.checkRange(info, w.key, w.rangeEnd);
      } catch (err) {
        this.#cancelWatcher(id, this.#reason(err));
      }
    }
  }

  cancel(req: WatchCancelRequest): void {
    if (this.#closed) return;
    if (this.#held !== undefined) {
      this.#held.push(() => this.cancel(req));
      return;
    }
    this.#cancelWatcher(req.watchId, "");
  }

  #cancelWatcher(id: bigint, reason: string): void {
    this.#options.delete(id);
    if (!this.#stream.cancel(id)) return;
    this.#control({ ...blank(), header: this.#deps.header(this.#stream.rev), watchId: id, canceled: true, cancelReason: reason });
    this.#checkDeferredProgress();
  }

  progress(): void {
    if (this.#closed) return;
    if (this.#held !== undefined) {
      this.#held.push(() => this.progress());
      return;
    }
    if (this.#deferredProgress) return;
    if (!this.#stream.requestProgressAll()) this.#deferredProgress = true;
  }

  /**
   * The periodic progress_notify check (the owner calls it from its timer):
   * at each interval, every progress_notify watcher that got no events since
   * the previous one gets a progress response if it is synced.
   */
  progressTick(nowMs: number): void {
    if (this.#closed || nowMs < this.#nextProgressAt) return;
    this.#nextProgressAt = this.#progressDeadline(nowMs);
    for (const [id, opts] of this.#options) {
      if (!opts.progressNotify) continue;
      if (opts.quiet) this.#stream.requestProgress(id);
      opts.quiet = true;
    }
  }

  #progressDeadline(nowMs = this.#deps.clock.nowMs()): number {
    const interval = this.#deps.progressIntervalMs;
    const jitter = interval >= 10 ? this.#deps.random.intn(Math.floor(interval / 10)) : 0;
    return nowMs + interval + jitter;
  }

  // ---- the store's side (WatchReceiver) -------------------------------------

  offer(resp: StoreWatchResponse): boolean {
    if (this.#closed) return true;
    const n = resp.events.length;
    // Progress answers for the whole stream and compaction cancels are never refused.
    if (resp.watchId === INVALID_WATCH_ID || resp.compactRevision !== 0n) {
      this.#push({ kind: "events", resp, bytes: 64 });
      return true;
    }
    if (this.#queuedBytes >= this.#limits.maxQueuedBytes && this.queued > 0) {
      this.#refused = true;
      return false;
    }
    let bytes = 64;
    for (let i = 0; i < n; i++) bytes += eventBytes(resp.events[i]!);
    if (n > 0) {
      const opts = this.#options.get(resp.watchId);
      if (opts !== undefined) {
        opts.quiet = false;
        if (opts.prevKv) bytes *= 2;
      }
      this.#queuedEvents += n;
      this.#deps.pendingEvents?.(n);
    }
    this.#push({ kind: "events", resp, bytes });
    return true;
  }

  onSynced(): void {
    this.#checkDeferredProgress();
  }

  #checkDeferredProgress(): void {
    if (this.#deferredProgress && this.#stream.requestProgressAll()) this.#deferredProgress = false;
  }

  // ---- the consumer's side -------------------------------------------------

  attach(sink: WatchSink): void {
    if (this.#sink !== undefined) throw new Error("watch session: a consumer is already attached");
    this.#sink = sink;
    this.#scheduleFlush();
  }

  onResponse(cb: (resp: WatchResponse) => boolean | void): void {
    this.attach({
      write(responses) {
        let more = true;
        for (const r of responses) if (cb(r) === false) more = false;
        return more;
      },
    });
  }

  resume(): void {
    if (!this.#blocked) return;
    this.#blocked = false;
    this.#scheduleFlush();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#held = undefined;
    this.#closing?.abort();
    this.#stream.close();
    if (this.#queuedEvents > 0) this.#deps.pendingEvents?.(-this.#queuedEvents);
    this.#queuedEvents = 0;
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    this.#options.clear();
    this.#deps.onClose?.(this);
  }

  /** Server-side end: closes and tells the consumer (with `error` when it is not a clean shutdown). */
  end(error?: Error): void {
    const sink = this.#sink;
    this.close();
    sink?.end?.(error);
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchResponse> {
    const buffered: WatchResponse[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const HIGH = 256;
    this.attach({
      write: (responses) => {
        buffered.push(...responses);
        wake?.();
        return buffered.length < HIGH;
      },
      end: () => {
        ended = true;
        wake?.();
      },
    });
    return {
      next: async (): Promise<IteratorResult<WatchResponse>> => {
        for (;;) {
          const r = buffered.shift();
          if (r !== undefined) {
            if (buffered.length < HIGH / 2) this.resume();
            return { value: r, done: false };
          }
          if (ended || this.#closed) return { value: undefined, done: true };
          this.resume();
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      },
      return: async (): Promise<IteratorResult<WatchResponse>> => {
        this.close();
        ended = true;
        return { value: undefined, done: true };
      },
    };
  }

  // ---- queue and flush -------------------------------------------------------

  #control(resp: WatchResponse): void {
    this.#push({ kind: "control", resp });
  }

  #push(item: QueueItem): void {
    this.#queue.push(item);
    if (item.kind === "events") this.#queuedBytes += item.bytes;
    if (!this.#inputPaused && this.queued > this.#limits.maxQueuedResponses && this.#sink?.pauseInput !== undefined) {
      this.#inputPaused = true;
      this.#sink.pauseInput();
    }
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#sink === undefined || this.#blocked) return;
    this.#flushScheduled = true;
    (this.#deps.schedule ?? queueMicrotask)(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    const sink = this.#sink;
    if (this.#closed || sink === undefined) return;
    this.#lastHeader = undefined;
    while (!this.#blocked && this.#head < this.#queue.length) {
      const out: WatchResponse[] = [];
      let bytes = 0;
      let events = 0;
      while (this.#head < this.#queue.length && bytes < this.#limits.maxWriteBytes) {
        const item = this.#queue[this.#head++]!;
        if (item.kind === "control") {
          out.push(item.resp);
          bytes += 64;
          continue;
        }
        this.#queuedBytes -= item.bytes;
        bytes += item.bytes;
        events += item.resp.events.length;
        this.#materialize(item.resp, out);
      }
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      if (events > 0) {
        this.#queuedEvents -= events;
        this.#deps.pendingEvents?.(-events);
      }
      let more: boolean;
      try {
        more = sink.write(out);
      } catch {
        // A transport that cannot take responses any more ends its session (never the server).
        this.close();
        return;
      }
      if (!more) this.#blocked = true;
      if (this.#closed) return;
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
    if (this.#inputPaused && this.queued <= this.#limits.maxQueuedResponses / 2) {
      this.#inputPaused = false;
      sink.resumeInput?.();
    }
    if (this.#refused && this.#queuedBytes <= this.#limits.maxQueuedBytes / 2) {
      // Room again: the victims of this stream deliver what they hold (into this queue).
      this.#refused = false;
      this.#stream.writable();
    }
    this.#checkDeferredProgress();
  }

  /** A store delivery as wire responses (several when fragmented). */
  #materialize(resp: StoreWatchResponse, out: WatchResponse[]): void {
    const opts = this.#options.get(resp.watchId);
    let events = resp.events as Event[];
    if (opts?.prevKv === true && events.length > 0) events = events.map((ev) => this.#withPrevKv(ev));
    const wr: WatchResponse = {
      header: this.#header(resp.revision),
      watchId: resp.watchId,
      created: false,
      canceled: resp.compactRevision !== 0n,
      compactRevision: resp.compactRevision,
      cancelReason: "",
      fragment: false,
      events,
    };
    if (opts?.fragment === true && events.length > 1 && watchResponseSize(wr) >= this.#deps.fragmentBytes) {
      this.#fragments(wr, out);
      return;
    }
    out.push(wr);
  }

  /** etcd's sendFragments: as many events as fit under the limit per piece (at least one). */
  #fragments(wr: WatchResponse, out: WatchResponse[]): void {
    const limit = this.#deps.fragmentBytes;
    const all = wr.events;
    let i = 0;
    while (i < all.length) {
      const piece: WatchResponse = { ...wr, events: [all[i]!], fragment: true };
      i++;
      // Header and flags are the same in every piece; add events while under the limit.
      let size = watchResponseSize(piece);
      while (i < all.length) {
        const ev = all[i]!;
        const grown = size + eventFieldSize(ev);
        if (grown >= limit) break;
        piece.events.push(ev);
        size = grown;
        i++;
      }
      if (i === all.length) piece.fragment = false;
      out.push(piece);
    }
  }

  #withPrevKv(ev: Event): Event {
    const kv = ev.kv;
    if (kv === undefined) return ev;
    // A creation has no previous value.
    if (ev.type === Event_EventType.PUT && kv.createRevision === kv.modRevision) return ev;
    let prev: KeyValue | undefined;
    try {
      prev = this.#deps.source.range(kv.key, undefined, { rev: kv.modRevision - 1n }).kvs[0];
    } catch {
      // Compacted since: etcd leaves prev_kv out.
      prev = undefined;
    }
    return { type: ev.type, kv, prevKv: prev };
  }

  /** Headers of one flush are shared per revision (their bytes are encoded once). */
  #header(revision: bigint): ResponseHeader {
    const last = this.#lastHeader;
    if (last !== undefined && last.revision === revision) return last;
    const h = this.#deps.header(revision);
    this.#lastHeader = h;
    return h;
  }
}

function blank(): WatchResponse {
  return { header: undefined, watchId: 0n, created: false, canceled: false, compactRevision: 0n, cancelReason: "", fragment: false, events: [] };
}

/** Bytes an event adds to a response: tag, length, event. */
function eventFieldSize(ev: Event): number {
  const n = watchResponseSize({ ...blank(), events: [ev] });
  return n;
}
