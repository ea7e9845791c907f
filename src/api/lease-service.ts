/**
 * etcdserverpb.Lease. LeaseKeepAlive is a bidi stream: requests of one
 * stream are answered one at a time, in order (as etcd's loop does); the
 * transport stops reading while a request waits unread, and a response
 * waits for room when the client reads slowly — so a stream holds a
 * bounded amount of memory whatever the client does. A failed renewal ends
 * the stream with etcd's status; a client half-close ends it with OK once
 * every request received so far is answered.
 * @module
 */
import type { LeaseService } from "../gen/etcdserverpb/rpc.js";
import type { LeaseApi } from "../server/api.js";
import { TOKEN_ONLY, type CredentialsReader } from "./credentials.js";
import type { ServiceHandlers } from "./rpc/contract.js";

export function leaseHandlers(api: LeaseApi, credentials: CredentialsReader = TOKEN_ONLY): ServiceHandlers<typeof LeaseService> {
  return {
    leaseGrant: async (req, ctx) => api.grant(req, ctx.signal, credentials(ctx)),
    leaseRevoke: async (req, ctx) => api.revoke(req, ctx.signal, credentials(ctx)),
    leaseTimeToLive: async (req, ctx) => api.timeToLive(req, ctx.signal, credentials(ctx)),
    leaseLeases: async (req, ctx) => api.leases(req, ctx.signal, credentials(ctx)),
    leaseKeepAlive: async (requests, sink, ctx) => {
      // A stream's credentials are its opening metadata's: read once, checked at every renewal.
      const creds = credentials(ctx);
      for await (const req of requests) {
        // No cancellation signal: a renewal is answered at once in the common
        // case, and a waiting one is bounded by the request timeout.
        const resp = await api.keepAlive(req, undefined, creds);
        if (sink.closed) return;
        if (!sink.write(resp)) await sink.ready();
      }
    },
  };
}
