/**
 * How etcd derives identities, reproduced so a cluster started with the same
 * flags gets the same ids as real etcd (clients and operators see them in
 * every response header and in `member list`).
 * @module
 */
import { createHash } from "node:crypto";

/**
 * A member's id: the first 8 bytes (big-endian) of SHA-1 over its sorted peer
 * URLs concatenated, then the cluster token, then — for members added at run
 * time — the Unix time in seconds as decimal text.
 */
export function memberIdFor(peerUrls: readonly string[], clusterToken: string, addedAtUnixSeconds?: number): bigint {
  const hash = createHash("sha1");
  for (const url of [...peerUrls].sort()) hash.update(url);
  hash.update(clusterToken);
  if (addedAtUnixSeconds !== undefined) hash.update(String(Math.trunc(addedAtUnixSeconds)));
  return hash.digest().readBigUInt64BE(0);
}

/** The cluster id: first 8 bytes of SHA-1 over the member ids, ascending, 8 bytes big-endian each. */
export function clusterIdFor(memberIds: readonly bigint[]): bigint {
  const sorted = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const bytes = Buffer.alloc(8 * sorted.length);
  sorted.forEach((id, i) => bytes.writeBigUInt64BE(id, 8 * i));
  return createHash("sha1").update(bytes).digest().readBigUInt64BE(0);
}

/** Ids print as lowercase hex without padding, as etcd's types.ID does. */
export function formatId(id: bigint): string {
  return id.toString(16);
}
