/**
 * Flags that parse and type-check but whose behaviour is not built yet.
 * Setting one of them to something other than its default produces a
 * warning naming it, so nobody believes a setting took effect when it did
 * not. **Delete a name from this list in the change that implements it.**
 *
 * Everything not listed is either implemented by the Foundation server or has
 * no effect in etcd 3.6 itself (those warn through the deprecation notes in
 * validate.ts instead).
 * @module
 */

export const UNIMPLEMENTED_FLAGS: ReadonlySet<string> = new Set([
  // member / raft
  "socket-reuse-port",
  "socket-reuse-address",
  "raft-read-timeout",
  "raft-write-timeout",
  "snapshot-catchup-entries",
  "initial-election-tick-advance",
  "unsafe-no-fsync",
  "backend-bbolt-freelist-type",
  // discovery
  "discovery",
  "discovery-fallback",
  "discovery-proxy",
  "discovery-srv",
  "discovery-srv-name",
  "discovery-endpoints",
  "discovery-token",
  "discovery-dial-timeout",
  "discovery-request-timeout",
  "discovery-keepalive-time",
  "discovery-keepalive-timeout",
  "discovery-insecure-transport",
  "discovery-insecure-skip-tls-verify",
  "discovery-cert",
  "discovery-key",
  "discovery-cacert",
  "discovery-user",
  "discovery-password",
  // compaction and background checks
  "compaction-sleep-interval",
  "warning-apply-duration",
  "warning-unary-request-duration",
  "downgrade-check-time",
  "memory-mlock",
  "feature-gates",
  // monitoring, tracing, logging extras
  "enable-pprof",
  "metrics",
  "enable-distributed-tracing",
  "distributed-tracing-address",
  "distributed-tracing-service-name",
  "distributed-tracing-instance-id",
  "distributed-tracing-sampling-rate",
  "log-format",
  "enable-log-rotation",
  "log-rotation-config-json",
]);
