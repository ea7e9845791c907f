/**
 * The cluster a restored member belongs to, from the command line alone
 * (etcd's NewClusterFromURLsMap after VerifyBootstrap): every member's id
 * derived from its peer URLs and the cluster token, the cluster id from the
 * member ids — the same ids `etcd` computes when it starts a new cluster
 * with the same flags, so the restored members recognise each other.
 * @module
 */
import type { ConfState } from "../../gen/raftpb/raft.js";
import type { InitialMember } from "../config.js";
import { clusterIdFor, memberIdFor } from "../membership/ids.js";
import type { Member } from "../membership/member.js";

export interface NewCluster {
  /** Ascending by id (the order etcd's MemberIDs gives, and so the order of the conf-change entries). */
  readonly members: readonly Member[];
  readonly local: Member;
  readonly clusterId: bigint;
}

/** A command line that does not describe a cluster this member can join; the message is etcd's. */
export class NewClusterError extends Error {
  override readonly name = "NewClusterError";
}

export function planNewCluster(options: {
  name: string;
  initialCluster: readonly InitialMember[];
  initialClusterToken: string;
  initialAdvertisePeerUrls: readonly string[];
}): NewCluster {
  const { name, initialCluster } = options;
  const mine = initialCluster.find((m) => m.name === name);
  if (mine === undefined) throw new NewClusterError(`couldn't find local name "${name}" in the initial cluster configuration`);
  checkAdvertiseMatches(name, mine.peerUrls, options.initialAdvertisePeerUrls);
  const seen = new Set<string>();
  for (const url of initialCluster.flatMap((m) => m.peerUrls)) {
    if (seen.has(url)) throw new NewClusterError(`initial cluster ${formatUrlsMap(initialCluster)} has duplicate url`);
    seen.add(url);
  }
  const members: Member[] = initialCluster
    .map((m) => ({ id: memberIdFor(m.peerUrls, options.initialClusterToken), name: m.name, peerUrls: [...m.peerUrls].sort(), clientUrls: [], isLearner: false }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const local = members.find((m) => m.name === name)!;
  return { members, local, clusterId: clusterIdFor(members.map((m) => m.id)) };
}

/** Every member a voter: a restored cluster starts without learners, as etcd's restore does. */
export function confStateOf(cluster: NewCluster): ConfState {
  return { voters: cluster.members.map((m) => m.id), learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
}

/** etcd's advertiseMatchesCluster, comparing the URLs as written (no DNS resolution). */
function checkAdvertiseMatches(name: string, clusterUrls: readonly string[], advertised: readonly string[]): void {
  const missingFromAdvertised = clusterUrls.filter((u) => !advertised.includes(u));
  if (missingFromAdvertised.length > 0) {
    const have = missingFromAdvertised.map((u) => `${name}=${u}`).join(",");
    throw new NewClusterError(`--initial-cluster has ${have} but missing from --initial-advertise-peer-urls=${[...advertised].sort().join(",")}`);
  }
  const missingFromCluster = advertised.filter((u) => !clusterUrls.includes(u));
  if (missingFromCluster.length > 0) {
    throw new NewClusterError(`--initial-advertise-peer-urls has ${missingFromCluster.join(",")} but missing from --initial-cluster=${[...advertised].sort().map((u) => `${name}=${u}`).join(",")}`);
  }
}

/** types.URLsMap.String(): name=url pairs sorted, comma-separated. */
function formatUrlsMap(cluster: readonly InitialMember[]): string {
  return cluster
    .flatMap((m) => m.peerUrls.map((u) => `${m.name}=${u}`))
    .sort()
    .join(",");
}
