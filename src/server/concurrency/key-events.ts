/**
 * The watches the lock and election services wait on, over the server's
 * transport-independent watch sessions (the same watchable store clients
 * watch through, as etcd's services use an in-process clientv3 watch):
 * - waitDelete: a watch on one key from a revision at which it existed,
 *   NOPUT-filtered, settled by the first DELETE — so a deletion that
 *   happened before the watch was set up is still seen (catch-up from
 *   history), and only the one waiter watching that key wakes.
 * - watchPrefix: every revision that changes a key under a prefix.
 * Each wait is one session with one watcher, closed when it settles.
 * @module
 */
import { Event_EventType } from "../../gen/mvccpb/kv.js";
import { WatchCreateRequest, WatchCreateRequest_FilterType, type WatchResponse } from "../../gen/etcdserverpb/rpc.js";
import { EtcdError } from "../../pkg/errors.js";
import type { WatchApi } from "../watch/api.js";
import { prefixEnd } from "../../pkg/bytes.js";

export function canceled(): EtcdError {
  return new EtcdError("Timeout", { detail: "request canceled by client" });
}

/** Why a watch ended without the awaited event. */
function endedError(resp: WatchResponse | undefined): EtcdError {
  if (resp !== undefined && resp.compactRevision !== 0n) return new EtcdError("Compacted");
  if (resp === undefined) return new EtcdError("Stopped");
  return new EtcdError("WatchCanceled");
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

  /** Resolves at the first deletion of `key` at a revision ≥ `fromRev`. */
  waitDelete(key: Buffer, fromRev: bigint, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(canceled());
        return;
      }
      const session = this.#watch.openSession();
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
              finish(endedError(r));
            } else if (r.events.length > 0) {
              this.wakeups++;
              if (r.events.some((e) => e.type === Event_EventType.DELETE)) finish();
            }
          }
          return true;
        },
        end: () => finish(endedError(undefined)),
      });
      session.create(WatchCreateRequest.fromPartial({ key, startRevision: fromRev, filters: [WatchCreateRequest_FilterType.NOPUT] }));
    });
  }

  /**
   * Calls `onChange` for each revision ≥ `fromRev` that changes a key under
   * `prefix`, and `onEnd` if the watch ends on its own (compaction,
   * shutdown). Returns the function that stops it.
   */
  watchPrefix(prefix: Buffer, fromRev: bigint, onChange: () => void, onEnd: (err: EtcdError) => void): () => void {
    const session = this.#watch.openSession();
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
            onEnd(endedError(r));
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
        onEnd(endedError(undefined));
      },
    });
    session.create(WatchCreateRequest.fromPartial({ key: prefix, rangeEnd: prefixEnd(prefix), startRevision: fromRev }));
    return stop;
  }
}
