/**
 * Who is talking: the headers every peer request carries, and the checks a
 * member makes before it accepts a stream or a snapshot. A member of another
 * cluster (another --initial-cluster-token, or a data dir from elsewhere) and
 * a member that was removed are refused with a reason both sides log.
 * @module
 */

export const HEADER_CLUSTER_ID = "x-etcd-cluster-id";
export const HEADER_FROM = "x-server-from";
export const HEADER_TO = "x-raft-to";
export const HEADER_SERVER_VERSION = "x-server-version";
export const HEADER_PEER_URLS = "x-peerurls";

/** Why a request from a peer was refused; also what the sender learns from the answer. */
export type RefusalKind =
  /** The sender belongs to another cluster. */
  | "cluster-id-mismatch"
  /** The sender was removed from this cluster and may never rejoin under its id. */
  | "member-removed"
  /** The sender is not a member this member knows (yet: it may not have applied the sender's addition). */
  | "unknown-member"
  /** The request was meant for another member (the URL points at the wrong process). */
  | "recipient-mismatch"
  /** Headers missing or unparsable. */
  | "bad-request";

export interface Refusal {
  readonly kind: RefusalKind;
  /** HTTP status of the answer: 412, 410, 404, 412, 400. */
  readonly status: number;
  /** Text of the answer body, readable by an operator. */
  readonly message: string;
}

/** Ids travel as lowercase hex, as etcd prints them. */
export function idToHex(id: bigint): string {
  return id.toString(16);
}

/** Parses an id written as hex; undefined when it is not a valid 64-bit id. */
export function idFromHex(text: string | undefined): bigint | undefined {
  if (text === undefined || !/^[0-9a-fA-F]{1,16}$/.test(text)) return undefined;
  return BigInt(`0x${text}`);
}

export interface LocalIdentity {
  readonly memberId: bigint;
  readonly clusterId: bigint;
}

/** Headers a member sends with every request to peer `to`. */
export function outgoingHeaders(local: LocalIdentity, to: bigint, serverVersion: string, peerUrls: readonly string[]): Record<string, string> {
  return {
    [HEADER_CLUSTER_ID]: idToHex(local.clusterId),
    [HEADER_FROM]: idToHex(local.memberId),
    [HEADER_TO]: idToHex(to),
    [HEADER_SERVER_VERSION]: serverVersion,
    [HEADER_PEER_URLS]: peerUrls.join(","),
  };
}

type HeaderBag = Record<string, string | string[] | undefined>;

function single(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** What the identity check asks of the membership. */
export interface MembershipView {
  isRemoved(id: bigint): boolean;
  /** True for a current member other than this one (a peer of the transport). */
  isKnown(id: bigint): boolean;
}

/**
 * Checks an incoming request's identity headers. Returns the sender's id, or
 * the refusal to answer with. Order matters (it is etcd's): another cluster
 * first (the most useful message to an operator), then removal, then a
 * sender we do not know, then a wrong recipient.
 */
export function checkIncoming(
  headers: HeaderBag,
  local: LocalIdentity,
  membership: MembershipView,
): { ok: true; from: bigint } | { ok: false; refusal: Refusal } {
  const clusterText = single(headers, HEADER_CLUSTER_ID);
  const from = idFromHex(single(headers, HEADER_FROM));
  const to = idFromHex(single(headers, HEADER_TO));
  if (clusterText === undefined || from === undefined || to === undefined) {
    return { ok: false, refusal: { kind: "bad-request", status: 400, message: "missing or malformed member identity headers" } };
  }
  const cluster = idFromHex(clusterText);
  if (cluster !== local.clusterId) {
    return {
      ok: false,
      refusal: {
        kind: "cluster-id-mismatch",
        status: 412,
        message: `cluster ID mismatch: request from member ${idToHex(from)} of cluster ${clusterText}, this member ${idToHex(local.memberId)} is in cluster ${idToHex(local.clusterId)}`,
      },
    };
  }
  if (membership.isRemoved(from)) {
    return { ok: false, refusal: { kind: "member-removed", status: 410, message: `member ${idToHex(from)} was removed from the cluster` } };
  }
  if (!membership.isKnown(from)) {
    return {
      ok: false,
      refusal: { kind: "unknown-member", status: 404, message: `error sender not found: member ${idToHex(from)} is not in cluster ${idToHex(local.clusterId)} as member ${idToHex(local.memberId)} knows it` },
    };
  }
  if (to !== local.memberId) {
    return {
      ok: false,
      refusal: { kind: "recipient-mismatch", status: 412, message: `request meant for member ${idToHex(to)} reached member ${idToHex(local.memberId)}` },
    };
  }
  return { ok: true, from };
}

/** Maps a refusal answer (status + body) back to its kind on the sending side. */
export function refusalFromAnswer(status: number, body: string): RefusalKind | undefined {
  if (status === 410) return "member-removed";
  if (status === 404 && body.startsWith("error sender not found")) return "unknown-member";
  if (status === 412) return body.startsWith("cluster ID mismatch") ? "cluster-id-mismatch" : "recipient-mismatch";
  if (status === 400) return "bad-request";
  return undefined;
}
