/**
 * `--initial-cluster` and the checks etcd makes before a member that has no
 * WAL yet bootstraps or joins (etcdserver/config.go VerifyBootstrap /
 * VerifyJoinExisting).
 *
 * The parse runs while reading the configuration. The two verify functions
 * depend on the data directory (etcd skips them when the member already has
 * a WAL, because the flags are then ignored), so the server calls them once
 * it knows. URLs are compared as text: etcd additionally resolves host names
 * when texts differ, which a pure function cannot do.
 * @module
 */
import type { EtcdConfig, InitialClusterMember } from "./config.js";
import { parseEtcdUrls } from "../../pkg/go-url.js";
import { goQuoteList } from "./go-value.js";

/**
 * Parses `name=url,name=url,...` as etcd's types.NewURLsMap: entries without
 * "=" have an empty URL (and so fail), empty entries are skipped, repeated
 * names collect their URLs (sorted). Throws with etcd's URL error text.
 */
export function parseInitialCluster(text: string): InitialClusterMember[] {
  const byName = new Map<string, string[]>();
  for (const entry of text.split(",")) {
    if (entry === "") continue;
    const eq = entry.indexOf("=");
    const name = eq < 0 ? entry : entry.slice(0, eq);
    const url = eq < 0 ? "" : entry.slice(eq + 1);
    const list = byName.get(name) ?? [];
    list.push(url);
    byName.set(name, list);
  }
  return [...byName].map(([name, urls]) => Object.freeze({ name, peerUrls: Object.freeze(parseEtcdUrls(urls.join(","))) }));
}

/** etcd's URLsMap.String(): `name=url` pairs, sorted, comma-joined. */
export function initialClusterString(members: readonly InitialClusterMember[]): string {
  const pairs: string[] = [];
  for (const m of members) for (const u of m.peerUrls) pairs.push(`${m.name}=${u.href}`);
  return pairs.sort().join(",");
}

/**
 * The member map bootstrap uses: with v2 or v3 discovery etcd starts from
 * just this member and its advertised peer URLs (discovery fills in the rest);
 * otherwise it is --initial-cluster. (DNS SRV discovery needs a lookup and is
 * left to the caller.)
 */
export function bootstrapMembers(config: EtcdConfig): readonly InitialClusterMember[] {
  if (config.discovery !== "" || config.discoveryEndpoints.length > 0) {
    return [{ name: config.name, peerUrls: config.initialAdvertisePeerUrls }];
  }
  return config.initialCluster;
}

function localMemberError(config: EtcdConfig): string | undefined {
  const local = bootstrapMembers(config).find((m) => m.name === config.name);
  if (local === undefined) return `couldn't find local name "${config.name}" in the initial cluster configuration`;
  return undefined;
}

function duplicateUrlError(config: EtcdConfig): string | undefined {
  const seen = new Set<string>();
  const members = bootstrapMembers(config);
  for (const m of members) {
    for (const u of m.peerUrls) {
      if (seen.has(u.href)) return `initial cluster ${initialClusterString(members)} has duplicate url`;
      seen.add(u.href);
    }
  }
  return undefined;
}

/** The advertised peer URLs must be exactly this member's URLs in --initial-cluster. */
function advertiseMatchError(config: EtcdConfig): string | undefined {
  const clusterUrls = (bootstrapMembers(config).find((m) => m.name === config.name)?.peerUrls ?? []).map((u) => u.href).sort();
  const advertised = config.initialAdvertisePeerUrls.map((u) => u.href).sort();
  let reason: string;
  if (advertised.length !== clusterUrls.length) {
    reason = `len(${goQuoteList(advertised)}) != len(${goQuoteList(clusterUrls)})`;
  } else {
    const i = advertised.findIndex((u, k) => u !== clusterUrls[k]);
    if (i < 0) return undefined;
    reason = `resolved urls: "${advertised[i]}" != "${clusterUrls[i]}"`;
  }
  const apSet = new Set(advertised);
  const clusterSet = new Set(clusterUrls);
  const onlyInCluster = clusterUrls.filter((u) => !apSet.has(u));
  if (onlyInCluster.length > 0) {
    const listed = onlyInCluster.map((u) => `${config.name}=${u}`).join(",");
    return `--initial-cluster has ${listed} but missing from --initial-advertise-peer-urls=${advertised.join(",")} (${reason})`;
  }
  const ownMap = advertised.map((u) => `${config.name}=${u}`).sort().join(",");
  const onlyAdvertised = advertised.filter((u) => !clusterSet.has(u));
  if (onlyAdvertised.length > 0) {
    return `--initial-advertise-peer-urls has ${onlyAdvertised.join(",")} but missing from --initial-cluster=${ownMap}`;
  }
  return `failed to resolve ${advertised.join(",")} to match --initial-cluster=${ownMap} (${reason})`;
}

/**
 * Checks for a member starting a new cluster without a WAL
 * (`--initial-cluster-state=new`). Returns etcd's error text, or undefined.
 */
export function verifyBootstrap(config: EtcdConfig): string | undefined {
  return (
    localMemberError(config) ??
    advertiseMatchError(config) ??
    duplicateUrlError(config) ??
    (bootstrapMembers(config).length === 0 && config.discovery === ""
      ? "initial cluster unset and no discovery URL found"
      : undefined)
  );
}

/**
 * Checks for a member joining an existing cluster without a WAL
 * (`--initial-cluster-state=existing`). Returns etcd's error text, or undefined.
 */
export function verifyJoinExisting(config: EtcdConfig): string | undefined {
  return (
    localMemberError(config) ??
    duplicateUrlError(config) ??
    (config.discovery !== "" ? "discovery URL should not be set when joining existing initial cluster" : undefined)
  );
}
