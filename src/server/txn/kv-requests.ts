/**
 * The KV request paths: reads are served from the local store (after a
 * ReadIndex barrier unless serializable); writes are proposed and answered
 * with their apply result.
 *
 * Auth (etcd's doSerialize and raftRequest): a read resolves its caller
 * after the barrier and is checked against the permissions it is
 * linearized after, then read; a write resolves its caller and proposes
 * with it, and applying checks it (Compact is not permission-checked, as
 * in etcd). An invalid token is refused before anything is read or
 * proposed. With auth off none of this runs: one flag read.
 * @module
 */
import type { AuthInfo } from "../../auth/index.js";
import { AUTH_OFF, type AuthGate } from "../auth/gate.js";
import type {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  ResponseHeader,
  TxnRequest,
  TxnResponse,
} from "../../gen/etcdserverpb/rpc.js";
import { EtcdError } from "../../pkg/errors.js";
import type { KVStore } from "../../storage/mvcc/index.js";
import type { Cancellation, Credentials, HeaderSource, KvApi } from "../api.js";
import { canceledByClient, type Proposer, type RaftRequestBody } from "../proposals/proposer.js";
import type { LinearizableReads } from "../proposals/read-index.js";
import * as ops from "./index.js";
import { costOfPut, costOfTxn, type Quota } from "../maintenance/quota.js";

export interface KvDeps {
  /** Who may do what (AUTH_OFF when absent). */
  auth?: AuthGate;
  store: KVStore;
  proposer: Proposer;
  reads: LinearizableReads;
  header: HeaderSource;
  quota: Quota;
  /** Raises NOSPACE through the log (called when a write does not fit the quota). */
  raiseNoSpace(): Promise<void>;
}

export class KvRequests implements KvApi {
  readonly #deps: KvDeps;
  readonly #auth: AuthGate;

  constructor(deps: KvDeps) {
    this.#deps = deps;
    this.#auth = deps.auth ?? AUTH_OFF;
  }

  async range(req: RangeRequest, signal?: Cancellation, creds?: Credentials): Promise<RangeResponse> {
    // A client that already gave up gets no ReadIndex round and no store read (a large range is costly).
    if (signal?.aborted === true) throw canceledByClient();
    if (!req.serializable) await this.#deps.reads.barrier(signal);
    const auth = this.#auth;
    if (!auth.enabled) return this.#range(req);
    return this.#serialize(
      creds,
      signal,
      (info) => auth.checkRange(info, req.key, req.rangeEnd),
      () => this.#range(req),
    );
  }

  async put(req: PutRequest, signal?: Cancellation, creds?: Credentials): Promise<PutResponse> {
    await this.#admit(costOfPut(req));
    return this.#write<PutResponse>({ put: req }, signal, creds);
  }

  async deleteRange(req: DeleteRangeRequest, signal?: Cancellation, creds?: Credentials): Promise<DeleteRangeResponse> {
    return this.#write<DeleteRangeResponse>({ deleteRange: req }, signal, creds);
  }

  async txn(req: TxnRequest, signal?: Cancellation, creds?: Credentials): Promise<TxnResponse> {
    await this.#admit(costOfTxn(req));
    // A txn that only reads is served like a range (etcd does the same).
    if (ops.isReadOnlyTxn(req)) {
      if (signal?.aborted === true) throw canceledByClient();
      if (!ops.isSerializableTxn(req)) await this.#deps.reads.barrier(signal);
      const auth = this.#auth;
      if (!auth.enabled) return this.#readTxn(req);
      return this.#serialize(
        creds,
        signal,
        (info) => auth.checkTxn(info, req),
        () => this.#readTxn(req),
      );
    }
    return this.#write<TxnResponse>({ txn: req }, signal, creds);
  }

  async compact(req: CompactionRequest, signal?: Cancellation, creds?: Credentials): Promise<CompactionResponse> {
    const result = await this.#deps.proposer.propose({ compaction: req }, signal, await this.#caller(creds, signal));
    if (!result.ok) throw result.error;
    if (req.physical && result.physical) await result.physical;
    const resp = result.response as CompactionResponse;
    resp.header = this.#fill(resp.header);
    return resp;
  }

  /** The quota check etcd makes before proposing a write. */
  async #admit(cost: number): Promise<void> {
    if (this.#deps.quota.available(cost)) return;
    await this.#deps.raiseNoSpace();
    throw new EtcdError("NoSpace");
  }

  #range(req: RangeRequest): RangeResponse {
    const resp = ops.range(this.#deps.store, req);
    resp.header = this.#fill(resp.header);
    return resp;
  }

  #readTxn(req: TxnRequest): TxnResponse {
    const resp = ops.txn(this.#deps.store, req, ops.NO_LEASES);
    resp.header = this.#fill(resp.header);
    return resp;
  }

  /**
   * etcd's doSerialize, for a read with auth on: resolve the caller, check
   * it, read; then refuse the answer if the auth store moved since the
   * caller was resolved (it could hold what a just-revoked permission no
   * longer allows).
   */
  async #serialize<T>(creds: Credentials | undefined, signal: Cancellation | undefined, check: (info: AuthInfo | undefined) => void, read: () => T): Promise<T> {
    const auth = this.#auth;
    const info = await auth.identify(creds, signal);
    check(info);
    const resp = read();
    if (info !== undefined && info.revision !== 0n && info.revision !== auth.revision) throw new EtcdError("AuthOldRevision");
    return resp;
  }

  async #write<T extends { header: ResponseHeader | undefined }>(body: RaftRequestBody, signal?: Cancellation, creds?: Credentials): Promise<T> {
    const info = this.#auth.enabled ? await this.#caller(creds, signal) : undefined;
    const result = await this.#deps.proposer.propose(body, signal, info);
    if (!result.ok) throw result.error;
    const resp = result.response as T;
    resp.header = this.#fill(resp.header);
    return resp;
  }

  /**
   * Who a write acts as, resolved before anything is proposed so an invalid
   * token is refused at once (the put path awaits it only with auth on).
   */
  #caller(creds: Credentials | undefined, signal: Cancellation | undefined): AuthInfo | undefined | Promise<AuthInfo | undefined> {
    return this.#auth.identify(creds, signal);
  }

  #fill(header: ResponseHeader | undefined): ResponseHeader {
    const revision = header?.revision;
    return this.#deps.header.header(revision !== undefined && revision !== 0n ? revision : undefined);
  }
}
