/**
 * The Lease request paths, as etcd's server serves them: grant and revoke
 * go through the log (a grant first passes the space quota and gets a
 * positive int63 id when the client left it 0); keepalive and TimeToLive
 * are answered by the leader's lessor once the leader has applied what it
 * committed; the lease list is local.
 * @module
 */
import type { AuthGate } from "../auth/gate.js";
import type {
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseLeasesResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
  ResponseHeader,
} from "../../gen/etcdserverpb/rpc.js";
import type { Clock } from "../../pkg/clock.js";
import { EtcdError } from "../../pkg/errors.js";
import type { IdGenerator } from "../../pkg/id-generator.js";
import { FOREVER_TTL_SECONDS, type Lessor } from "../../lease/index.js";
import type { HeaderSource, LeaderForwarder, LeaseApi } from "../api.js";
import type { ApplyResult } from "../apply/apply-result.js";
import type { LeaseKeeper } from "./keeper.js";
import type { RaftRequestBody } from "../proposals/proposer.js";
import { LEASE_OVERHEAD, type Quota } from "../maintenance/quota.js";

const INT63_MASK = (1n << 63n) - 1n;

/**
 * How a member that is not the leader reaches the leader's lessor (the
 * lease part of {@link LeaderForwarder}). Absent: such a member answers
 * "not leader".
 */
export type LeaseForwarder = Pick<LeaderForwarder, "renew" | "timeToLive">;

export interface LeaseRequestDeps {
  /** Who may do what (AUTH_OFF when absent). */
  auth?: AuthGate;
  lessor: Lessor;
  keeper: LeaseKeeper;
  propose(body: RaftRequestBody, signal?: AbortSignal): Promise<ApplyResult>;
  header: HeaderSource;
  ids: IdGenerator;
  quota: Quota;
  raiseNoSpace(): Promise<void>;
  committedIndex(): bigint;
  appliedIndex(): bigint;
  /** Resolves once the applied index reaches `index`; rejects with TimeoutWaitAppliedIndex when that takes too long. */
  waitApplied(index: bigint): Promise<void>;
  requestTimeoutMs: number;
  /** Where the request timeout runs. */
  clock: Pick<Clock, "after">;
  forwarder?: LeaseForwarder;
}

export class LeaseRequests implements LeaseApi {
  readonly #deps: LeaseRequestDeps;

  constructor(deps: LeaseRequestDeps) {
    this.#deps = deps;
  }

  async grant(req: LeaseGrantRequest, signal?: AbortSignal): Promise<LeaseGrantResponse> {
    const d = this.#deps;
    if (!d.quota.available(LEASE_OVERHEAD)) {
      await d.raiseNoSpace();
      throw new EtcdError("NoSpace");
    }
    let id = req.ID;
    while (id === 0n) id = d.ids.next() & INT63_MASK;
    const resp = await this.#write<LeaseGrantResponse>({ leaseGrant: { ID: id, TTL: req.TTL } }, signal);
    return resp;
  }

  async revoke(req: LeaseRevokeRequest, signal?: AbortSignal): Promise<LeaseRevokeResponse> {
    return this.#write<LeaseRevokeResponse>({ leaseRevoke: { ID: req.ID } }, signal);
  }

  async keepAlive(req: LeaseKeepAliveRequest, signal?: AbortSignal): Promise<LeaseKeepAliveResponse> {
    // The header is taken before renewing: its revision is then never above
    // a revision at which the lease was already revoked.
    const header = this.#deps.header.header();
    const ttl = await this.#renew(req.ID, signal);
    return { header, ID: req.ID, TTL: ttl };
  }

