/**
 * Checks etcd applies to every call before its handler runs (etcd's unary and
 * stream interceptors): a learner serves only Status and serializable Range
 * ("rpc not supported for learner"); a client that sets the `hasleader`
 * metadata to "true" is refused with "no leader" while the member has none.
 * @module
 */
import { EtcdError } from "../pkg/errors.js";
import type { HeaderSource } from "../server/api.js";
import type { CallContext } from "./call-context.js";

export const REQUIRE_LEADER_KEY = "hasleader";

/**
 * Every handler calls this first. `learnerAllowed` is true only for the
 * requests a learner may serve (Status, serializable Range).
 */
export function checkLeaderRequirement(ctx: CallContext, header: HeaderSource, learnerAllowed = false): void {
  if (!learnerAllowed && header.isLearner?.() === true) throw new EtcdError("NotSupportedForLearner");
  if (ctx.metadata(REQUIRE_LEADER_KEY) === "true" && !header.hasLeader()) throw new EtcdError("NoLeader");
}
