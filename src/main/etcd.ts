/**
 * The `etcd` command: the composition root. Parses the configuration, builds
 * the logger and clock, starts the server and the client listeners, and shuts
 * down cleanly on SIGTERM / SIGINT. The only place that owns process-level
 * concerns (exit codes, signals, stdout/stderr).
 * @module
 */
import { InitialCorruptionError } from "../server/corruption/checker.js";
import { readFileSync } from "node:fs";
import v8 from "node:v8";
import { arch, platform, version as nodeVersion } from "node:process";
import { parseEtcdConfig, verifyBootstrap, verifyJoinExisting, type EtcdConfig } from "../cli/etcd/index.js";
import { acceptsTls, clientEndpoints, servesGrpc, type ClientEndpoint } from "../api/client-endpoints.js";
import { ClientListener } from "../api/client-listener.js";
import { describeBound } from "../api/listen-socket.js";
import { createGrpcServer, type GrpcImplementation } from "../api/grpc-server.js";
import { GrpcMetrics } from "../api/grpc-metrics.js";
import { LeaderClient } from "../api/leader-client.js";
import { createHttpApi } from "../api/http/index.js";
import { listenMetrics, type MetricsListeners } from "../api/http/index.js";
import { ServerMetrics } from "../server/metrics/metrics.js";
import { requestTimeoutMs } from "../server/config.js";
import { randomBytes } from "node:crypto";
import { SystemClock } from "../pkg/clock.js";
import { SeededRandom } from "../pkg/random.js";
import type { Logger } from "../pkg/logger.js";
import { EtcdServer } from "../server/etcd-server.js";
import { defaultWalDir } from "../server/bootstrap/bootstrap.js";
import type { AuthSettings, PeerTlsSettings, ServerConfig } from "../server/config.js";
import { AuthConfigError } from "../auth/index.js";
import { TlsConfigError } from "../tls/index.js";
import { Wal } from "../wal/wal.js";
import { SERVER_VERSION } from "../version.js";
import { authSettings } from "./auth-settings.js";
import { createLogger, type LogLevel } from "./logger.js";
import { memberTls, plainUrlWarnings, type MemberTls } from "./member-tls.js";
import { installProcessGuard } from "./process-guard.js";

/**
 * V8 grows the heap by a large factor when allocation is fast, which under a
 * write load leaves the process holding several times its live data. A
 * tighter growth factor keeps peak memory near etcd's at a small cost in GC
 * work (measured: peak RSS after 100k puts 300 → 190 MiB). Set before the
 * heap has grown; NODE_OPTIONS can still override it.
 */
function tuneHeap(): void {
  v8.setFlagsFromString("--heap-growing-percent=20");
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  tuneHeap();
  const outcome = parseEtcdConfig(argv, env, (path) => readFileSync(path, "utf8"), {
    runtime: { nodeVersion, platform, arch },
  });
  switch (outcome.kind) {
    case "help":
    case "version":
      process.stdout.write(outcome.text);
      return 0;
    case "error":
      if (outcome.usage !== undefined) {
        process.stderr.write(`${outcome.message}\n${outcome.usage}\n`);
      } else {
        createLogger({ level: "info", outputs: ["stderr"] }).error({ error: outcome.message }, "failed to verify flags");
      }
      return outcome.exitCode;
    case "run":
      break;
  }
  const config = outcome.config;
  const logger = createLogger({ level: logLevelOf(config.logLevel), outputs: config.logOutputs });
  for (const warning of outcome.warnings) logger.warn({}, warning);
  plainUrlWarnings(config, logger);
  let tls: MemberTls;
  try {
    tls = await memberTls(config, logger);
  } catch (err) {
    // etcd fails its start-up with this line (etcdmain) when a TLS file cannot be used.
    const message = err instanceof TlsConfigError ? "discovery failed" : "failed to set up TLS";
    logger.error({ error: err instanceof Error ? err.message : String(err) }, message);
    return 1;
  }
  let auth: AuthSettings;
  try {
    auth = authSettings(config);
  } catch (err) {
    if (!(err instanceof AuthConfigError)) throw err;
    logAuthConfigError(logger, err);
    return 1;
  }
  const serverConfig = toServerConfig(config, tls.peer, auth);
  if (!Wal.exists(serverConfig.walDir)) {
    const problem = config.initialClusterState === "new" ? verifyBootstrap(config) : verifyJoinExisting(config);
    if (problem !== undefined) {
      logger.error({ error: problem }, "failed to verify flags");
      return 1;
    }
  }
  // From here on a bug in the handling of one client's bytes must not end the member (see process-guard.ts).
  const removeGuard = installProcessGuard(logger);
  try {
    return await serve(config, serverConfig, tls, logger);
  } catch (err) {
    // A JWT key file that cannot be read or used is found when the server builds its token provider.
    if (err instanceof AuthConfigError) logAuthConfigError(logger, err);
    // etcd reports a failed initial corruption check as its start-up ("discovery") failing.
    else if (err instanceof InitialCorruptionError) logger.error({ error: err.message }, "discovery failed");
    else logger.error({ error: err instanceof Error ? err.message : String(err) }, "etcd stopped");
    return 1;
  } finally {
    removeGuard();
  }
}

