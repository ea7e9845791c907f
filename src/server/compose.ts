/**
 * Builds a member's running parts from what bootstrap opened, in the order
 * they need each other — read it top to bottom. Each part is built once,
 * after what it uses. Three true cycles are broken, each in one named place:
 * - raft ↔ the parts it drives: the {@link RaftDriver} is built first
 *   (proposals, reads, peers and leadership moves wake it) and its hooks
 *   are connected by `driver.start(...)` once those parts exist;
 * - lessor ↔ mvcc store: the store's restore re-attaches leased keys to the
 *   lessor, so the lessor comes first and deletes a revoked lease's keys
 *   through the store it reaches later (`deleter`);
 * - mvcc store ↔ watch hub: the hub reads the store, and the store reports
 *   each commit to the hub (`onCommit`).
 * Nothing here runs: {@link EtcdServer} starts and stops what this returns.
 * @module
 */
import { DowngradeInfoStore } from "./maintenance/downgrade.js";
import type { Clock } from "../pkg/clock.js";
import { EtcdError } from "../pkg/errors.js";
import { IdGenerator } from "../pkg/id-generator.js";
import type { Logger } from "../pkg/logger.js";
import type { Random } from "../pkg/random.js";
import { WaitRegistry } from "../pkg/wait.js";
import type { Lessor } from "../lease/index.js";
import { KVStore } from "../storage/mvcc/index.js";
import { CLUSTER_VERSION, SERVER_VERSION } from "../version.js";
import type { AuthApi, ClusterApi, ElectionApi, KvApi, LeaderForwarder, LeaderLocator, LeaseApi, LockApi, MaintenanceApi } from "./api.js";
import { AuthStore, createPasswordHasher, type PasswordHasher } from "../auth/index.js";
import type { AuthApplyContext } from "./auth/apply.js";
import { createAuthGate, type AuthGate } from "./auth/gate.js";
import { createAuthRequests } from "./auth/requests.js";
import { dropAllTokens, type AuthTokens } from "./auth/tokens.js";
import { AppliedIndex } from "./apply/applied-index.js";
import type { ApplyResult } from "./apply/apply-result.js";
import { Applier } from "./apply/applier.js";
import { dispatch } from "./apply/dispatch.js";
import { confChangeContext, snapDir, type Bootstrapped } from "./bootstrap/bootstrap.js";
import { ServerConcurrency } from "./concurrency/index.js";
import { CorruptionMonitor } from "./corruption/monitor.js";
import { DEFAULT_AUTH_SETTINGS, DEFAULT_BATCH_INTERVAL_MS, DEFAULT_COMPACTION_BATCH_LIMIT, quotaBytes, requestTimeoutMs, ticksCovering, type ServerConfig } from "./config.js";
import { ServerHeader } from "./header.js";
import { createAutoCompactor, type AutoCompactor } from "./compaction/index.js";
import { buildLessor, ServerLeases } from "./lease/wiring.js";
import { LEASE_TICK_MS } from "./lease/settings.js";
import { AlarmStore } from "./maintenance/alarms.js";
import { Quota, raiseNoSpaceAlarm } from "./maintenance/quota.js";
import { MaintenanceRequests } from "./maintenance/requests.js";
import { KvRequests } from "./txn/kv-requests.js";
import { ClusterRequests } from "./membership/cluster-requests.js";
import { ConfChangeApplier } from "./membership/conf-change-applier.js";
import { loadConfState } from "./membership/conf-state.js";
import { formatId } from "./membership/ids.js";
import { MembershipStore } from "./membership/membership-store.js";
import { MemberPublisher } from "./membership/publisher.js";
import { MemberRemoval } from "./membership/removal.js";
import type { ServerMetrics } from "./metrics/metrics.js";
import { lessorMetrics, ServerInstruments, watchGauges } from "./metrics/wiring.js";
import { Proposer } from "./proposals/proposer.js";
import { RaftProposalTarget } from "./raftnode/proposal-target.js";
import { LinearizableReads } from "./proposals/read-index.js";
import { RaftDriver } from "./raftnode/driver.js";
import { LastHardState } from "./raftnode/hard-state.js";
import { LeaderMonitor } from "./raftnode/leader-monitor.js";
import { Leadership } from "./raftnode/leadership.js";
import { RaftLog } from "./raftnode/log.js";
import { buildRaftNode, RaftRole, type RawNode, type SoftState } from "./raftnode/node.js";
import { SnapshotInstaller } from "./snapshot/installer.js";
import { SnapshotScheduler } from "./snapshot/scheduler.js";
import { Ticker } from "./ticker.js";
import { ServerPeers } from "./transport/peers.js";
import { WatchHub } from "./watch/hub.js";

