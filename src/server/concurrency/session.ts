/**
 * The lease a lock or election request works under. etcd's services open a
 * clientv3 Session with the request's lease; a lease of 0 makes that session
 * grant a fresh lease with the default session TTL (60 s) that nobody keeps
 * alive. We do the same.
 * @module
 */
import type { Credentials, LeaseApi } from "../api.js";

/** clientv3/concurrency's defaultSessionTTL, in seconds. */
export const DEFAULT_SESSION_TTL = 60n;

/** The request's lease, or a fresh one granted as `creds`. */
export async function sessionLease(leases: Pick<LeaseApi, "grant">, lease: bigint, signal?: AbortSignal, creds?: Credentials): Promise<bigint> {
  if (lease !== 0n) return lease;
  const granted = await leases.grant({ ID: 0n, TTL: DEFAULT_SESSION_TTL }, signal, creds);
  return granted.ID;
}
