/**
 * The lock and election services' server side. See README.md.
 * @module
 */
import type { AuthGate } from "../auth/gate.js";
import type { Logger } from "../../pkg/logger.js";
import type { KVStore } from "../../storage/mvcc/index.js";
import type { ElectionApi, HeaderSource, LeaseApi, LockApi } from "../api.js";
import { KeyEvents } from "./key-events.js";
import type { WatchApi } from "../watch/api.js";
import { ElectionRequests } from "./election-requests.js";
import { LocalView, type ConcurrencyKv } from "./kv-ops.js";
import { LockRequests } from "./lock-requests.js";

export { KeyEvents } from "./key-events.js";
export { LockRequests, type ConcurrencyDeps } from "./lock-requests.js";
export { ElectionRequests, type ElectionDeps } from "./election-requests.js";
export { LocalView, leaseHex, sessionKey, type ConcurrencyKv } from "./kv-ops.js";
export { DEFAULT_SESSION_TTL } from "./session.js";

export interface ServerConcurrencyDeps {
  /**
   * The server's gate. Not asked here: the services pass their caller's
   * credentials to every KV, lease and watch call, and those paths check
   * them (so a lock or election is allowed exactly what its caller is).
   */
  auth?: AuthGate;
  /** The server's watch sessions: waiters watch the keys they wait for. */
  watch: WatchApi;
  kv: ConcurrencyKv;
  leases: Pick<LeaseApi, "grant">;
  store: KVStore;
  header: HeaderSource;
  logger: Logger;
}

/** Lock and Election request paths over the server's KV and Lease paths. */
export class ServerConcurrency {
  readonly lock: LockApi;
  readonly election: ElectionApi;

  constructor(deps: ServerConcurrencyDeps) {
    const common = { kv: deps.kv, events: new KeyEvents(deps.watch), leases: deps.leases, logger: deps.logger };
    this.lock = new LockRequests(common);
    this.election = new ElectionRequests({ ...common, local: new LocalView(deps.store), header: deps.header });
  }
}
