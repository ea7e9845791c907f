/**
 * The etcd server: composes storage, the raft log, the apply loop and the
 * request paths, and owns the server's timers (raft ticks, backend commits).
 * It exposes itself to the API layer only through the narrow interfaces of
 * api.ts.
 * @module
 */
import { AlarmRequest_AlarmAction, AlarmType, type ResponseHeader } from "../gen/etcdserverpb/rpc.js";
import { ConfChangeType, type ConfChange, type ConfState, type HardState } from "../gen/raftpb/raft.js";
import type { Clock } from "../pkg/clock.js";
import { EtcdError } from "../pkg/errors.js";
import { IdGenerator } from "../pkg/id-generator.js";
import type { Logger } from "../pkg/logger.js";
import type { Random } from "../pkg/random.js";
import { WaitRegistry } from "../pkg/wait.js";
import { KVStore } from "../storage/mvcc/index.js";
import { CLUSTER_VERSION } from "../version.js";
import type { ClusterApi, HeaderSource, KvApi, MaintenanceApi } from "./api.js";
import type { LeaseApi } from "./api.js";
import { LEASE_TICK_MS, type LeaseSettings } from "./lease/settings.js";
import { ServerLeases } from "./lease/wiring.js";
import { ServerConcurrency } from "./concurrency/index.js";
import type { ElectionApi, LockApi } from "./api.js";
import { AlarmStore } from "./maintenance/alarms.js";
import { AppliedIndex } from "./apply/applied-index.js";
import type { ApplyResult } from "./apply/apply-result.js";
import { Applier } from "./apply/applier.js";
import { dispatch } from "./apply/dispatch.js";
import { bootstrap, confChangeContext, snapDir, type Bootstrapped } from "./bootstrap/bootstrap.js";
import { ClusterRequests } from "./membership/cluster-requests.js";
import {
  DEFAULT_BATCH_INTERVAL_MS,
  DEFAULT_COMPACTION_BATCH_LIMIT,
  DEFAULT_QUOTA_BYTES,
  requestTimeoutMs,
  type ServerConfig,
} from "./config.js";
import { KvRequests } from "./txn/kv-requests.js";
import { MaintenanceRequests } from "./maintenance/requests.js";
import { decodeConfChangeContext, decodeMember } from "./membership/member.js";
import { MembershipStore } from "./membership/membership-store.js";
import { loadConfState, saveConfState } from "./membership/conf-state.js";
import { formatId } from "./membership/ids.js";
import { Proposer } from "./proposals/proposer.js";
import { Quota } from "./maintenance/quota.js";
import { RaftDriver } from "./raftnode/driver.js";
import { RaftLog } from "./raftnode/log.js";
import { ProposalDroppedError } from "../raft/index.js";
import { buildRaftNode, isSingleVoter, RaftRole, type RawNode, type SoftState } from "./raftnode/node.js";
import { LinearizableReads } from "./proposals/read-index.js";
import { SnapshotScheduler } from "./snapshot/scheduler.js";
import type { ServerMetrics } from "./metrics/metrics.js";
import { lessorMetrics, ServerInstruments, watchGauges } from "./metrics/wiring.js";
import type { AlarmMember } from "../gen/etcdserverpb/rpc.js";
import type { WatchApi } from "./watch/api.js";
import { WatchHub } from "./watch/hub.js";
import { ServerPeers } from "./transport/peers.js";
import { LeaderClient } from "./transport/leader-client.js";
import { SERVER_VERSION } from "../version.js";
import type { Snapshot } from "../gen/raftpb/raft.js";

export interface ServerDeps {
  logger: Logger;
  clock: Clock;
  /** Seeds raft's randomized election timeouts. */
  random: Random;
  /** Lease checkpoint settings (flags / feature gates); default off. */
  lease?: LeaseSettings;
  /** Where the server reports its metrics (etcd's names); none when absent. */
  metrics?: ServerMetrics;
  /** Watch settings: --experimental-watch-progress-notify-interval (ms; 0 = 10 minutes). */
  watch?: { progressNotifyIntervalMs?: number };
}


/** Ticks without an answer before a ReadIndex round is re-sent (etcd retries every 500 ms). */
const READ_INDEX_RETRY_TICKS = 5;

