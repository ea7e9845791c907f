/**
 * Leases: the lessor (grant, revoke, renew, checkpoint, expiry on an
 * injected clock) and its persistence in the `lease` bucket. See README.md.
 * @module
 */

export {
  Lessor,
  MAX_LEASE_TTL,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_EXPIRED_RETRY_MS,
  DEFAULT_REVOKE_RATE,
  FOREVER_TTL_SECONDS,
  type LessorOptions,
  type LessorMetrics,
  type LeaseView,
  type RenewResult,
  type RenewFailure,
  type RangeDeleter,
  type TxnDelete,
  type Checkpointer,
} from "./lessor.js";
export { LeaseQueue, type QueuedLease } from "./lease-queue.js";
export { leaseKey, readLeases, putLease, deleteLease, type LeaseRecord } from "./lease-bucket.js";
