/**
 * v3lockpb.Lock, as etcd serves it (v3lock over clientv3/concurrency's
 * Mutex, with etcd 3.5's re-check):
 * - Lock(name, lease): in one txn, create `name/<lease hex>` with the lease
 *   if absent (else read it: the same session re-locking keeps its place)
 *   and read the oldest key under `name/`. If ours is the oldest, done.
 *   Otherwise wait for the deletion of each older key, newest first — only
 *   the immediate predecessor is watched. Then read our key again: gone
 *   means the lease expired while we waited → "mutex: session is expired".
 *   A cancelled wait deletes our key, so it blocks nobody.
 * - Unlock(key): deletes the key.
 * Every request acts as its caller: each read, write, grant and watch it
 * makes carries the caller's credentials, so a user without permission on
 * the lock's keys gets etcd's error and changes nothing.
 * @module
 */
import type { LockRequest, LockResponse, UnlockRequest, UnlockResponse } from "../../gen/v3lockpb/v3lock.js";
import { EtcdError } from "../../pkg/errors.js";
import type { Logger } from "../../pkg/logger.js";
import type { Credentials, LeaseApi, LockApi } from "../api.js";
import { createRevisionIs, firstCreated, putOp, rangeAt, rangeOf, rangeOp, sessionKey, txnOf } from "./kv-ops.js";
import { sessionLease } from "./session.js";
import { waitDeletes, type WaitContext } from "./wait-deletes.js";

export interface ConcurrencyDeps extends WaitContext {
  leases: Pick<LeaseApi, "grant">;
  logger: Logger;
}

export class LockRequests implements LockApi {
  readonly #deps: ConcurrencyDeps;

  constructor(deps: ConcurrencyDeps) {
    this.#deps = deps;
  }

  async lock(req: LockRequest, signal?: AbortSignal, creds?: Credentials): Promise<LockResponse> {
    const { kv } = this.#deps;
    const lease = await sessionLease(this.#deps.leases, req.lease, signal, creds);
    const prefix = Buffer.concat([req.name, Buffer.from("/")]);
    const myKey = sessionKey(prefix, lease);
    const resp = await kv.txn(
      txnOf([createRevisionIs(myKey, 0n)], [putOp(myKey, Buffer.alloc(0), lease), rangeOp(firstCreated(prefix))], [rangeOp(rangeOf({ key: myKey })), rangeOp(firstCreated(prefix))]),
      signal,
      creds,
    );
    const myRev = resp.succeeded ? resp.header!.revision : rangeAt(resp.responses, 0).kvs[0]!.createRevision;
    const owner = rangeAt(resp.responses, 1).kvs[0];
    if (owner === undefined || owner.createRevision === myRev) return { header: resp.header, key: myKey };

    try {
      await waitDeletes(this.#deps, prefix, myRev - 1n, signal, creds);
    } catch (err) {
      await this.#release(myKey, creds);
      throw err;
    }
    // The lease may have expired (and taken our key) while we waited.
    const mine = await kv.range(rangeOf({ key: myKey }), signal, creds);
    if (mine.kvs.length === 0) throw new EtcdError("SessionExpired");
    return { header: mine.header, key: myKey };
  }

  async unlock(req: UnlockRequest, signal?: AbortSignal, creds?: Credentials): Promise<UnlockResponse> {
    const resp = await this.#deps.kv.deleteRange({ key: req.key, rangeEnd: Buffer.alloc(0), prevKv: false }, signal, creds);
    return { header: resp.header };
  }

  /** Best effort: a failed wait removes our place in line (the client's own call is over). */
  async #release(key: Buffer, creds: Credentials | undefined): Promise<void> {
    try {
      await this.#deps.kv.deleteRange({ key, rangeEnd: Buffer.alloc(0), prevKv: false }, undefined, creds);
    } catch (err) {
      // The lease takes the key when it expires; nothing else to do.
      this.#deps.logger.warn({ key: key.toString(), error: String(err) }, "lock: removing the key of a failed lock failed");
    }
  }
}
