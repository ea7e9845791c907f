/**
 * v3electionpb.Election, as etcd serves it (v3election over
 * clientv3/concurrency's Election):
 * - Campaign(name, lease, value): create `name/<lease hex>` = value with the
 *   lease if absent (a session campaigning again keeps its place and
 *   proclaims a changed value), then wait until every older key under
 *   `name/` is gone — watching only the immediate predecessor. Answers the
 *   LeaderKey {name, key, create revision, lease} and the header of the
 *   campaign txn. A cancelled campaign resigns.
 * - Proclaim(leader, value): put the value only while the leader key still
 *   has its create revision, else "election: not leader".
 * - Resign(leader): delete the leader key under the same condition.
 * - Leader(name): the oldest key under `name/`, else "election: no leader".
 * - Observe(name): the leader's key-value now (if any) and every time the
 *   leader or its value changes; a slow reader gets the latest, not every
 *   intermediate value ("always the most recent leader value").
 * Every request acts as its caller (each read, write, grant and watch
 * carries its credentials): a user without permission on the election's
 * keys gets etcd's error and changes nothing; an observer that loses the
 * permission sees its stream end.
 * @module
 */
import type {
  CampaignRequest,
  CampaignResponse,
  LeaderKey,
  LeaderRequest,
  LeaderResponse,
  ProclaimRequest,
  ProclaimResponse,
  ResignRequest,
  ResignResponse,
} from "../../gen/v3electionpb/v3election.js";
import type { KeyValue } from "../../gen/mvccpb/kv.js";
import { EtcdError } from "../../pkg/errors.js";
import type { Credentials, ElectionApi, HeaderSource } from "../api.js";
import { createRevisionIs, deleteOp, firstCreated, putOp, rangeAt, rangeOf, rangeOp, sessionKey, txnOf, type LocalView } from "./kv-ops.js";
import type { ConcurrencyDeps } from "./lock-requests.js";
import { sessionLease } from "./session.js";
import { waitDeletes } from "./wait-deletes.js";

export interface ElectionDeps extends ConcurrencyDeps {
  header: HeaderSource;
  local: LocalView;
}

export class ElectionRequests implements ElectionApi {
  readonly #deps: ElectionDeps;

  constructor(deps: ElectionDeps) {
    this.#deps = deps;
  }

  async campaign(req: CampaignRequest, signal?: AbortSignal, creds?: Credentials): Promise<CampaignResponse> {
    const { kv } = this.#deps;
    const lease = await sessionLease(this.#deps.leases, req.lease, signal, creds);
    const prefix = Buffer.concat([req.name, Buffer.from("/")]);
    const key = sessionKey(prefix, lease);
    const resp = await kv.txn(txnOf([createRevisionIs(key, 0n)], [putOp(key, req.value, lease)], [rangeOp(rangeOf({ key }))]), signal, creds);
    let rev = resp.header!.revision;
    if (!resp.succeeded) {
      const current = rangeAt(resp.responses, 0).kvs[0]!;
      rev = current.createRevision;
      if (!current.value.equals(req.value)) {
        try {
          await this.#proclaim(key, rev, req.value, lease, signal, creds);
        } catch (err) {
          await this.#resignQuietly(key, rev, creds);
          throw err;
        }
      }
    }
    try {
      await waitDeletes(this.#deps, prefix, rev - 1n, signal, creds);
    } catch (err) {
      if (signal?.aborted) await this.#resignQuietly(key, rev, creds);
      throw err;
    }
    return { header: resp.header, leader: { name: req.name, key, rev, lease } };
  }

  async proclaim(req: ProclaimRequest, signal?: AbortSignal, creds?: Credentials): Promise<ProclaimResponse> {
    const leader = requireLeader(req.leader);
    const lease = await sessionLease(this.#deps.leases, leader.lease, signal, creds);
    return { header: await this.#proclaim(leader.key, leader.rev, req.value, lease, signal, creds) };
  }

  async resign(req: ResignRequest, signal?: AbortSignal, creds?: Credentials): Promise<ResignResponse> {
    const leader = requireLeader(req.leader);
    await sessionLease(this.#deps.leases, leader.lease, signal, creds);
    const resp = await this.#deps.kv.txn(txnOf([createRevisionIs(leader.key, leader.rev)], [deleteOp(leader.key)], []), signal, creds);
    return { header: resp.header };
  }

  async leader(req: LeaderRequest, signal?: AbortSignal, creds?: Credentials): Promise<LeaderResponse> {
    const resp = await this.#deps.kv.range(firstCreated(Buffer.concat([req.name, Buffer.from("/")])), signal, creds);
    const kv = resp.kvs[0];
    if (kv === undefined) throw new EtcdError("ElectionNoLeader");
    return { header: resp.header, kv };
  }

  async *observe(req: LeaderRequest, signal: AbortSignal, creds?: Credentials): AsyncGenerator<LeaderResponse> {
    const { kv, local, events, header } = this.#deps;
    const prefix = Buffer.concat([req.name, Buffer.from("/")]);
    // A linearizable read first: what we answer is never older than the call.
    // It is checked as the caller; the local reads after it are covered by
    // the watch, which is canceled (ending this loop) if the caller loses
    // read permission on the prefix.
    const first = await kv.range(firstCreated(prefix), signal, creds);
    let changed = false;
    let ended: EtcdError | undefined;
    let wake: (() => void) | undefined;
    const stop = events.watchPrefix(
      prefix,
      first.header!.revision + 1n,
      () => {
        changed = true;
        wake?.();
      },
      (err) => {
        ended = err;
        wake?.();
      },
      creds,
    );
    const onAbort = (): void => wake?.();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      let last: KeyValue | undefined = first.kvs[0];
      if (last !== undefined) yield { header: first.header, kv: last };
      // The watch only says "something changed"; what to report is read from
      // the store, which is at least as new as the change.
      while (!signal.aborted && ended === undefined) {
        changed = false;
        const now = local.firstCreated(prefix);
        if (now !== undefined && (last === undefined || !now.key.equals(last.key) || now.modRevision !== last.modRevision || now.createRevision !== last.createRevision)) {
          last = now;
          yield { header: header.header(local.rev), kv: now };
          continue;
        }
        // Leaderless: the next key put under the prefix is the next leader to report.
        if (now === undefined) last = undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (changed || signal.aborted || ended !== undefined) resolve();
        });
        wake = undefined;
      }
    } finally {
      stop();
      signal.removeEventListener("abort", onAbort);
    }
  }

  async #proclaim(key: Buffer, rev: bigint, value: Buffer, lease: bigint, signal: AbortSignal | undefined, creds: Credentials | undefined) {
    const resp = await this.#deps.kv.txn(txnOf([createRevisionIs(key, rev)], [putOp(key, value, lease)], []), signal, creds);
    if (!resp.succeeded) throw new EtcdError("ElectionNotLeader");
    return resp.header;
  }

  async #resignQuietly(key: Buffer, rev: bigint, creds: Credentials | undefined): Promise<void> {
    try {
      await this.#deps.kv.txn(txnOf([createRevisionIs(key, rev)], [deleteOp(key)], []), undefined, creds);
    } catch (err) {
      // The lease takes the key when it expires; nothing else to do.
      this.#deps.logger.warn({ key: key.toString(), error: String(err) }, "election: resign after a failed campaign failed");
    }
  }
}

function requireLeader(leader: LeaderKey | undefined): LeaderKey {
  if (leader === undefined) throw new EtcdError("ElectionMissingLeaderKey");
  return leader;
}
