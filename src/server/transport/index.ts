/**
 * The peer transport's public surface. See README.md.
 * @module
 */
export { PeerTransport } from "./transport.js";
export type { BoundAddress } from "./peer-listener.js";
export {
  DEFAULT_LIMITS,
  maxRaftMessageBytes,
  type PeerStatus,
  type SnapshotSource,
  type TransportHandlers,
  type TransportLimits,
  type PeerTlsOptions,
  type TransportOptions,
} from "./types.js";
export { checkPeerUrlSchemes, PeerUrlSchemeError } from "./peer-url-schemes.js";
export { metricsSinkFrom, nullMetricsSink, type TransportMetricsSink } from "./metrics-sink.js";
export { decodeMembersJson, encodeMembersJson, fetchClusterMembers, type RemoteCluster } from "./members-json.js";
export type { RefusalKind } from "./identity.js";
export {
  COMPACTED_TEXT,
  CLUSTER_ID_MISMATCH_TEXT,
  decodeHashKVResponse,
  encodeHashKVRequest,
  FUTURE_REV_TEXT,
  HASHKV_PATH,
  type PeerHashKV,
} from "./hashkv-endpoint.js";
