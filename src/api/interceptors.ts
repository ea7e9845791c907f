/**
 * Checks etcd applies to every call before its handler runs (etcd's unary and
 * stream interceptors): a learner serves only Status and serializable Range
 * ("rpc not supported for learner"); a client that sets the `hasleader`
 * metadata to "true" is refused with "no leader" while the member has none.
 * @module
 */
import type { EventEmitter } from "node:events";
import { EtcdError } from "../pkg/errors.js";
import type { HeaderSource } from "../server/api.js";
import type { CallContext } from "./call-context.js";
import { contextOf, grpcErrorOf, type AnyServerCall } from "./grpc-adapter.js";

export const REQUIRE_LEADER_KEY = "hasleader";

/**
 * Every handler calls this first. `learnerAllowed` is true only for the
 * requests a learner may serve (Status, serializable Range).
 */
export function checkLeaderRequirement(ctx: CallContext, header: HeaderSource, learnerAllowed = false): void {
  if (!learnerAllowed && header.isLearner?.() === true) throw new EtcdError("NotSupportedForLearner");
  if (ctx.metadata(REQUIRE_LEADER_KEY) === "true" && !header.hasLeader()) throw new EtcdError("NoLeader");
}

/**
 * The start of every stream handler: the same checks as for unary calls.
 * A refused stream is ended with etcd's error and `undefined` is returned.
 */
export function admitStream(call: AnyServerCall, header: HeaderSource): CallContext | undefined {
  const ctx = contextOf(call);
  try {
    checkLeaderRequirement(ctx, header);
  } catch (err) {
    call.emit("error", grpcErrorOf(err));
    return undefined;
  }
  return ctx;
}

/**
 * etcd's monitorLeader, for a stream opened with `hasleader: true`: `onLost`
 * runs when the member has been without a leader for three election
 * timeouts, so the client can move to a member that has one. The
 * subscription ends with the call.
 */
export function monitorLeader(call: EventEmitter, ctx: CallContext, header: HeaderSource, onLost: () => void): void {
  if (ctx.metadata(REQUIRE_LEADER_KEY) !== "true" || header.onLeaderLost === undefined) return;
  const off = header.onLeaderLost(onLost);
  for (const event of ["close", "cancelled", "error", "finish"]) call.once(event, off);
}