export interface ServerDeps {
  logger: Logger;
  clock: Clock;
  /** Seeds raft's randomized election timeouts. */
  random: Random;
  /** Where the server reports its metrics (etcd's names); none when absent. */
  metrics?: ServerMetrics;
  /** Builds the way a follower reaches the leader (lease renewals, TimeToLive, learner promotion), given where the leader is. */
  leaderForwarder(locator: LeaderLocator): LeaderForwarder;
}

/** Ticks without an answer before a ReadIndex round is re-sent (etcd retries every 500 ms). */
const READ_INDEX_RETRY_TICKS = 5;

/** How often expired simple tokens are swept (etcd's simpleTokenTTLKeeper checks every second). */
const TOKEN_SWEEP_MS = 1000;

/** Every check off: what etcd does without the flags. */
const NO_CORRUPTION_CHECKS = { initialCheck: false, periodicCheckIntervalMs: 0, compactHashCheck: false, compactHashCheckIntervalMs: 0 } as const;

/** The parts of a composed member that its owner starts, serves from, and stops. */
export interface ComposedServer {
  memberId: bigint;
  clusterId: bigint;
  boot: Bootstrapped;
  raft: RawNode;
  driver: RaftDriver;
  ticker: Ticker;
  leadership: Leadership;
  conf: ConfChangeApplier;
  header: ServerHeader;
  store: KVStore;
  lessor: Lessor;
  leases: ServerLeases;
  watch: WatchHub;
  membership: MembershipStore;
  alarms: AlarmStore;
  authStore: AuthStore;
  tokens: AuthTokens;
  gate: AuthGate;
  /** Hashes and checks passwords on worker threads (started on first use; closed by stop). */
  hasher: PasswordHasher;
  applied: AppliedIndex;
  waits: WaitRegistry<ApplyResult>;
  reads: LinearizableReads;
  snapshots: SnapshotScheduler;
  peers: ServerPeers;
  forwarder: LeaderForwarder;
  publisher: MemberPublisher;
  removal: MemberRemoval;
  /** --auto-compaction-*: none when off. */
  compactor: AutoCompactor | undefined;
  /** The corruption checks: the initial one (run by the owner), the leader's rounds, the peers' HashKV. */
  corruption: CorruptionMonitor;
  /** Settles with the error that stopped the member from outside (disk failure …). */
  fatal: Promise<Error>;
  /** The members a new or joining member dials first (before its membership is applied). */
  knownMembers: Bootstrapped["initialMembers"] | undefined;
  api: { kv: KvApi; maintenance: MaintenanceApi; cluster: ClusterApi; lease: LeaseApi; lock: LockApi; election: ElectionApi; auth: AuthApi };
}

