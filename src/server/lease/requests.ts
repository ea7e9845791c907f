/**
 * The Lease request paths, as etcd's server serves them: grant and revoke
 * go through the log (a grant first passes the space quota and gets a
 * positive int63 id when the client left it 0); keepalive and TimeToLive
 * are answered by the leader's lessor once the leader has applied what it
 * committed; the lease list is local.
 *
 * Auth: grant and revoke are proposed with their caller (applying checks a
 * revoke against the lease's keys, as etcd's authApplier does); with auth
 * on, keepalive, TimeToLive and the lease list need a caller and check the
 * keys of the leases they touch on this member, as newer etcd does
 * (checkLeaseRenew, checkLeaseTimeToLive, checkLeaseLeases) — etcd 3.4
 * checks none of them.
 * @module
 */
import type { AuthInfo } from "../../auth/index.js";
import { AUTH_OFF, type AuthGate } from "../auth/gate.js";
import type {
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseLeasesRequest,
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
import type { Credentials, HeaderSource, LeaderForwarder, LeaseApi } from "../api.js";
import type { ApplyResult } from "../apply/apply-result.js";
import type { LeaseKeeper } from "./keeper.js";
import type { RaftRequestBody } from "../proposals/proposer.js";
import { LEASE_OVERHEAD, type Quota } from "../maintenance/quota.js";

const INT63_MASK = (1n << 63n) - 1n;

/**
 * How a member that is not the leader reaches the leader's lessor (the
 * lease part of {@link LeaderForwarder}). Absent: such a member answers
 * "not leader". The caller's credentials go along: the leader answers
 * through its client API, which checks the caller again (this member
 * checked it before forwarding, as etcd's follower does).
 */
export interface LeaseForwarder {
  renew(id: bigint, signal: AbortSignal, creds?: Credentials): ReturnType<LeaderForwarder["renew"]>;
  timeToLive(req: LeaseTimeToLiveRequest, signal: AbortSignal, creds?: Credentials): ReturnType<LeaderForwarder["timeToLive"]>;
}

export interface LeaseRequestDeps {
  /** Who may do what (AUTH_OFF when absent). */
  auth?: AuthGate;
  lessor: Lessor;
  keeper: LeaseKeeper;
  /** Proposes `body` as `auth` (the resolved caller, absent with auth off). */
  propose(body: RaftRequestBody, signal?: AbortSignal, auth?: AuthInfo): Promise<ApplyResult>;
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
  readonly #auth: AuthGate;

  constructor(deps: LeaseRequestDeps) {
    this.#deps = deps;
    this.#auth = deps.auth ?? AUTH_OFF;
  }

  async grant(req: LeaseGrantRequest, signal?: AbortSignal, creds?: Credentials): Promise<LeaseGrantResponse> {
    const d = this.#deps;
    if (!d.quota.available(LEASE_OVERHEAD)) {
      await d.raiseNoSpace();
      throw new EtcdError("NoSpace");
    }
    let id = req.ID;
    while (id === 0n) id = d.ids.next() & INT63_MASK;
    const resp = await this.#write<LeaseGrantResponse>({ leaseGrant: { ID: id, TTL: req.TTL } }, signal, creds);
    return resp;
  }

  async revoke(req: LeaseRevokeRequest, signal?: AbortSignal, creds?: Credentials): Promise<LeaseRevokeResponse> {
    return this.#write<LeaseRevokeResponse>({ leaseRevoke: { ID: req.ID } }, signal, creds);
  }

  async keepAlive(req: LeaseKeepAliveRequest, signal?: AbortSignal, creds?: Credentials): Promise<LeaseKeepAliveResponse> {
    // The header is taken before renewing: its revision is then never above
    // a revision at which the lease was already revoked.
    const header = this.#deps.header.header();
    const auth = this.#auth;
    let check: (() => void) | undefined;
    if (auth.enabled) {
      // Resolved first: an invalid token is refused at once, and a token's index is waited for here.
      const first = await auth.identify(creds, signal);
      // Write permission on every key of the lease, checked right before renewing or forwarding (etcd's
      // checkLeaseRenew). The caller is resolved again there (synchronously now), so a renewal that
      // waited for the applied index is checked at the auth revision it is made at, not refused as old.
      check = () => {
        const now = auth.identify(creds, signal);
        // (A promise cannot come once the token's index was applied; settle one quietly all the same.)
        if (now instanceof Promise) now.catch(() => undefined);
        auth.checkLeaseKeys(now instanceof Promise ? first : now, req.ID, "write");
      };
    }
    const ttl = await this.#renew(req.ID, signal, creds, check);
    return { header, ID: req.ID, TTL: ttl };
  }

  async timeToLive(req: LeaseTimeToLiveRequest, signal?: AbortSignal, creds?: Credentials): Promise<LeaseTimeToLiveResponse> {
    const d = this.#deps;
    const auth = this.#auth;
    let checkedAt = auth.revision;
    if (auth.enabled) {
      const info = await auth.identify(creds, signal);
      if (info === undefined) throw new EtcdError("UserEmpty");
      checkedAt = auth.revision;
      // Only the keys are protected: without them the answer shows no key (etcd checks only when keys are asked for).
      if (req.keys) auth.checkLeaseKeys(info, req.ID, "read");
    }
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
      (forwarder, s) => forwarder.timeToLive(req, s, creds),
    );
    // The keys were checked before the answer was fetched: a change of the auth store since may have revoked that permission.
    if (req.keys && auth.enabled && auth.revision !== checkedAt) throw new EtcdError("AuthOldRevision");
    const resp: LeaseTimeToLiveResponse = answer ?? { header: undefined, ID: req.ID, TTL: -1n, grantedTTL: 0n, keys: [] };
    resp.header = d.header.header();
    return resp;
  }

  async leases(_req?: LeaseLeasesRequest, signal?: AbortSignal, creds?: Credentials): Promise<LeaseLeasesResponse> {
    const auth = this.#auth;
    if (auth.enabled) {
      auth.checkAllLeases(await auth.identify(creds, signal));
    }
    return { header: this.#deps.header.header(), leases: this.#deps.lessor.leases().map((l) => ({ ID: l.id })) };
  }

  /**
   * The renewed TTL; 0 when the lease does not exist (or expired while we
   * waited). `check` (auth on) runs right before the lessor renews or the
   * renewal is sent to the leader.
   */
  async #renew(id: bigint, signal: AbortSignal | undefined, creds: Credentials | undefined, check?: () => void): Promise<bigint> {
    const d = this.#deps;
    // The common case needs no waiting at all.
    if (d.keeper.isLeader && d.lessor.isPrimary && d.appliedIndex() >= d.committedIndex()) {
      check?.();
      const r = d.lessor.renew(id);
      if (r.kind === "renewed") return BigInt(r.ttl);
      const reason = r.kind === "failed" ? r.reason : await r.outcome;
      if (reason === "not-found") return 0n;
      // not-primary: leadership moved; the slow path below finds out where to.
    }
    const ttl = await this.#onLeader(
      signal,
      async () => {
        check?.();
        const r = d.lessor.renew(id);
        if (r.kind === "renewed") return BigInt(r.ttl);
        const reason = r.kind === "failed" ? r.reason : await r.outcome;
        if (reason === "not-found") return 0n;
        // Stepped down while waiting: the retry loop finds the new leader.
        throw new EtcdError("NotLeader");
      },
      (forwarder, s) => {
        check?.();
        return forwarder.renew(id, s, creds);
      },
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

  async #write<T extends { header: ResponseHeader | undefined }>(body: RaftRequestBody, signal?: AbortSignal, creds?: Credentials): Promise<T> {
    const auth = this.#auth;
    // Resolved here so an invalid token is refused before anything is proposed.
    const info = auth.enabled ? await auth.identify(creds, signal) : undefined;
    const result = await this.#deps.propose(body, signal, info);
    if (!result.ok) throw result.error;
    const resp = result.response as T;
    const revision = resp.header?.revision;
    resp.header = this.#deps.header.header(revision !== undefined && revision !== 0n ? revision : undefined);
    return resp;
  }
}