  async timeToLive(req: LeaseTimeToLiveRequest, signal?: AbortSignal): Promise<LeaseTimeToLiveResponse> {
    const d = this.#deps;
    const answer = await this.#onLeader(
      signal,
      async () => {
        const lease = d.lessor.lookup(req.ID);
        if (lease === undefined) return undefined;
        const remaining = lease.remainingMs();
        const ttl = remaining === Infinity ? FOREVER_TTL_SECONDS : Math.trunc(remaining / 1000);
        const resp: LeaseTimeToLiveResponse = { header: undefined, ID: req.ID, TTL: BigInt(ttl), grantedTTL: BigInt(lease.ttl), keys: req.keys ? lease.keys() : [] };
        return resp;
      },
      (forwarder, s) => forwarder.timeToLive(req, s),
    );
    const resp: LeaseTimeToLiveResponse = answer ?? { header: undefined, ID: req.ID, TTL: -1n, grantedTTL: 0n, keys: [] };
    resp.header = d.header.header();
    return resp;
  }

  async leases(): Promise<LeaseLeasesResponse> {
    return { header: this.#deps.header.header(), leases: this.#deps.lessor.leases().map((l) => ({ ID: l.id })) };
  }

  /** The renewed TTL; 0 when the lease does not exist (or expired while we waited). */
  async #renew(id: bigint, signal: AbortSignal | undefined): Promise<bigint> {
    const d = this.#deps;
    // The common case needs no waiting at all.
    if (d.keeper.isLeader && d.lessor.isPrimary && d.appliedIndex() >= d.committedIndex()) {
      const r = d.lessor.renew(id);
      if (r.kind === "renewed") return BigInt(r.ttl);
      const reason = r.kind === "failed" ? r.reason : await r.outcome;
      if (reason === "not-found") return 0n;
      // not-primary: leadership moved; the slow path below finds out where to.
    }
    const ttl = await this.#onLeader(
      signal,
      async () => {
        const r = d.lessor.renew(id);
        if (r.kind === "renewed") return BigInt(r.ttl);
        const reason = r.kind === "failed" ? r.reason : await r.outcome;
        if (reason === "not-found") return 0n;
        // Stepped down while waiting: the retry loop finds the new leader.
        throw new EtcdError("NotLeader");
      },
      (forwarder, s) => forwarder.renew(id, s),
    );
    return ttl;
  }

  /**
   * Runs `local` on the leader once its lessor is primary and it has applied
   * what it committed (etcd's waitAppliedIndex), or asks the leader through
   * the forwarder. Retries when leadership moves, until the request timeout.
   */
  async #onLeader<T>(signal: AbortSignal | undefined, local: () => Promise<T>, forward: (f: LeaseForwarder, s: AbortSignal) => Promise<T>): Promise<T> {
    const d = this.#deps;
    const timer = new AbortController();
    const cancelTimer = d.clock.after(d.requestTimeoutMs, () => timer.abort());
    const bounded = signal === undefined ? timer.signal : AbortSignal.any([signal, timer.signal]);
    try {
      return await this.#retryOnLeader(signal, bounded, local, forward);
    } finally {
      cancelTimer();
    }
  }

  async #retryOnLeader<T>(
    signal: AbortSignal | undefined,
    bounded: AbortSignal,
    local: () => Promise<T>,
    forward: (f: LeaseForwarder, s: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const d = this.#deps;
    for (;;) {
      if (bounded.aborted) throw signal?.aborted ? new EtcdError("Timeout", { detail: "request canceled by client" }) : new EtcdError("Timeout");
      if (!d.keeper.isLeader) {
        if (d.forwarder !== undefined && d.header.hasLeader()) return forward(d.forwarder, bounded);
        throw new EtcdError(d.header.hasLeader() ? "NotLeader" : "NoLeader");
      }
      try {
        await this.#waitApplied();
        await d.keeper.whenPrimary(bounded);
        return await local();
      } catch (err) {
        if (err instanceof EtcdError && err.kind === "NotLeader") continue;
        throw err;
      }
    }
  }

  async #waitApplied(): Promise<void> {
    const d = this.#deps;
    const committed = d.committedIndex();
    if (d.appliedIndex() >= committed) return;
    await d.waitApplied(committed);
  }

  async #write<T extends { header: ResponseHeader | undefined }>(body: RaftRequestBody, signal?: AbortSignal): Promise<T> {
    const result = await this.#deps.propose(body, signal);
    if (!result.ok) throw result.error;
    const resp = result.response as T;
    const revision = resp.header?.revision;
    resp.header = this.#deps.header.header(revision !== undefined && revision !== 0n ? revision : undefined);
    return resp;
  }
}
