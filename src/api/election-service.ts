/**
 * v3electionpb.Election over gRPC. Observe is a server stream: it pulls the
 * next leader value only when the previous one was written (and grpc-js's
 * buffer drained), so a slow reader costs one pending value, and it ends
 * when the client cancels.
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import type {
  CampaignRequest,
  CampaignResponse,
  LeaderRequest,
  LeaderResponse,
  ProclaimRequest,
  ProclaimResponse,
  ResignRequest,
  ResignResponse,
} from "../gen/v3electionpb/v3election.js";
import type { ElectionApi, HeaderSource } from "../server/api.js";
import { drained, grpcErrorOf, unary } from "./grpc-adapter.js";
import { EtcdError } from "../pkg/errors.js";
import { admitStream, checkLeaderRequirement, monitorLeader } from "./interceptors.js";
import { asServiceError } from "./lock-service.js";
import { toWireError } from "./status.js";

export function electionHandlers(api: ElectionApi, header: HeaderSource) {
  return {
    campaign: unary<CampaignRequest, CampaignResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return asServiceError(api.campaign(req, ctx.signal));
    }),
    proclaim: unary<ProclaimRequest, ProclaimResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return asServiceError(api.proclaim(req, ctx.signal));
    }),
    leader: unary<LeaderRequest, LeaderResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return asServiceError(api.leader(req, ctx.signal));
    }),
    resign: unary<ResignRequest, ResignResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return asServiceError(api.resign(req, ctx.signal));
    }),
    observe: observeHandler(api, header),
  };
}

type ObserveCall = grpc.ServerWritableStream<LeaderRequest, LeaderResponse>;

function observeHandler(api: ElectionApi, header: HeaderSource): grpc.handleServerStreamingCall<LeaderRequest, LeaderResponse> {
  return (call) => {
    void observe(api, header, call);
  };
}

async function observe(api: ElectionApi, header: HeaderSource, call: ObserveCall): Promise<void> {
  const ctx = admitStream(call, header);
  if (ctx === undefined) return;
  const stop = new AbortController();
  let leaderLost = false;
  monitorLeader(call, ctx, header, () => {
    leaderLost = true;
    stop.abort();
  });
  try {
    for await (const resp of api.observe(call.request, AbortSignal.any([ctx.signal, stop.signal]))) {
      if (call.cancelled || leaderLost) break;
      if (!call.write(resp)) await drained(call);
    }
    if (call.cancelled) return;
    if (leaderLost) call.emit("error", grpcErrorOf(new EtcdError("NoLeader")));
    else call.end();
  } catch (err) {
    if (call.cancelled) return;
    // As for the unary calls: the service's errors reach the client as Unknown with etcd's text.
    call.emit("error", grpcErrorOf(leaderLost ? new EtcdError("NoLeader") : new Error(toWireError(err).message)));
  }
}
