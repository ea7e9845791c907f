/**
 * `etcdserverpb.Watch/Watch`: the bidi stream over a transport-independent
 * watch session (src/server/watch/session.ts). Requests go to the session
 * as they arrive; responses come back in batches and are written with
 * back-pressure: when the sink is full the session is told to wait, and it
 * resumes when the sink has room.
 *
 * A batch goes to the sink in one `writeBatch`: the method's batch encoder
 * (`frameWatchResponses`) frames it as consecutive gRPC messages in one
 * buffer, which our transport writes to the HTTP/2 stream at once — the
 * same bytes on the wire as one write per message, at about a quarter of
 * the CPU per message (measured: 5.7 µs → 1.7 µs including encoding), which
 * is what fan-out to many watchers needs.
 * @module
 */
import { WatchService } from "../gen/etcdserverpb/rpc.js";
import type { WatchApi } from "../server/watch/api.js";
import { encodeWatchResponse, frameWatchResponses } from "../server/watch/codec.js";
import { TOKEN_ONLY, type CredentialsReader } from "./credentials.js";
import type { ServiceHandlers } from "./rpc/contract.js";
import { goStatusText } from "./status.js";

/** The Watch service definition, with the caching response encoder and the batch encoder. */
export const WATCH_SERVICE = {
  watch: { ...WatchService.watch, responseSerialize: encodeWatchResponse, frameResponses: frameWatchResponses },
} as const;

export function watchHandlers(api: WatchApi, credentials: CredentialsReader = TOKEN_ONLY): ServiceHandlers<typeof WATCH_SERVICE> {
  return {
    // A client that half-closes keeps receiving events, as with etcd: the
    // stream ends when the client cancels it, or the session ends.
    watch: async (requests, sink, ctx) => {
      // Every create on the stream is checked with the stream's credentials;
      // a refused one is canceled with Go's status text as its reason, as etcd words it.
      const session = api.openSession({ credentials: credentials(ctx), describeError: goStatusText });
      let inputResumed: (() => void) | undefined;
      let inputPaused: Promise<void> | undefined;
      const ended = new Promise<void>((resolve, reject) => {
        ctx.cancellation.addEventListener("abort", () => resolve());
        session.attach({
          write: (responses) => {
            const more = sink.writeBatch(responses);
            if (!more && !sink.closed) void sink.ready().then(() => session.resume());
            return more;
          },
          end: (error) => (error === undefined ? resolve() : reject(error)),
          pauseInput: () => {
            inputPaused ??= new Promise((r) => (inputResumed = r));
          },
          resumeInput: () => {
            inputPaused = undefined;
            inputResumed?.();
          },
        });
      });
      const reading = (async () => {
        for await (const req of requests) {
          if (session.closed) return;
          session.handle(req);
          if (inputPaused !== undefined) await Promise.race([inputPaused, ended]);
        }
      })();
      try {
        // Until the session or the call ends; a client's half-close only stops the reading.
        await Promise.race([ended, reading.then(() => ended)]);
      } finally {
        session.close();
      }
    },
  };
}
