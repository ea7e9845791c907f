/**
 * In-process transports for the transport tests: each node records what its
 * handlers saw and wakes waiters on every event, so tests wait for
 * conditions instead of sleeping.
 * @module
 */
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { rename } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Message } from "../../gen/raftpb/raft.js";
import { nullLogger, type Logger } from "../../pkg/logger.js";
import { DEFAULT_TLS_POLICY, TlsMaterial, type TlsServerSettings } from "../../tls/index.js";
import type { CertPair } from "../../tls/test-support.js";
import type { Member } from "../membership/member.js";
import type { RefusalKind } from "./identity.js";
import type { TransportMetricsSink } from "./metrics-sink.js";
import { PeerTransport } from "./transport.js";
import type { PeerTlsOptions, SnapshotSource, TransportHandlers, TransportLimits } from "./types.js";

/** The handlers of a transport with no raft behind it: tests that serve only its HTTP endpoints (`/members/hashkv` …) add the one they need. */
export const INERT_HANDLERS: TransportHandlers = {
  onMessage: () => {},
  onUnreachable: () => {},
  onSnapshotStatus: () => {},
  snapshotSource: () => Promise.reject(new Error("no snapshots here")),
  onSnapshotReceived: () => Promise.reject(new Error("no snapshots here")),
  isRemoved: () => false,
};

export interface LogLine {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

export function recordingLogger(lines: LogLine[], bindings: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (fields: object, msg: string) => lines.push({ level, msg, fields: { ...bindings, ...fields } });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: (b) => recordingLogger(lines, { ...bindings, ...b }) };
}

export interface MetricEvents {
  roundTrips: number[];
  sentBytes: number;
  writes: number;
  receivedBytes: number;
  sendFailures: number;
}

export interface TestNode {
  readonly id: bigint;
  readonly transport: PeerTransport;
  url: string;
  readonly dir: string;
  readonly received: Message[];
  readonly unreachable: bigint[];
  readonly snapshotStatus: Array<{ id: bigint; ok: boolean }>;
  readonly refused: Array<{ id: bigint; kind: RefusalKind; message: string }>;
  readonly snapshots: Array<{ m: Message; path: string; size: number }>;
  readonly logs: LogLine[];
  readonly metrics: MetricEvents;
  removed: Set<bigint>;
  members: Member[];
  snapshotSource: (m: Message) => Promise<SnapshotSource>;
  /** Decides what to do with a received snapshot file (default: move it to <dir>/db-<index>). */
  onSnapshot: (m: Message, path: string, size: number) => Promise<void>;
  waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface NodeOptions {
  id: bigint;
  clusterId?: bigint;
  listenUrl?: string;
  limits?: Partial<TransportLimits>;
  tls?: PeerTlsOptions;
}

export async function startNode(options: NodeOptions): Promise<TestNode> {
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const changed = (): boolean => events.emit("change");
  const dir = mkdtempSync(join(tmpdir(), "transport-test-"));
  const logs: LogLine[] = [];
  const metrics: MetricEvents = { roundTrips: [], sentBytes: 0, writes: 0, receivedBytes: 0, sendFailures: 0 };
  const sink: TransportMetricsSink = {
    roundTrip: (_p, s) => {
      metrics.roundTrips.push(s);
      changed();
    },
    sentBytes: (_p, n) => {
      metrics.sentBytes += n;
      metrics.writes++;
    },
    receivedBytes: (_p, n) => {
      metrics.receivedBytes += n;
    },
    sendFailure: () => {
      metrics.sendFailures++;
    },
  };
  const node: TestNode = {
    id: options.id,
    url: "",
    dir,
    received: [],
    unreachable: [],
    snapshotStatus: [],
    refused: [],
    snapshots: [],
    logs,
    metrics,
    removed: new Set(),
    members: [],
    snapshotSource: () => Promise.reject(new Error("no snapshot source in this test")),
    onSnapshot: async (m, path, size) => {
      const dest = join(dir, `db-${m.snapshot?.metadata?.index ?? 0n}`);
      await rename(path, dest);
      node.snapshots.push({ m, path: dest, size });
    },
    transport: undefined as unknown as PeerTransport,
    waitFor(predicate, what, timeoutMs = 10_000) {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!predicate()) return;
          clearTimeout(timer);
          events.off("change", check);
          resolve();
        };
        const timer = setTimeout(() => {
          events.off("change", check);
          reject(new Error(`timed out waiting for ${what}`));
        }, timeoutMs);
        events.on("change", check);
      });
    },
    async stop() {
      await node.transport.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const transport = new PeerTransport(
    {
      memberId: options.id,
      clusterId: options.clusterId ?? 0xc1057e7n,
      peerUrls: [],
      snapshotDir: dir,
      serverVersion: "3.4.23",
      logger: recordingLogger(logs),
      metrics: sink,
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
      limits: { backoffMinMs: 10, backoffMaxMs: 100, probeIntervalMs: 200, dialTimeoutMs: 1_000, ...(options.limits ?? {}) },
    },
    {
      onMessage: (m) => {
        node.received.push(m);
        changed();
      },
      onUnreachable: (id) => {
        node.unreachable.push(id);
        changed();
      },
      onSnapshotStatus: (id, ok) => {
        node.snapshotStatus.push({ id, ok });
        changed();
      },
      snapshotSource: (m) => node.snapshotSource(m),
      onSnapshotReceived: async (m, path, size) => {
        try {
          await node.onSnapshot(m, path, size);
        } finally {
          changed();
        }
      },
      isRemoved: (id) => node.removed.has(id),
      onPeerRefused: (id, kind, message) => {
        node.refused.push({ id, kind, message });
        changed();
      },
      members: () => node.members,
      clusterVersion: () => "3.4.0",
    },
  );
  (node as { transport: PeerTransport }).transport = transport;
  const [bound] = await transport.start([options.listenUrl ?? "http://127.0.0.1:0"]);
  node.url = bound!.url;
  return node;
}

