/**
 * The KV request paths: reads are served from the local store (after a
 * ReadIndex barrier unless serializable); writes are proposed and answered
 * with their apply result.
 * @module
 */
import type { AuthGate } from "../auth/gate.js";
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
import type { Cancellation, HeaderSource, KvApi } from "../api.js";
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

  constructor(deps: KvDeps) {
    this.#deps = deps;
  }

  async range(req: RangeRequest, signal?: Cancellation): Promise<RangeResponse> {
    // A client that already gave up gets no ReadIndex round and no store read (a large range is costly).
    if (signal?.aborted === true) throw canceledByClient();
    if (!req.serializable) await this.#deps.reads.barrier(signal);
    const resp = ops.range(this.#deps.store, req);
    resp.header = this.#fill(resp.header);
    return resp;
  }

  async put(req: PutRequest, signal?: Cancellation): Promise<PutResponse> {
    await this.#admit(costOfPut(req));
    return this.#write<PutResponse>({ put: req }, signal);
  }

  async deleteRange(req: DeleteRangeRequest, signal?: Cancellation): Promise<DeleteRangeResponse> {
    return this.#write<DeleteRangeResponse>({ deleteRange: req }, signal);
  }

  async txn(req: TxnRequest, signal?: Cancellation): Promise<TxnResponse> {
    await this.#admit(costOfTxn(req));
    // A txn that only reads is served like a range (etcd does the same).
    if (ops.isReadOnlyTxn(req)) {
      if (signal?.aborted === true) throw canceledByClient();
      if (!ops.isSerializableTxn(req)) await this.#deps.reads.barrier(signal);
      const resp = ops.txn(this.#deps.store, req, ops.NO_LEASES);
      resp.header = this.#fill(resp.header);
      return resp;
    }
    return this.#write<TxnResponse>({ txn: req }, signal);
  }

  async compact(req: CompactionRequest, signal?: Cancellation): Promise<CompactionResponse> {
    const result = await this.#deps.proposer.propose({ compaction: req }, signal);
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

  async #write<T extends { header: ResponseHeader | undefined }>(body: RaftRequestBody, signal?: Cancellation): Promise<T> {
    const result = await this.#deps.proposer.propose(body, signal);
    if (!result.ok) throw result.error;
    const resp = result.response as T;
    resp.header = this.#fill(resp.header);
    return resp;
  }

  #fill(header: ResponseHeader | undefined): ResponseHeader {
    const revision = header?.revision;
    return this.#deps.header.header(revision !== undefined && revision !== 0n ? revision : undefined);
  }
}