export class EtcdServer implements HeaderSource {
  readonly kv: KvApi;
  readonly maintenance: MaintenanceApi;
  readonly cluster: ClusterApi;
  readonly lease: LeaseApi;
  readonly lock: LockApi;
  readonly election: ElectionApi;
  readonly watch: WatchApi;
  readonly memberId: bigint;
  readonly clusterId: bigint;
  /** Settles with the error that stopped the server from outside (disk failure …). */
  readonly fatal: Promise<Error>;
  /** Settles when this member learns it was removed from the cluster (it then stops, as etcd does). */
  readonly removed: Promise<void>;

  readonly #config: ServerConfig;
  readonly #logger: Logger;
  readonly #boot: Bootstrapped;
  readonly #store: KVStore;
  readonly #watch: WatchHub;
  readonly #leases: ServerLeases;
  readonly #membership: MembershipStore;
  readonly #alarms: AlarmStore;
  readonly #raft: RawNode;
  readonly #snapshots: SnapshotScheduler;
  #confState: ConfState = { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  readonly #driver: RaftDriver;
  readonly #applied: AppliedIndex;
  readonly #waits = new WaitRegistry<ApplyResult>();
  readonly #reads: LinearizableReads;
  readonly #proposer: Proposer;
  readonly #instruments: ServerInstruments | undefined;
  readonly #peers: ServerPeers;
  readonly #leaderClient: LeaderClient;
  #markRemoved!: () => void;
  #removedScheduled = false;
  #term = 0n;
  #lead = 0n;
  #commit = 0n;
  #timers: NodeJS.Timeout[] = [];
  #onLeader: (() => void)[] = [];
  #raiseFatal!: (err: Error) => void;
  #stopped = false;

