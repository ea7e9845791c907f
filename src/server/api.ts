/**
 * The narrow interfaces the API layer sees. Services in src/api depend on
 * these, never on the server's internals, so a handler can be tested with a
 * fake and the server can change shape without touching the wire layer.
 * Every method resolves with a complete response (header included) or
 * rejects with an EtcdError.
 * @module
 */
import type {
  AlarmRequest,
  AlarmResponse,
  DefragmentResponse,
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  HashKVRequest,
  HashKVResponse,
  HashResponse,
  MemberListRequest,
  MemberListResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  ResponseHeader,
  StatusResponse,
  TxnRequest,
  TxnResponse,
} from "../gen/etcdserverpb/rpc.js";

export interface KvApi {
  range(req: RangeRequest, signal?: AbortSignal): Promise<RangeResponse>;
  put(req: PutRequest, signal?: AbortSignal): Promise<PutResponse>;
  deleteRange(req: DeleteRangeRequest, signal?: AbortSignal): Promise<DeleteRangeResponse>;
  txn(req: TxnRequest, signal?: AbortSignal): Promise<TxnResponse>;
  compact(req: CompactionRequest, signal?: AbortSignal): Promise<CompactionResponse>;
}

export interface MaintenanceApi {
  alarm(req: AlarmRequest, signal?: AbortSignal): Promise<AlarmResponse>;
  defragment(): Promise<DefragmentResponse>;
  status(): Promise<StatusResponse>;
  hash(): Promise<HashResponse>;
  hashKV(req: HashKVRequest): Promise<HashKVResponse>;
}

export interface ClusterApi {
  memberList(req: MemberListRequest, signal?: AbortSignal): Promise<MemberListResponse>;
}

/** What every response header is built from. */
export interface HeaderSource {
  header(revision?: bigint): ResponseHeader;
  /** False while the member knows no leader (the `hasleader` metadata check). */
  hasLeader(): boolean;
}

/** Request limits the API edge enforces before anything reaches the server. */
export interface ApiLimits {
  maxTxnOps: number;
  maxRequestBytes: number;
}
