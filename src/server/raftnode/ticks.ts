/**
 * Milliseconds to raft ticks, in one place. The server ticks raft once per
 * heartbeat interval, so a heartbeat is one tick and an election timeout is
 * the whole heartbeats it holds — etcd's `ElectionTicks = ElectionMs / TickMs`
 * by integer division. Raft's election tick and the lessor's numbers (the
 * minimum TTL, the extension a new leader grants) both come from here, so
 * they can never disagree about how long an election takes.
 * @module
 */

/** Whole heartbeats in the election timeout (etcd's ElectionTicks). */
export function electionTicks(heartbeatIntervalMs: number, electionTimeoutMs: number): number {
  return Math.floor(electionTimeoutMs / heartbeatIntervalMs);
}

/** Ticks that cover `ms`, rounded up (a timeout counted in ticks never fires early). */
export function ticksCovering(ms: number, heartbeatIntervalMs: number): number {
  return Math.ceil(ms / heartbeatIntervalMs);
}