/**
 * etcd's lines when its token provider cannot be made: the reason (e.g.
 * "open /etc/etcd/jwt.key: no such file or directory"), then the start-up's
 * fatal line with etcd's error ("auth: invalid auth options").
 */
function logAuthConfigError(logger: Logger, err: AuthConfigError): void {
  if (err.detail !== undefined) logger.warn({ error: err.detail }, "failed to create token provider");
  logger.error({ error: err.message }, "discovery failed");
}

/**
 * ETCDTS_GRPC_SERVER=grpc-js serves gRPC through grpc-js instead of our own
 * HTTP/2 server (for comparison and as a fallback). Not an ETCD_* variable:
 * etcd warns about ETCD_* names it does not know, and so do we.
 */
function grpcImplementation(): GrpcImplementation {
  return process.env["ETCDTS_GRPC_SERVER"] === "grpc-js" ? "grpc-js" : "ours";
}

async function serve(config: EtcdConfig, serverConfig: ServerConfig, tls: MemberTls, logger: Logger): Promise<number> {
  logger.info(
    { "etcd-version": SERVER_VERSION, "node-version": nodeVersion, "data-dir": config.dataDir, name: config.name },
    "starting etcd",
  );
  const metrics = new ServerMetrics();
  const grpcMetrics = new GrpcMetrics(metrics);
  metrics.onScrape(() => grpcMetrics.flush());
  const clock = new SystemClock();
  const server = await EtcdServer.start(serverConfig, {
    metrics,
    logger,
    clock,
    random: new SeededRandom(randomSeed()),
    leaderForwarder: (locator) => new LeaderClient(locator, clock, tls.clientDial),
  });
  const implementation = grpcImplementation();
  const grpcServer = createGrpcServer(
    {
      kv: server.kv,
      maintenance: server.maintenance,
      cluster: server.cluster,
      header: server,
      lease: server.lease,
      watch: server.watch,
      lock: server.lock,
      election: server.election,
      auth: server.auth,
    },
    {
      maxRequestBytes: config.maxRequestBytes,
      maxTxnOps: config.maxTxnOps,
      maxConcurrentStreams: config.maxConcurrentStreams,
      keepaliveIntervalMs: config.grpcKeepaliveIntervalMs,
      keepaliveTimeoutMs: config.grpcKeepaliveTimeoutMs,
      keepaliveMinTimeMs: config.grpcKeepaliveMinTimeMs,
      implementation,
      onInternalError: (err) => logger.error({ error: String(err) }, "closed a client connection after an internal error"),
      interceptors: [grpcMetrics],
      clientCertAuth: config.clientTls.clientCertAuth,
    },
  );
  const http = createHttpApi({
    server,
    serverVersion: SERVER_VERSION,
    metrics,
    enableGateway: config.enableGrpcGateway,
    maxRequestBytes: config.maxRequestBytes,
    requestTimeoutMs: requestTimeoutMs(serverConfig),
    cors: config.cors,
    hostWhitelist: config.hostWhitelist,
    logger: logger.child({ component: "http" }),
  });
  const listener = new ClientListener(grpcServer.connections, http.handler, {
    maxConnections: config.maxClientConnections,
    logger: logger.child({ component: "client-listener" }),
    ...(tls.clientServer !== undefined ? { tls: tls.clientServer } : {}),
  });
  let metricsListeners: MetricsListeners | undefined;
  const shutdown = async (): Promise<void> => {
    // The gateway's own gRPC connection to the client port first: the listener waits for open connections.
    http.close();
    await listener.close();
    await metricsListeners?.close();
    grpcServer.shutdown();
    await server.stop();
  };
  try {
    for (const endpoint of clientEndpoints(config.listenClientUrls, config.listenClientHttpUrls)) {
      const bound = await listener.listen(endpoint);
      // The gateway dials a gRPC endpoint; plain text when the endpoint takes it.
      if (servesGrpc(endpoint)) http.setGatewayTarget(bound, endpoint.security === "tls" ? tls.clientDial : undefined);
      logServing(logger, endpoint, describeBound(bound), implementation);
    }
    metricsListeners = await listenMetrics(config.listenMetricsUrls, http.metricsHandler, logger, tls.clientServer);
  } catch (err) {
    // e.g. the port is taken: stop everything started so far, or its timers keep the process alive.
    await shutdown();
    throw err;
  }
  logger.info({}, "ready to serve client requests");

  const stopSignal = new Promise<string>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  const reason = await Promise.race([stopSignal, server.fatal.then((err) => `fatal: ${err.message}`), server.removed.then(() => "removed from the cluster")]);
  logger.info({ reason }, "shutting down");
  await shutdown();
  logger.info({}, "stopped serving");
  return reason.startsWith("fatal") ? 1 : 0;
}