  private constructor(config: ServerConfig, deps: ServerDeps, boot: Bootstrapped) {
    this.#config = config;
    this.#logger = deps.logger;
    this.#boot = boot;
    this.memberId = boot.memberId;
    this.clusterId = boot.clusterId;
    this.fatal = new Promise((resolve) => (this.#raiseFatal = resolve));
    this.removed = new Promise((resolve) => (this.#markRemoved = resolve));
    this.#leaderClient = new LeaderClient({
      leader: () => this.#lead,
      clientUrls: (id) => this.#membership.member(id)?.clientUrls ?? [],
    });

    // The lessor comes first: the store's restore re-attaches leased keys to it.
    this.#leases = new ServerLeases({
      ...(deps.lease !== undefined ? { settings: deps.lease } : {}),
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      electionTimeoutMs: config.electionTimeoutMs,
      requestTimeoutMs: requestTimeoutMs(config),
      memberId: boot.memberId,
      backend: boot.backend,
      clock: deps.clock,
      logger: deps.logger.child({ component: "lease" }),
      store: () => this.#store,
      propose: (body, signal) => this.#proposer.propose(body, signal),
      readBarrier: () => this.#reads.barrier(),
      header: this,
      committedIndex: () => this.#commit,
      appliedIndex: () => this.#applied.value,
      waitApplied: (index) => this.#applied.wait(index),
      quota: new Quota(config.quotaBackendBytes === 0 ? DEFAULT_QUOTA_BYTES : config.quotaBackendBytes, () => boot.backend.size()),
      raiseNoSpace: () => this.#raiseNoSpace(),
      clusterVersion: () => this.#membership.clusterVersion,
      ...(deps.metrics !== undefined ? { metrics: lessorMetrics(deps.metrics) } : {}),
      forwarder: this.#leaderClient,
    });
    this.lease = this.#leases.api;
    this.#store = new KVStore({
      backend: boot.backend,
      lessor: this.#leases.lessor,
      compactionBatchLimit: config.compactionBatchLimit || DEFAULT_COMPACTION_BATCH_LIMIT,
      logger: deps.logger.child({ component: "mvcc" }),
      onCommit: (events, rev) => this.#watch.notify(events, rev),
    });
    this.#watch = new WatchHub({
      source: this.#store,
      backend: boot.backend,
      header: (rev) => this.header(rev),
      clock: deps.clock,
      random: deps.random,
      maxRequestBytes: config.maxRequestBytes,
      progressNotifyIntervalMs: deps.watch?.progressNotifyIntervalMs ?? 0,
      ...(deps.metrics !== undefined ? { metrics: watchGauges(deps.metrics) } : {}),
      hasLeader: () => this.hasLeader(),
      electionTimeoutMs: config.electionTimeoutMs,
      logger: deps.logger.child({ component: "watch" }),
    });
    this.watch = this.#watch;
    this.#membership = new MembershipStore(boot.backend);
    this.#alarms = new AlarmStore(boot.backend);
    const applied = boot.cindex.get().index;
    this.#applied = new AppliedIndex(applied);

    const restored = boot.restored;
    const built = buildRaftNode({
      id: boot.memberId,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      electionTimeoutMs: config.electionTimeoutMs,
      preVote: config.preVote,
      random: deps.random,
      logger: deps.logger.child({ component: "raft" }),
      ...(restored ? { restored, applied: { index: applied, confState: loadConfState(boot.backend) } } : {}),
    });
    this.#raft = built.node;
    // A joining member starts with an empty log: the leader sends it everything.
    if (restored === undefined && boot.initialMembers.length > 0) {
      this.#raft.bootstrap(boot.initialMembers.map((m) => ({ id: m.id, context: confChangeContext(m) })));
    } else if (restored !== undefined) {
      this.#term = restored.hardState.term;
      this.#commit = restored.hardState.commit;
    }
    this.#confState = this.#raft.status().config;
    this.#snapshots = new SnapshotScheduler(
      {
        storage: built.storage,
        wal: boot.wal,
        snapshotter: boot.snapshotter,
        backend: boot.backend,
        confState: () => this.#confState,
        snapshotCount: BigInt(config.snapshotCount),
        maxSnapshots: config.maxSnapshots,
        maxWals: config.maxWals,
        logger: deps.logger.child({ component: "snapshot" }),
      },
      restored?.snapshot?.metadata?.index ?? 0n,
    );

    this.#peers = new ServerPeers({
      memberId: boot.memberId,
      clusterId: boot.clusterId,
      advertisePeerUrls: config.initialAdvertisePeerUrls,
      listenPeerUrls: config.listenPeerUrls,
      snapDir: snapDir(config.dataDir),
      serverVersion: SERVER_VERSION,
      raft: this.#raft,
      wake: () => this.#driver.wake(),
      membership: this.#membership,
      backend: boot.backend,
      termAt: (index) => built.storage.term(index),
      onRemoved: () => this.#onRemoved(),
      clock: deps.clock,
      random: deps.random,
      logger: deps.logger.child({ component: "peers" }),
      ...(deps.metrics !== undefined ? { metrics: deps.metrics } : {}),
    });

    const applier = new Applier({
      cindex: boot.cindex,
      waits: this.#waits,
      applied: this.#applied,
      dispatch: (req) => dispatch({ kv: this.#store, leases: this.#leases.lessor, lessor: this.#leases.lessor, membership: this.#membership, alarms: this.#alarms }, req),
      confChange: (cc) => this.#applyConfChange(cc),
      localRequest: (id) => this.#proposer.takeLocal(id),
      logger: deps.logger,
    });
    const lastDurable = restored?.entries.length ? restored.entries[restored.entries.length - 1]!.Index : (restored?.snapshot?.metadata?.index ?? 0n);
    this.#driver = new RaftDriver(
      this.#raft,
      new RaftLog(boot.wal, built.storage, boot.snapshotter),
      {
        apply: (entries) => {
          applier.apply(entries);
          this.#snapshots.maybeSnapshot(this.#applied.value);
        },
        applySnapshot: (snapshot) => this.#installSnapshot(snapshot),
        send: (messages) => this.#peers.send(messages),
        onSoftState: (s) => this.#onSoftState(s),
        onHardState: (hs: HardState) => {
          this.#term = hs.term;
          this.#commit = hs.commit;
        },
        onReadStates: (states) => this.#reads.onReadStates(states),
        onFatal: (err) => this.#raiseFatal(err instanceof Error ? err : new Error(String(err))),
        isLeader: () => this.#lead === this.memberId,
      },
      deps.logger.child({ component: "raft" }),
      lastDurable,
    );
    this.#reads = new LinearizableReads({ readIndex: (ctx) => this.#raft.readIndex(ctx), wake: () => this.#driver.wake() }, this.#applied);
    this.#proposer = new Proposer(
      {
        propose: (data) => this.#propose(() => this.#raft.propose(data)),
        proposeConfChange: (cc) => this.#propose(() => this.#raft.proposeConfChange(cc)),
        wake: () => this.#driver.wake(),
        committedIndex: () => this.#commit,
        appliedIndex: () => this.#applied.value,
      },
      new IdGenerator(boot.memberId, deps.clock.wallMs()),
      this.#waits,
      { maxRequestBytes: config.maxRequestBytes, requestTimeoutMs: requestTimeoutMs(config) },
    );

    const services = { store: this.#store, proposer: this.#proposer, reads: this.#reads, header: this };
    const quotaBytes = config.quotaBackendBytes === 0 ? DEFAULT_QUOTA_BYTES : config.quotaBackendBytes;
    this.kv = new KvRequests({
      ...services,
      quota: new Quota(quotaBytes, () => boot.backend.size()),
      raiseNoSpace: () => this.#raiseNoSpace(),
    });
    this.maintenance = new MaintenanceRequests({
      ...services,
      backend: boot.backend,
      alarms: this.#alarms,
      quotaBytes,
      raftStatus: () => ({ lead: this.#lead, term: this.#term, commit: this.#commit, applied: this.#applied.value }),
      transferLeadership: (target, timeoutMs) => this.#transferLeadership(target, timeoutMs),
      isVoter: (id) => this.#confState.voters.includes(id) && this.#membership.member(id) !== undefined,
      memberId: boot.memberId,
      requestTimeoutMs: requestTimeoutMs(config),
    });
    const concurrency = new ServerConcurrency({
      kv: this.kv,
      leases: this.lease,
      watch: this.watch,
      store: this.#store,
      header: this,
      logger: deps.logger.child({ component: "concurrency" }),
    });
    this.lock = concurrency.lock;
    this.election = concurrency.election;
    this.cluster = new ClusterRequests({
      membership: this.#membership,
      header: this,
      proposer: this.#proposer,
      reads: this.#reads,
      raft: {
        memberId: boot.memberId,
        progressMatches: () => {
          const progress = this.#raft.status().progress;
          return progress === undefined ? undefined : new Map([...progress].map(([id, p]) => [id, p.match]));
        },
      },
      strictReconfigCheck: config.strictReconfigCheck,
      nowSeconds: () => Math.floor(deps.clock.wallMs() / 1000),
      promoteOnLeader: (req, signal) => this.#leaderClient.memberPromote(req, signal),
    });
    this.#instruments = deps.metrics === undefined ? undefined : new ServerInstruments(deps.metrics, {
      memberId: boot.memberId,
      quotaBytes,
      committedIndex: () => this.#commit,
      appliedIndex: () => this.#applied.value,
      pendingProposals: () => this.#waits.size,
      failedProposals: () => this.#proposer.failed,
      dbSize: () => boot.backend.size(),
      dbSizeInUse: () => boot.backend.sizeInUse(),
      currentRevision: () => this.#store.rev,
      compactRevision: () => this.#store.compactRev,
      keys: () => this.#store.indexedKeys,
      clusterVersion: () => this.#membership.clusterVersion,
      isLearner: () => this.isLearner(),
    });
    this.#instruments?.timeBackendCommits(boot.backend);
  }

  /** Opens (or creates) the member's data and brings it up to serving: leader known, attributes published. */
  static async start(config: ServerConfig, deps: ServerDeps): Promise<EtcdServer> {
    const metrics = deps.metrics;
    const boot = await bootstrap(config, deps.logger, metrics !== undefined ? { onFsync: (s) => metrics.walFsyncSeconds.observe(s) } : {});
    const server = new EtcdServer(config, deps, boot);
    try {
      await server.#run();
    } catch (err) {
      // e.g. the peer port is taken: release everything, or timers keep the process alive.
      await server.stop();
      throw err;
    }
    return server;
  }

  header(revision?: bigint): ResponseHeader {
    return { clusterId: this.clusterId, memberId: this.memberId, revision: revision ?? this.#store.rev, raftTerm: this.#term };
  }

  hasLeader(): boolean {
    return this.#lead !== 0n;
  }

  /** Alarms raised in the cluster, as this member has applied them (no raft round). */
  alarms(): AlarmMember[] {
    return this.#alarms.get(AlarmType.NONE);
  }

  /** The agreed cluster version ("3.6.0"), undefined until set. */
  clusterVersion(): string | undefined {
    return this.#membership.clusterVersion;
  }

  onLeaderLost(listener: () => void): () => void {
    return this.#watch.onLeaderLost(listener);
  }

  isLearner(): boolean {
    return this.#confState.learners.includes(this.memberId);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    await this.#peers.stop();
    this.#leaderClient.close();
    this.#watch.stop();
    this.#leases.stop();
    await this.#driver.stop();
    await this.#snapshots.idle();
    this.#waits.cancelAll(new EtcdError("Stopped"));
    this.#reads.failAll(new EtcdError("Stopped"));
    await this.#store.close();
    await this.#boot.backend.close();
    await this.#boot.wal.close();
  }

  async #run(): Promise<void> {
    const tick = setInterval(() => {
      this.#driver.tick();
      this.#reads.onTick(READ_INDEX_RETRY_TICKS, Math.ceil(requestTimeoutMs(this.#config) / this.#config.heartbeatIntervalMs));
    }, this.#config.heartbeatIntervalMs);
    const commit = setInterval(() => {
      this.#boot.backend.commit().catch((err: unknown) => this.#raiseFatal(err instanceof Error ? err : new Error(String(err))));
    }, this.#config.backendBatchIntervalMs || DEFAULT_BATCH_INTERVAL_MS);
    this.#timers.push(tick, commit);
    this.#timers.push(setInterval(() => this.#leases.tick(), LEASE_TICK_MS));
    this.#watch.start();
    await this.#peers.start();
    const known = this.#boot.remoteMembers.length > 0 ? this.#boot.remoteMembers : this.#boot.initialMembers.length > 0 ? this.#boot.initialMembers : undefined;
    this.#peers.sync(known);
    this.#driver.wake();
    // A single voter need not wait an election timeout to find out nobody else
    // is there; it campaigns once its committed conf changes are applied.
    if (isSingleVoter(this.#raft)) {
      await this.#applied.wait(this.#raft.status().hardState.commit);
      this.#raft.campaign();
      this.#driver.wake();
    }
    await new Promise<void>((resolve) => this.#onLeader.push(resolve));
    await this.#publish();
  }

  /**
   * Tells the cluster this member's name and client URLs, and sets the
   * cluster version if unset. Retried until it commits (a busy or leaderless
   * cluster only delays it), as etcd does; the member serves clients after.
   */
  async #publish(): Promise<void> {
    const attrs = { memberID: this.memberId, memberAttributes: { name: this.#config.name, clientUrls: [...this.#config.advertiseClientUrls] } };
    for (;;) {
      if (this.#stopped) throw new EtcdError("Stopped");
      try {
        const result = await this.#proposer.propose({ clusterMemberAttrSet: attrs });
        if (!result.ok) throw result.error;
        break;
      } catch (err) {
        this.#logger.warn({ error: err instanceof Error ? err.message : String(err) }, "failed to publish local member to cluster through raft; retrying");
        await new Promise((resolve) => setTimeout(resolve, this.#config.heartbeatIntervalMs));
      }
    }
    this.#logger.info({ "local-member-id": formatId(this.memberId), name: this.#config.name, "client-urls": this.#config.advertiseClientUrls }, "published local member to cluster through raft");
    if (this.#lead === this.memberId && this.#membership.clusterVersion === undefined) {
      const version = await this.#proposer.propose({ clusterVersionSet: { ver: CLUSTER_VERSION } });
      if (!version.ok) throw version.error;
      this.#logger.info({ "cluster-version": CLUSTER_VERSION }, "set initial cluster version");
    }
  }

  /** Raft drops proposals it cannot take (no leader, transfer in progress): clients see etcd's errors. */
  #propose(propose: () => void): void {
    try {
      propose();
    } catch (err) {
      if (err instanceof ProposalDroppedError) throw new EtcdError(this.#lead === 0n ? "NoLeader" : "TimeoutDueToLeaderFail", { cause: err });
      throw err;
    }
  }

  async #raiseNoSpace(): Promise<void> {
    try {
      await this.#proposer.propose({ alarm: { action: AlarmRequest_AlarmAction.ACTIVATE, memberID: this.memberId, alarm: AlarmType.NOSPACE } });
    } catch (err) {
      // The client gets "database space exceeded" either way; the next write retries the alarm.
      this.#logger.warn({ error: String(err) }, "failed to raise the NOSPACE alarm");
    }
  }

  /**
   * This member is out of the cluster. Like etcd, it keeps running for a few
   * heartbeats so the others can learn that the removal committed, then stops.
   */
  #onRemoved(): void {
    if (this.#removedScheduled) return;
    this.#removedScheduled = true;
    this.#logger.warn({ "local-member-id": formatId(this.memberId) }, "the member has been permanently removed from the cluster");
    this.#handOverLeadership();
    const timer = setTimeout(() => this.#markRemoved(), 10 * this.#config.heartbeatIntervalMs);
    this.#timers.push(timer);
  }

  /** Hands leadership to `target`; resolves when it leads, rejects after `timeoutMs` (etcd polls once per tick). */
  async #transferLeadership(target: bigint, timeoutMs: number): Promise<void> {
    if (this.#lead === target) return;
    this.#raft.transferLeader(target);
    this.#driver.wake();
    const deadline = performance.now() + timeoutMs;
    while (this.#lead !== target) {
      if (performance.now() > deadline || this.#stopped) throw new EtcdError("TimeoutLeaderTransfer");
      await new Promise((resolve) => setTimeout(resolve, this.#config.heartbeatIntervalMs));
    }
  }

  /**
   * A removed leader would otherwise keep leading until it stops, then leave
   * the others an election timeout without a leader (proposals forwarded to
   * it meanwhile are lost): hand leadership to the most caught-up voter now.
   */
  #handOverLeadership(): void {
    const status = this.#raft.status();
    if (status.progress === undefined) return;
    let best: { id: bigint; match: bigint } | undefined;
    for (const [id, p] of status.progress) {
      if (id === this.memberId || !status.config.voters.includes(id)) continue;
      if (best === undefined || p.match > best.match) best = { id, match: p.match };
    }
    if (best === undefined) return;
    this.#logger.info({ transferee: formatId(best.id) }, "handing leadership over before leaving the cluster");
    this.#raft.transferLeader(best.id);
    this.#driver.wake();
  }

  /**
   * Installs a snapshot the leader sent: its database replaces the backend in
   * place, then everything kept in memory is rebuilt from it (leases before
   * keys, so leased keys re-attach; membership, alarms, the consistent index),
   * and watchers catch up from the new store.
   */
  async #installSnapshot(snapshot: Snapshot): Promise<void> {
    const index = snapshot.metadata?.index ?? 0n;
    const dbPath = this.#peers.takeReceived(index);
    if (dbPath === undefined) throw new Error(`raft delivered snapshot ${index} but no database arrived with it`);
    const before = this.#store.rev;
    await this.#store.compactionIdle();
    await this.#boot.backend.replaceWith(dbPath);
    const applied = this.#boot.cindex.reload();
    this.#leases.lessor.recover();
    this.#store.restore();
    this.#membership.reload();
    this.#alarms.reload();
    this.#confState = snapshot.metadata?.confState ?? this.#confState;
    this.#watch.restore(before);
    this.#applied.advance(applied.index > index ? applied.index : index);
    this.#peers.sync();
    this.#logger.info({ index: String(index), "consistent-index": String(applied.index), revision: String(this.#store.rev) }, "applied a snapshot from the leader");
  }

  #onSoftState(state: SoftState): void {
    const previous = this.#lead;
    this.#lead = state.lead;
    this.#leases.onLeadership(state.raftState === RaftRole.Leader);
    this.#instruments?.leader(state.lead, state.raftState === RaftRole.Leader);
    if (state.lead !== previous) {
      // A read confirmed by the old leader's term is no proof under the new one.
      if (previous !== 0n) this.#reads.failInFlight(new EtcdError("LeaderChanged"));
      if (state.lead === 0n) this.#logger.warn({}, "lost the leader");
      else this.#logger.info({ leader: formatId(state.lead), term: String(this.#term) }, state.raftState === RaftRole.Leader ? "became leader" : "elected leader");
    }
    if (state.lead !== 0n) {
      const waiting = this.#onLeader;
      this.#onLeader = [];
      for (const resolve of waiting) resolve();
    }
  }

  /**
   * Applies a committed membership change: validated against the replicated
   * membership first (a refused change still occupies its log index but
   * changes nothing), then raft's configuration and the members store.
   */
  #applyConfChange(cc: ConfChange): ApplyResult {
    const refused = this.#membership.validate(cc, this.#config.maxLearners);
    if (refused !== undefined) return { ok: false, error: new EtcdError(refused) };
    this.#confState = this.#raft.applyConfChange(cc);
    saveConfState(this.#boot.backend, this.#confState);
    switch (cc.type) {
      case ConfChangeType.ConfChangeAddNode:
      case ConfChangeType.ConfChangeAddLearnerNode: {
        const { member, isPromote } = decodeConfChangeContext(cc.context);
        if (isPromote) this.#membership.promote(member.id);
        else this.#membership.add(member);
        break;
      }
      case ConfChangeType.ConfChangeRemoveNode:
        this.#membership.remove(cc.nodeId);
        if (cc.nodeId === this.memberId) this.#onRemoved();
        break;
      case ConfChangeType.ConfChangeUpdateNode:
        this.#membership.setPeerUrls(cc.nodeId, decodeMember(cc.context).peerUrls);
        break;
    }
    this.#peers.sync();
    return { ok: true, response: undefined };
  }

}
