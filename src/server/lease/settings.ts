/**
 * Lease settings the server derives from its configuration, with etcd's
 * numbers: the minimum TTL (ceil of 1.5 election timeouts, counted in whole
 * ticks), the extension a new leader gives every lease (one election
 * timeout), and the rates and batch sizes of the leader's lease duties.
 * @module
 */
import { electionTicks, type LeaseSettings } from "../config.js";

export type { LeaseSettings } from "../config.js";

export const DEFAULT_LEASE_SETTINGS: LeaseSettings = { checkpoint: false, checkpointPersist: false };

/** The lessor's expiry check runs this often (etcd's runLoop). */
export const LEASE_TICK_MS = 500;
/** Leases revoked per second at most (etcd's leaseRevokeRate); half of it per tick. */
export const LEASE_REVOKE_RATE = 1000;
/** Checkpoint batches per second at most (etcd's leaseCheckpointRate); half of it per tick. */
export const LEASE_CHECKPOINT_RATE = 1000;
/** Checkpoints per LeaseCheckpointRequest (etcd's maxLeaseCheckpointBatchSize). */
export const MAX_CHECKPOINT_BATCH = 1000;
/** Revocations in flight at once (etcd's maxPendingRevokes). */
export const MAX_PENDING_REVOKES = 16;
/** Expired leases waiting to be proposed, at most (etcd: 16 batches in its channel). */
export const MAX_QUEUED_REVOKES = 16 * (LEASE_REVOKE_RATE / 2);
/** How long a renewal waits for the applied index to reach the commit index (etcd's applyTimeout). */
export const APPLY_WAIT_TIMEOUT_MS = 1000;

/** The election timeout as etcd uses it for leases: ticks × heartbeat. */
export function leaseExtensionMs(heartbeatIntervalMs: number, electionTimeoutMs: number): number {
  return electionTicks(heartbeatIntervalMs, electionTimeoutMs) * heartbeatIntervalMs;
}

/** ceil(1.5 election timeouts) in seconds: 2 s with the default 100 ms / 1000 ms. */
export function minLeaseTtlSeconds(heartbeatIntervalMs: number, electionTimeoutMs: number): number {
  const ticks = Math.floor((3 * electionTicks(heartbeatIntervalMs, electionTimeoutMs)) / 2);
  return Math.ceil((ticks * heartbeatIntervalMs) / 1000);
}