/** etcd's line per served client address, one for each of plain text and TLS. */
function logServing(logger: Logger, endpoint: ClientEndpoint, address: string, implementation: GrpcImplementation): void {
  if (endpoint.security !== "tls") logger.info({ address, "grpc-server": implementation }, "serving client traffic insecurely; this is strongly discouraged!");
  if (acceptsTls(endpoint)) logger.info({ address, "grpc-server": implementation }, "serving client traffic securely");
}

/** The process's only unseeded randomness: the seed of raft's election-timeout source. */
function randomSeed(): bigint {
  return randomBytes(8).readBigUInt64BE(0);
}

function logLevelOf(level: EtcdConfig["logLevel"]): LogLevel {
  return level === "dpanic" ? "panic" : level;
}

function toServerConfig(c: EtcdConfig, peerTls: PeerTlsSettings | undefined, auth: AuthSettings): ServerConfig {
  return {
    name: c.name,
    ...(peerTls !== undefined ? { peerTls } : {}),
    dataDir: c.dataDir,
    walDir: c.walDir === "" ? defaultWalDir(c.dataDir) : c.walDir,
    initialCluster: c.initialCluster.map((m) => ({ name: m.name, peerUrls: m.peerUrls.map((u) => u.href) })),
    initialClusterToken: c.initialClusterToken,
    initialClusterState: c.initialClusterState,
    advertiseClientUrls: c.advertiseClientUrls.map((u) => u.href),
    listenPeerUrls: c.listenPeerUrls.map((u) => u.href),
    initialAdvertisePeerUrls: c.initialAdvertisePeerUrls.map((u) => u.href),
    heartbeatIntervalMs: c.heartbeatIntervalMs,
    electionTimeoutMs: c.electionTimeoutMs,
    preVote: c.preVote,
    strictReconfigCheck: c.strictReconfigCheck,
    forceNewCluster: c.forceNewCluster,
    maxLearners: c.maxLearners,
    snapshotCount: c.snapshotCount,
    maxSnapshots: c.maxSnapshots,
    maxWals: c.maxWals,
    quotaBackendBytes: c.quotaBackendBytes,
    backendBatchIntervalMs: c.backendBatchIntervalMs,
    backendBatchLimit: c.backendBatchLimit,
    maxRequestBytes: c.maxRequestBytes,
    maxTxnOps: c.maxTxnOps,
    compactionBatchLimit: c.compactionBatchLimit,
    lease: { checkpoint: c.featureGates.LeaseCheckpoint, checkpointPersist: c.featureGates.LeaseCheckpointPersist },
    watchProgressNotifyIntervalMs: c.watchProgressNotifyIntervalMs,
    auth,
    autoCompaction: { mode: c.autoCompactionMode, retention: c.autoCompactionRetentionValue },
    corruptionChecks: {
      initialCheck: c.featureGates.InitialCorruptCheck,
      periodicCheckIntervalMs: c.corruptCheckTimeMs,
      compactHashCheck: c.featureGates.CompactHashCheck,
      compactHashCheckIntervalMs: c.compactHashCheckTimeMs,
    },
    bootstrapDefragThresholdBytes: c.bootstrapDefragThresholdMegabytes * 1024 * 1024,
  };
}
