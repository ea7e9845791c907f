/**
 * etcd's own interceptor (v3rpc/interceptor.go): before any handler runs, a
 * learner refuses everything but Maintenance.Status and serializable Range
 * ("rpc not supported for learner"), and a client that set the `hasleader`
 * metadata to "true" is refused with "no leader" while the member has none.
 * A stream opened with `hasleader: true` is ended with "no leader" once the
 * member has been without a leader for three election timeouts
 * (monitorLeader), so its client moves to a member that has one.
 * @module
 */
import type { RangeRequest } from "../gen/etcdserverpb/rpc.js";
import { EtcdError } from "../pkg/errors.js";
import type { HeaderSource } from "../server/api.js";
import type { CallContext } from "./rpc/contract.js";
import type { Interceptor } from "./rpc/methods.js";

export const REQUIRE_LEADER_KEY = "hasleader";

const STATUS = "/etcdserverpb.Maintenance/Status";
const RANGE = "/etcdserverpb.KV/Range";

/** Why a call is refused before its handler runs; undefined to admit it. */
function refusal(header: HeaderSource, ctx: CallContext, learnerAllowed: boolean): EtcdError | undefined {
  if (!learnerAllowed && header.isLearner?.() === true) return new EtcdError("NotSupportedForLearner");
  if (ctx.metadata(REQUIRE_LEADER_KEY) === "true" && !header.hasLeader()) return new EtcdError("NoLeader");
  return undefined;
}

export function leaderInterceptor(header: HeaderSource): Interceptor {
  return {
    unary(method, next) {
      if (method.path === STATUS) {
        return (request, ctx) => {
          const refused = refusal(header, ctx, true);
          return refused === undefined ? next(request, ctx) : Promise.reject(refused);
        };
      }
      if (method.path === RANGE) {
        return (request, ctx) => {
          const refused = refusal(header, ctx, (request as RangeRequest).serializable);
          return refused === undefined ? next(request, ctx) : Promise.reject(refused);
        };
      }
      return (request, ctx) => {
        const refused = refusal(header, ctx, false);
        return refused === undefined ? next(request, ctx) : Promise.reject(refused);
      };
    },
    serverStream(_method, next) {
      return (request, sink, ctx) => {
        const refused = refusal(header, ctx, false);
        if (refused !== undefined) return Promise.reject(refused);
        return whileLeaderKept(header, ctx, next(request, sink, ctx));
      };
    },
    bidiStream(_method, next) {
      return (requests, sink, ctx) => {
        const refused = refusal(header, ctx, false);
        if (refused !== undefined) return Promise.reject(refused);
        return whileLeaderKept(header, ctx, next(requests, sink, ctx));
      };
    },
  };
}

/**
 * The stream's run, or "no leader" if the member loses its leader first
 * (for a stream that required one). The handler then sees its call end.
 */
function whileLeaderKept(header: HeaderSource, ctx: CallContext, run: Promise<void>): Promise<void> {
  if (ctx.metadata(REQUIRE_LEADER_KEY) !== "true" || header.onLeaderLost === undefined) return run;
  let off: (() => void) | undefined;
  const lost = new Promise<never>((_, reject) => {
    off = header.onLeaderLost?.(() => reject(new EtcdError("NoLeader")));
  });
  return Promise.race([run, lost]).finally(() => off?.());
}