/** `tokens` is built (and its key files checked) by the caller before bootstrap touches the data. */
export function composeServer(config: ServerConfig, deps: ServerDeps, boot: Bootstrapped, tokens: AuthTokens): ComposedServer {
  const { clock, random, metrics } = deps;
  const log = (component: string): Logger => deps.logger.child({ component });
  const { memberId, clusterId, backend, restored } = boot;
  const timeoutMs = requestTimeoutMs(config);
  let raiseFatal!: (err: Error) => void;
  const fatal = new Promise<Error>((resolve) => (raiseFatal = resolve));
  const fail = (err: unknown): void => raiseFatal(err instanceof Error ? err : new Error(String(err)));

  // What the backend holds, read back into memory.
  const membership = new MembershipStore(backend);
  const alarms = new AlarmStore(backend);
  const authStore = new AuthStore({ backend, logger: log("auth") });
  const applied = new AppliedIndex(boot.cindex.get().index);
  const waits = new WaitRegistry<ApplyResult>();

  // The raft node, its Ready loop (not yet connected), and what it reports.
  const built = buildRaftNode({
    id: memberId,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    electionTimeoutMs: config.electionTimeoutMs,
    preVote: config.preVote,
    random,
    logger: log("raft"),
    ...(restored ? { restored, applied: { index: applied.value, confState: loadConfState(backend) } } : {}),
  });
  const raft = built.node;
  // A joining member starts with an empty log: the leader sends it everything.
  if (restored === undefined && boot.initialMembers.length > 0) {
    raft.bootstrap(boot.initialMembers.map((m) => ({ id: m.id, context: confChangeContext(m) })));
  }
  const lastDurable = restored?.entries.length ? restored.entries[restored.entries.length - 1]!.Index : (restored?.snapshot?.metadata?.index ?? 0n);
  const driver = new RaftDriver(raft, new RaftLog(boot.wal, built.storage, boot.snapshotter), log("raft"), lastDurable);
  const hardState = new LastHardState(restored?.hardState);
  const leadership = new Leadership({ memberId, raft, wake: () => driver.wake(), clock, logger: log("raft") });
  const monitor = new LeaderMonitor(() => leadership.hasLeader, log("watch"));

  // Proposals and linearizable reads.
  const reads = new LinearizableReads({ readIndex: (ctx) => raft.readIndex(ctx), wake: () => driver.wake() }, applied);
  const proposer = new Proposer(
    new RaftProposalTarget({ raft, driver, leadership, hardState, applied }),
    new IdGenerator(memberId, clock.wallMs()),
    waits,
    { maxRequestBytes: config.maxRequestBytes, requestTimeoutMs: timeoutMs },
    clock,
  );
  const propose = proposer.propose.bind(proposer);
  const raiseNoSpace = (): Promise<void> => raiseNoSpaceAlarm(propose, memberId, deps.logger);
  const quota = new Quota(quotaBytes(config), () => backend.size());

  // Peers and membership changes.
  const removal = new MemberRemoval({ memberId, heartbeatIntervalMs: config.heartbeatIntervalMs, handOver: () => leadership.handOver(), clock, logger: deps.logger });
  const peers = new ServerPeers({
    memberId,
    clusterId,
    advertisePeerUrls: config.initialAdvertisePeerUrls,
    listenPeerUrls: config.listenPeerUrls,
    ...(config.peerTls !== undefined ? { tls: config.peerTls } : {}),
    snapDir: snapDir(config.dataDir),
    maxRequestBytes: config.maxRequestBytes,
    serverVersion: SERVER_VERSION,
    raft,
    wake: () => driver.wake(),
    membership,
    backend,
    termAt: (index) => built.storage.term(index),
    onRemoved: () => removal.notice(),
    hashKV: (revision) => corruption.hashForPeer(revision),
    clock,
    random,
    logger: log("peers"),
    ...(metrics !== undefined ? { metrics } : {}),
  });
  const conf = new ConfChangeApplier(
    { memberId, membership, raft, backend, maxLearners: config.maxLearners, onMembersChanged: () => peers.sync(), onRemoved: () => removal.notice() },
    raft.status().config,
  );

  // The lessor, then the store that re-attaches leased keys to it, then the hub that watches the store.
  const lessor = buildLessor({
    settings: config.lease,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    electionTimeoutMs: config.electionTimeoutMs,
    requestTimeoutMs: timeoutMs,
    backend,
    clock,
    logger: log("lease"),
    deleter: () => store.write(),
    clusterVersion: () => membership.clusterVersion,
    ...(metrics !== undefined ? { metrics: lessorMetrics(metrics) } : {}),
  });
  const store: KVStore = new KVStore({
    backend,
    lessor,
    compactionBatchLimit: config.compactionBatchLimit || DEFAULT_COMPACTION_BATCH_LIMIT,
    logger: log("mvcc"),
    onCommit: (events, rev) => watch.notify(events, rev),
  });
  const header = new ServerHeader({ memberId, clusterId, store, raft: hardState, leadership, conf, monitor });
  const corruption = new CorruptionMonitor({
    settings: config.corruptionChecks ?? NO_CORRUPTION_CHECKS,
    memberId,
    clusterId,
    store,
    members: () => membership.members(),
    isLeader: () => leadership.isLeader,
    linearizableBarrier: () => reads.barrier(),
    propose,
    requestTimeoutMs: timeoutMs,
    ...(config.peerTls !== undefined ? { tls: config.peerTls.client } : {}),
    logger: log("corruption"),
  });

  // Who may do what: the auth store, the member's tokens, and the gate every request path asks.
  const authSettings = config.auth ?? DEFAULT_AUTH_SETTINGS;
  const leaseKeys = (id: bigint): readonly Uint8Array[] | undefined => lessor.lookup(id)?.keys();
  const gate = createAuthGate({
    store: authStore,
    tokens,
    applied,
    clock,
    leaseKeys,
    leaseIds: () => lessor.leases().map((l) => l.id),
  });
  // Its worker threads start with the first password it sees.
  const hasher = createPasswordHasher({ cost: authSettings.bcryptCost });
  const watch: WatchHub = new WatchHub({
    auth: gate,
    source: store,
    backend,
    header: (rev) => header.header(rev),
    clock,
    random,
    maxRequestBytes: config.maxRequestBytes,
    progressNotifyIntervalMs: config.watchProgressNotifyIntervalMs,
    ...(metrics !== undefined ? { metrics: watchGauges(metrics) } : {}),
    logger: log("watch"),
  });

  // Leases around the lessor; the way to the leader for what only it answers.
  const forwarder = deps.leaderForwarder({ leader: () => leadership.leader, clientUrls: (id) => membership.member(id)?.clientUrls ?? [] });
  const leases = new ServerLeases({
    auth: gate,
    lessor,
    settings: config.lease,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    electionTimeoutMs: config.electionTimeoutMs,
    requestTimeoutMs: timeoutMs,
    memberId,
    clock,
    logger: log("lease"),
    propose,
    readBarrier: () => reads.barrier(),
    header,
    committedIndex: () => hardState.commit,
    appliedIndex: () => applied.value,
    waitApplied: (index) => applied.wait(index),
    quota,
    raiseNoSpace,
    forwarder,
  });

  // Applying committed entries and snapshots.
  const snapshots = new SnapshotScheduler(
    {
      storage: built.storage,
      wal: boot.wal,
      snapshotter: boot.snapshotter,
      backend,
      confState: () => conf.confState,
      snapshotCount: BigInt(config.snapshotCount),
      maxSnapshots: config.maxSnapshots,
      maxWals: config.maxWals,
      logger: log("snapshot"),
    },
    restored?.snapshot?.metadata?.index ?? 0n,
  );
  const authApply: AuthApplyContext = { store: authStore, tokens, leaseKeys, bcryptCost: authSettings.bcryptCost };
  const applyContext = { kv: store, lessor, membership, alarms, auth: authApply, downgrade: new DowngradeInfoStore(backend) };
  const applier = new Applier({
    cindex: boot.cindex,
    waits,
    applied,
    // With CompactHashCheck on, a compaction records the hash its check compares.
    dispatch: (req, index) =>
      req.compaction ? corruption.aroundCompaction(req.compaction.revision, () => dispatch(applyContext, req, index)) : dispatch(applyContext, req, index),
    confChange: (cc) => conf.apply(cc),
    localRequest: (id) => proposer.takeLocal(id),
    logger: deps.logger,
  });
  const installer = new SnapshotInstaller({
    takeReceived: (index) => peers.takeReceived(index),
    backend,
    cindex: boot.cindex,
    leases: { reload: () => lessor.recover() },
    store,
    membership,
    alarms,
    auth: {
      reload: () => {
        authStore.recover();
        if (!authStore.enabled) dropAllTokens(tokens);
      },
    },
    conf,
    restoreWatchers: (revision) => watch.restore(revision),
    applied,
    onMembersChanged: () => peers.sync(),
    logger: deps.logger,
  });
  const instruments = metrics === undefined ? undefined : new ServerInstruments(metrics, {
    memberId,
    quotaBytes: quotaBytes(config),
    committedIndex: () => hardState.commit,
    appliedIndex: () => applied.value,
    pendingProposals: () => waits.size,
    failedProposals: () => proposer.failed,
    dbSize: () => backend.size(),
    dbSizeInUse: () => backend.sizeInUse(),
    currentRevision: () => store.rev,
    compactRevision: () => store.compactRev,
    keys: () => store.indexedKeys,
    authRevision: () => authStore.revision,
    clusterVersion: () => membership.clusterVersion,
    isLearner: () => header.isLearner(),
  });

  // The Ready loop's output goes to the parts above.
  const onSoftState = (state: SoftState): void => {
    const previous = leadership.observe(state);
    const isLeader = state.raftState === RaftRole.Leader;
    leases.onLeadership(isLeader);
    compactor?.onLeadership(isLeader);
    instruments?.leader(state.lead, isLeader);
    if (state.lead === previous) return;
    // A read confirmed by the old leader's term is no proof under the new one.
    if (previous !== 0n) reads.failInFlight(new EtcdError("LeaderChanged"));
    if (state.lead === 0n) deps.logger.warn({}, "lost the leader");
    else deps.logger.info({ leader: formatId(state.lead), term: String(hardState.term) }, isLeader ? "became leader" : "elected leader");
  };
  driver.start({
    apply: (entries) => {
      applier.apply(entries);
      snapshots.maybeSnapshot(applied.value);
    },
    applySnapshot: (snapshot) => installer.install(snapshot),
    send: (messages) => peers.send(messages),
    onSoftState,
    onHardState: (hs) => hardState.observe(hs),
    onReadStates: (states) => reads.onReadStates(states),
    onFatal: fail,
    isLeader: () => leadership.isLeader,
  });

  // The request paths the API layer serves.
  const kv = new KvRequests({ auth: gate, store, proposer, reads, header, quota, raiseNoSpace });
  // Auto compaction: a Compaction through the log, proposed only while this member leads.
  const compactor = createAutoCompactor(config.autoCompaction, {
    clock,
    currentRevision: () => store.rev,
    compact: (revision, signal) => kv.compact({ revision, physical: false }, signal),
    logger: log("compactor"),
  });
  const maintenance = new MaintenanceRequests({
    store,
    proposer,
    header,
    backend,
    alarms,
    quotaBytes: quotaBytes(config),
    raftStatus: () => ({ lead: leadership.leader, term: hardState.term, commit: hardState.commit, applied: applied.value }),
    transferLeadership: (target, ms) => leadership.transfer(target, ms),
    isVoter: (id) => conf.isVoter(id) && membership.member(id) !== undefined,
    memberId,
    requestTimeoutMs: timeoutMs,
    logger: log("maintenance"),
    clock,
    readBarrier: (signal) => reads.barrier(signal),
  });
  const concurrency = new ServerConcurrency({ kv, leases: leases.api, watch, store, header, logger: log("concurrency") });
  const cluster = new ClusterRequests({
    membership,
    header,
    proposer,
    reads,
    raft: {
      memberId,
      progressMatches: () => {
        const progress = raft.status().progress;
        return progress === undefined ? undefined : new Map([...progress].map(([id, p]) => [id, p.match]));
      },
    },
    strictReconfigCheck: config.strictReconfigCheck,
    nowSeconds: () => Math.floor(clock.wallMs() / 1000),
    promoteOnLeader: (req, signal, creds) => forwarder.memberPromote(req, signal, creds),
  });

  const auth = createAuthRequests({ gate, store: authStore, tokens, hasher, proposer, reads, header, clock, logger: log("auth") });

  // Periodic duties, all on the clock.
  const readTimeoutTicks = ticksCovering(timeoutMs, config.heartbeatIntervalMs);
  const ticker = new Ticker(clock)
    .every(config.heartbeatIntervalMs, () => {
      driver.tick();
      reads.onTick(READ_INDEX_RETRY_TICKS, readTimeoutTicks);
      proposer.expire(clock.nowMs());
    })
    .every(LEASE_TICK_MS, () => leases.tick())
    .every(config.electionTimeoutMs, () => monitor.check())
    .every(TOKEN_SWEEP_MS, () => {
      if (tokens.kind === "simple") tokens.simple.expire(clock.nowMs());
    })
    .every(config.backendBatchIntervalMs || DEFAULT_BATCH_INTERVAL_MS, () => {
      backend.commit().catch(fail);
    });
  corruption.schedule(ticker);

  const publisher = new MemberPublisher({
    memberId,
    name: config.name,
    clientUrls: config.advertiseClientUrls,
    clusterVersion: CLUSTER_VERSION,
    propose,
    isLeader: () => leadership.isLeader,
    agreedClusterVersion: () => membership.clusterVersion,
    retryMs: config.heartbeatIntervalMs,
    clock,
    logger: deps.logger,
  });

  const knownMembers = boot.remoteMembers.length > 0 ? boot.remoteMembers : boot.initialMembers.length > 0 ? boot.initialMembers : undefined;
  return {
    memberId,
    clusterId,
    boot,
    raft,
    driver,
    ticker,
    leadership,
    conf,
    header,
    store,
    lessor,
    leases,
    watch,
    membership,
    alarms,
    authStore,
    tokens,
    gate,
    hasher,
    applied,
    waits,
    reads,
    snapshots,
    peers,
    forwarder,
    publisher,
    removal,
    compactor,
    corruption,
    fatal,
    knownMembers,
    api: { kv, maintenance, cluster, lease: leases.api, lock: concurrency.lock, election: concurrency.election, auth },
  };
}

