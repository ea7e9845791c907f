/**
 * The watches the lock and election services wait on, over the server's
 * transport-independent watch sessions (the same watchable store clients
 * watch through, as etcd's services use an in-process clientv3 watch):
 * - waitDelete: a watch on one key from a revision at which it existed,
 *   NOPUT-filtered, settled by the first DELETE — so a deletion that
 *   happened before the watch was set up is still seen (catch-up from
 *   history), and only the one waiter watching that key wakes.
 * - watchPrefix: every revision that changes a key under a prefix.
 * Each wait is one session with one watcher, closed when it settles. The
 * session acts as the request's caller, so its watch is checked as theirs.
 * @module
 */
import { Event_EventType } from "../../gen/mvccpb/kv.js";
import { WatchCreateRequest, WatchCreateRequest_FilterType, type WatchResponse } from "../../gen/etcdserverpb/rpc.js";
import { EtcdError } from "../../pkg/errors.js";
import type { Credentials } from "../api.js";
import type { WatchApi, WatchSessionApi } from "../watch/api.js";
import { prefixEnd } from "../../pkg/bytes.js";

export function canceled(): EtcdError {
  return new EtcdError("Timeout", { detail: "request canceled by client" });
}

/** Why a watch ended without the awaited event: the auth error it was refused or canceled with, if any. */
function endedError(resp: WatchResponse | undefined, authError: EtcdError | undefined): EtcdError {
  if (authError !== undefined) return authError;
  if (resp !== undefined && resp.compactRevision !== 0n) return new EtcdError("Compacted");
  if (resp === undefined) return new EtcdError("Stopped");
  return new EtcdError("WatchCanceled");
}

/** A watch session acting as `creds`, keeping the auth error it refuses or cancels a watcher with (the caller gets etcd's error, not a cancel reason). */
function openAs(watch: WatchApi, creds: Credentials | undefined): { session: WatchSessionApi; authError(): EtcdError | undefined } {
  let refused: EtcdError | undefined;
  const session = watch.openSession({
    ...(creds !== undefined ? { credentials: creds } : {}),
    describeError: (err) => {
      refused = err;
      return err.message;
    },
  });
  return { session, authError: () => refused };
}

export class KeyEvents {
  readonly #watch: WatchApi;
  /** Watch responses with events delivered to waiters: tests count wake-ups with it. */
  wakeups = 0;
  /** Open watches (sessions) of waiters. */
  open = 0;

  constructor(watch: WatchApi) {
    this.#watch = watch;
  }

  /** Resolves at the first deletion of `key` at a revision ≥ `fromRev`; watches as `creds`. */
  waitDelete(key: Buffer, fromRev: bigint, signal?: AbortSignal, creds?: Credentials): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(canceled());
        return;
      }
      const { session, authError } = openAs(this.#watch, creds);
      this.open++;
      let settled = false;
      const finish = (err?: EtcdError): void => {
        if (settled) return;
        settled = true;
        this.open--;
        signal?.removeEventListener("abort", onAbort);
        session.close();
        if (err === undefined) resolve();
        else reject(err);
      };
      const onAbort = (): void => finish(canceled());
      signal?.addEventListener("abort", onAbort, { once: true });
      session.attach({
        write: (responses) => {
          for (const r of responses) {
            if (settled) break;
            if (r.canceled) {
              finish(endedError(r, authError()));
            } else if (r.events.length > 0) {
              this.wakeups++;
              if (r.events.some((e) => e.type === Event_EventType.DELETE)) finish();
            }
          }
          return true;
        },
        end: () => finish(endedError(undefined, undefined)),
      });
      session.create(WatchCreateRequest.fromPartial({ key, startRevision: fromRev, filters: [WatchCreateRequest_FilterType.NOPUT] }));
    });
  }

  /**
   * Calls `onChange` for each revision ≥ `fromRev` that changes a key under
   * `prefix`, and `onEnd` if the watch ends on its own (compaction,
   * shutdown, or its user losing the permission). Watches as `creds`.
   * Returns the function that stops it.
   */
  watchPrefix(prefix: Buffer, fromRev: bigint, onChange: () => void, onEnd: (err: EtcdError) => void, creds?: Credentials): () => void {
    const { session, authError } = openAs(this.#watch, creds);
    this.open++;
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      this.open--;
      session.close();
    };
    session.attach({
      write: (responses) => {
        for (const r of responses) {
          if (stopped) break;
          if (r.canceled) {
            stop();
            onEnd(endedError(r, authError()));
            break;
          }
          if (r.events.length > 0) {
            this.wakeups++;
            onChange();
          }
        }
        return true;
      },
      end: () => {
        if (stopped) return;
        stop();
        onEnd(endedError(undefined, undefined));
      },
    });
    session.create(WatchCreateRequest.fromPartial({ key: prefix, rangeEnd: prefixEnd(prefix), startRevision: fromRev }));
    return stop;
  }
}
