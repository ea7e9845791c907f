/**
 * v3electionpb.Election. Observe is a server stream: it pulls the next
 * leader value only when the previous one was written (and the transport
 * had room for it), so a slow reader costs one pending value, and it ends
 * when the call does.
 * @module
 */
import type { ElectionService } from "../gen/v3electionpb/v3election.js";
import type { ElectionApi } from "../server/api.js";
import { TOKEN_ONLY, type CredentialsReader } from "./credentials.js";
import { asServiceError } from "./lock-service.js";
import type { ServiceHandlers } from "./rpc/contract.js";
import { toWireError } from "./status.js";

/** Election acts as its caller: every key it reads, writes or watches is checked with the call's credentials. */
export function electionHandlers(api: ElectionApi, credentials: CredentialsReader = TOKEN_ONLY): ServiceHandlers<typeof ElectionService> {
  return {
    campaign: async (req, ctx) => asServiceError(api.campaign(req, ctx.signal, credentials(ctx))),
    proclaim: async (req, ctx) => asServiceError(api.proclaim(req, ctx.signal, credentials(ctx))),
    leader: async (req, ctx) => asServiceError(api.leader(req, ctx.signal, credentials(ctx))),
    resign: async (req, ctx) => asServiceError(api.resign(req, ctx.signal, credentials(ctx))),
    observe: async (req, sink, ctx) => {
      try {
        for await (const resp of api.observe(req, ctx.signal, credentials(ctx))) {
          if (!sink.write(resp)) await sink.ready();
          if (sink.closed) return;
        }
      } catch (err) {
        // As for the unary calls: the service's errors reach the client as Unknown with etcd's text.
        throw new Error(toWireError(err).message, { cause: err });
      }
    },
  };
}
