/**
 * The etcd server: owns a member's running parts — built by
 * {@link composeServer} — starts them in order, and stops them. It exposes
 * itself to the API layer only through the narrow interfaces of api.ts.
 * @module
 */
import { AlarmType, type AlarmMember, type ResponseHeader } from "../gen/etcdserverpb/rpc.js";
import { EtcdError } from "../pkg/errors.js";
import type { AuthApi, ClusterApi, ElectionApi, HeaderSource, KvApi, LeaseApi, LockApi, MaintenanceApi } from "./api.js";
import { bootstrap } from "./bootstrap/bootstrap.js";
import { composeServer, type ComposedServer, type ServerDeps } from "./compose.js";
import { DEFAULT_AUTH_SETTINGS, type ServerConfig } from "./config.js";
import { buildAuthTokens } from "./auth/tokens.js";
import { isSingleVoter } from "./raftnode/node.js";
import { checkPeerUrlSchemes } from "./transport/index.js";
import type { WatchApi } from "./watch/api.js";

export type { ServerDeps } from "./compose.js";

export class EtcdServer implements HeaderSource {
  readonly kv: KvApi;
  readonly maintenance: MaintenanceApi;
  readonly cluster: ClusterApi;
  readonly lease: LeaseApi;
  readonly lock: LockApi;
  readonly election: ElectionApi;
  readonly auth: AuthApi;
  readonly watch: WatchApi;
  readonly memberId: bigint;
  readonly clusterId: bigint;
  /** Settles with the error that stopped the server from outside (disk failure …). */
  readonly fatal: Promise<Error>;
  /** Settles when this member learns it was removed from the cluster (it then stops, as etcd does). */
  readonly removed: Promise<void>;

  readonly #parts: ComposedServer;
  #stopped = false;

  private constructor(parts: ComposedServer) {
    this.#parts = parts;
    this.kv = parts.api.kv;
    this.maintenance = parts.api.maintenance;
    this.cluster = parts.api.cluster;
    this.lease = parts.api.lease;
    this.lock = parts.api.lock;
    this.election = parts.api.election;
    this.auth = parts.api.auth;
    this.watch = parts.watch;
    this.memberId = parts.memberId;
    this.clusterId = parts.clusterId;
    this.fatal = parts.fatal;
    this.removed = parts.removal.removed;
  }

  /** Opens (or creates) the member's data and brings it up to serving: leader known, attributes published. */
  static async start(config: ServerConfig, deps: ServerDeps): Promise<EtcdServer> {
    const metrics = deps.metrics;
    const hooks = metrics === undefined ? {} : { onFsync: (s: number) => metrics.walFsyncSeconds.observe(s), onBackendCommit: (s: number) => metrics.backendCommitSeconds.observe(s), onBackendDefrag: (s: number) => metrics.backendDefragSeconds.observe(s) };
    // Before the data dir is touched, as etcd refuses its peer listeners before it opens the data.
    checkPeerUrlSchemes(config.listenPeerUrls, config.peerTls !== undefined);
    // Bad JWT options or key files (AuthConfigError) stop the member before its data is created or opened.
    const tokens = buildAuthTokens(config.auth ?? DEFAULT_AUTH_SETTINGS, deps.clock, deps.logger.child({ component: "auth" }));
    const boot = await bootstrap(config, deps.logger, hooks);
    const server = new EtcdServer(composeServer(config, deps, boot, tokens));
    try {
      // A restarted member compares its data with its peers' before it serves anything (etcd's InitialCorruptCheck).
      if (boot.restored !== undefined && server.#parts.corruption.initialCheckEnabled) await server.#parts.corruption.checker.initialCheck();
      await server.#run();
    } catch (err) {
      // e.g. the peer port is taken: release everything, or timers keep the process alive.
      await server.stop();
      throw err;
    }
    return server;
  }

  header(revision?: bigint): ResponseHeader {
    return this.#parts.header.header(revision);
  }

  hasLeader(): boolean {
    return this.#parts.header.hasLeader();
  }

  isLearner(): boolean {
    return this.#parts.header.isLearner();
  }

  onLeaderLost(listener: () => void): () => void {
    return this.#parts.header.onLeaderLost(listener);
  }

  /** Alarms raised in the cluster, as this member has applied them (no raft round). */
  alarms(): AlarmMember[] {
    return this.#parts.alarms.get(AlarmType.NONE);
  }

  /** The agreed cluster version ("3.6.0"), undefined until set. */
  clusterVersion(): string | undefined {
    return this.#parts.membership.clusterVersion;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const p = this.#parts;
    p.ticker.stop();
    p.compactor?.stop();
    p.corruption.stop();
    p.removal.stop();
    p.publisher.stop();
    p.leadership.stop();
    await p.peers.stop();
    p.forwarder.close();
    p.watch.stop();
    p.leases.stop();
    await p.driver.stop();
    await p.snapshots.idle();
    p.waits.cancelAll(new EtcdError("Stopped"));
    p.reads.failAll(new EtcdError("Stopped"));
    await p.hasher.close();
    await p.store.close();
    await p.boot.backend.close();
    await p.boot.wal.close();
  }

  /** Starts the periodic duties and the peers, waits for a leader, then publishes this member. */
  async #run(): Promise<void> {
    const p = this.#parts;
    p.ticker.start();
    p.compactor?.start();
    p.watch.start();
    await p.peers.start();
    p.peers.sync(p.knownMembers);
    p.driver.wake();
    // A single voter need not wait an election timeout to find out nobody else
    // is there; it campaigns once its committed conf changes are applied.
    if (isSingleVoter(p.raft)) {
      await p.applied.wait(p.raft.status().hardState.commit);
      p.raft.campaign();
      p.driver.wake();
    }
    await p.leadership.whenLeaderKnown();
    await p.publisher.publish();
  }
}