/** Starts n nodes (ids 1..n) that all know each other. */
export async function startCluster(n: number, options?: Omit<NodeOptions, "id">): Promise<TestNode[]> {
  const nodes: TestNode[] = [];
  for (let i = 1; i <= n; i++) nodes.push(await startNode({ ...(options ?? {}), id: BigInt(i) }));
  for (const a of nodes) for (const b of nodes) if (a !== b) a.transport.addPeer(b.id, [b.url]);
  return nodes;
}

export async function stopAll(nodes: readonly TestNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop()));
}

let forceGc: (() => void) | undefined;

/**
 * Live memory (JS heap plus buffers) after full collections, so a test
 * measures what is retained rather than garbage not yet collected. Two
 * passes around a short pause: buffer memory is released by a sweeper that
 * runs after the collection.
 */
export async function liveBytes(): Promise<number> {
  if (forceGc === undefined) {
    setFlagsFromString("--expose-gc");
    forceGc = runInNewContext("gc") as () => void;
  }
  forceGc();
  await new Promise((r) => setTimeout(r, 10));
  forceGc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/**
 * Peer TLS as src/main builds it from the --peer-* flags: one material
 * (certificate, key, CA) for both sides, client certificates required, and
 * every file re-checked at each handshake so the tests see rotation at once.
 */
export function peerTlsFrom(pair: CertPair, caFile: string, server: Partial<Omit<TlsServerSettings, "material">> = {}, crlFile = ""): PeerTlsOptions {
  const material = TlsMaterial.load({
    files: {
      certFile: pair.cert,
      keyFile: pair.key,
      trustedCaFile: caFile,
      crlFile,
      flags: { cert: "--peer-cert-file", key: "--peer-key-file", trustedCa: "--peer-trusted-ca-file", crl: "--peer-crl-file" },
    },
    policy: DEFAULT_TLS_POLICY,
    logger: nullLogger,
    recheckMs: 0,
  });
  return {
    server: {
      material,
      clientCertAuth: true,
      allowedCommonNames: [],
      allowedHostnames: [],
      verifyClientSan: true,
      handshakeTimeoutMs: 10_000,
      alpnProtocols: ["h2", "http/1.1"],
      ...server,
    },
    client: { material },
  };
}
