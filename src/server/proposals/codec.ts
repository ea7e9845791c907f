/**
 * The bytes of a replicated request. Client writes take a short path: the
 * request header (its id) and the one client request are written straight
 * into one buffer, without building the 35-field InternalRaftRequest first;
 * everything else goes through the generated encoder. Both produce the same
 * canonical protobuf: fields in number order does not matter to decoders,
 * but the header (field 100) comes first, which leadingRequestId relies on.
 * @module
 */
import type { AuthInfo } from "../../auth/index.js";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { InternalRaftRequest } from "../../gen/etcdserverpb/raft_internal.js";
import { CompactionRequest, DeleteRangeRequest, LeaseGrantRequest, LeaseRevokeRequest, PutRequest, RangeRequest, TxnRequest } from "../../gen/etcdserverpb/rpc.js";

/** What a proposal carries: any one request field of InternalRaftRequest. */
export type RaftRequestBody = Omit<Partial<InternalRaftRequest>, "header" | "ID">;

/** The request as this member keeps it until applied: the body plus its header. */
export type LocalRequest = RaftRequestBody & Pick<InternalRaftRequest, "header">;

interface Codec<T> {
  encode(message: T, writer: BinaryWriter): BinaryWriter;
}

/** Field number (as a length-delimited tag) and codec of the request fields that take the short path. */
const FAST: { [K in keyof RaftRequestBody]?: { tag: number; codec: Codec<NonNullable<RaftRequestBody[K]>> } } = {
  range: { tag: (3 << 3) | 2, codec: RangeRequest },
  put: { tag: (4 << 3) | 2, codec: PutRequest },
  deleteRange: { tag: (5 << 3) | 2, codec: DeleteRangeRequest },
  txn: { tag: (6 << 3) | 2, codec: TxnRequest },
  compaction: { tag: (7 << 3) | 2, codec: CompactionRequest },
  leaseGrant: { tag: (8 << 3) | 2, codec: LeaseGrantRequest },
  leaseRevoke: { tag: (9 << 3) | 2, codec: LeaseRevokeRequest },
};

/** Tag of InternalRaftRequest.header (field 100, length-delimited). */
const HEADER_TAG = (100 << 3) | 2;

const EMPTY_REQUEST: Readonly<InternalRaftRequest> = Object.freeze(InternalRaftRequest.create());

/**
 * The proposal of `body` under request id `id`; `auth` (who sends it) goes
 * into the header's username and auth revision, which applying checks.
 */
export function encodeProposal(id: bigint, body: RaftRequestBody, auth?: AuthInfo): { data: Buffer; local: LocalRequest } {
  const header = { ID: id, username: auth?.username ?? "", authRevision: auth?.revision ?? 0n };
  const keys = Object.keys(body) as (keyof RaftRequestBody)[];
  const key = keys.length === 1 ? keys[0]! : undefined;
  const fast = key === undefined ? undefined : FAST[key];
  let bytes: Uint8Array;
  if (fast !== undefined && key !== undefined) {
    const w = new BinaryWriter();
    w.uint32(HEADER_TAG).fork().uint32(8).uint64(id);
    // RequestHeader.username (2) and auth_revision (3), omitted when empty as the generated encoder does.
    if (header.username !== "") w.uint32((2 << 3) | 2).string(header.username);
    if (header.authRevision !== 0n) w.uint32(3 << 3).uint64(header.authRevision);
    w.join();
    (fast.codec as Codec<unknown>).encode(body[key], w.uint32(fast.tag).fork()).join();
    bytes = w.finish();
  } else {
    bytes = InternalRaftRequest.encode({ ...EMPTY_REQUEST, ...body, header }).finish();
  }
  // Wrap, do not copy.
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { data, local: { ...body, header } };
}
