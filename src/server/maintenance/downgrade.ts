/**
 * Maintenance.Downgrade (etcd 3.6): VALIDATE, ENABLE and CANCEL of a
 * cluster-wide downgrade by one minor version, replicated through the log.
 *
 * What ENABLE means here: etcd 3.6 records {enabled, target} through the log
 * and every member reports it in Status; the leader's version monitor then
 * lowers the cluster version (and with it the storage schema) to the target,
 * the operator replaces each member's binary with the target version, and the
 * job ends by itself once every member runs it. We record, replicate, persist
 * and report the job exactly so, and CANCEL ends it; but we keep the cluster
 * version at 3.6: this server ships as one version, has no 3.5 schema to
 * rewrite its storage into and no older binary of ours to move members to.
 * The way from ours to etcd 3.5 is a snapshot restored with etcd's tools.
 * @module
 */
import { DowngradeRequest_DowngradeAction, type DowngradeRequest, type DowngradeResponse } from "../../gen/etcdserverpb/rpc.js";
import type { DowngradeInfoSetRequest } from "../../gen/membershippb/membership.js";
import { EtcdError } from "../../pkg/errors.js";
import type { Backend } from "../../storage/backend/index.js";
import type { Cancellation, HeaderSource } from "../api.js";
import type { ApplyResult } from "../apply/apply-result.js";
import type { RaftRequestBody } from "../proposals/codec.js";

/** gRPC status codes of etcd's downgrade errors (grpc's codes.Unknown, codes.InvalidArgument, codes.FailedPrecondition). */
/** A version reduced to what cluster versions keep: major.minor. */
export interface MinorVersion {
  readonly major: number;
  readonly minor: number;
}

/** "3.5.0": how etcd writes a target version (semver's String of major.minor.0). */
export function formatVersion(v: MinorVersion): string {
  return `${v.major}.${v.minor}.0`;
}

/** Semantic versions as Go's Masterminds semver reads them leniently: "v" prefix, minor and patch optional. */
const LENIENT_SEMVER = /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** etcd's convertToClusterVersion: any version text, reduced to major.minor; undefined when it is no version. */
export function parseClusterVersion(text: string): MinorVersion | undefined {
  const m = LENIENT_SEMVER.exec(text);
  if (m === null) return undefined;
  const major = Number(m[1]);
  const minor = Number(m[2] ?? 0);
  if (!Number.isSafeInteger(major) || !Number.isSafeInteger(minor)) return undefined;
  return { major, minor };
}

/** The one target etcd allows from a cluster version: the previous minor of the same major. */
export function allowedDowngradeTarget(cluster: MinorVersion): MinorVersion {
  return { major: cluster.major, minor: cluster.minor - 1 };
}

/** Status.downgradeInfo: an empty target while no downgrade is enabled. */
export interface DowngradeInfo {
  readonly enabled: boolean;
  readonly targetVersion: string;
}

/** A fresh object each time: it goes into responses that callers may fill further. */
const notDowngrading = (): DowngradeInfo => ({ enabled: false, targetVersion: "" });
/** etcd's keys in the cluster bucket (server/storage/schema). */
const DOWNGRADE_KEY = Buffer.from("downgrade");
const CLUSTER_VERSION_KEY = Buffer.from("clusterVersion");

/**
 * The downgrade job as the backend's cluster bucket holds it, in etcd's
 * encoding (JSON {"target-version", "enabled"} under "downgrade"), so it
 * survives restarts and travels in snapshots. Reads go to the backend each
 * time: they are rare (Status, Downgrade) and stay right across a snapshot
 * install or a restore that replaces the backend's content.
 */
export class DowngradeInfoStore {
  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  info(): DowngradeInfo {
    const raw = this.#backend.get("cluster", DOWNGRADE_KEY);
    return raw === undefined ? notDowngrading() : parseStoredInfo(raw);
  }

  /** The cluster version the members agreed on (the cluster bucket's "clusterVersion"), or undefined before they have. */
  clusterVersion(): MinorVersion | undefined {
    const raw = this.#backend.get("cluster", CLUSTER_VERSION_KEY);
    return raw === undefined ? undefined : parseClusterVersion(raw.toString("utf8"));
  }

  /** Applies a replicated DowngradeInfoSet: every member writes the same bytes. */
  apply(req: DowngradeInfoSetRequest): void {
    const stored = req.enabled ? { "target-version": req.ver, enabled: true } : { "target-version": "", enabled: false };
    this.#backend.put("cluster", DOWNGRADE_KEY, Buffer.from(JSON.stringify(stored), "utf8"));
  }
}

/** A damaged record reads as "not downgrading": it only ever gates another downgrade request. */
function parseStoredInfo(raw: Buffer): DowngradeInfo {
  try {
    const v = JSON.parse(raw.toString("utf8")) as { "target-version"?: unknown; enabled?: unknown };
    if (v.enabled === true && typeof v["target-version"] === "string") return { enabled: true, targetVersion: v["target-version"] };
  } catch {
    // fall through
  }
  return notDowngrading();
}

/** The apply side of a `downgradeInfoSet` entry (routed here by ../apply/dispatch.ts). */
export function applyDowngradeInfoSet(store: DowngradeInfoStore, req: DowngradeInfoSetRequest): ApplyResult {
  store.apply(req);
  return { ok: true, response: {} };
}

export interface DowngradeDeps {
  store: DowngradeInfoStore;
  header: HeaderSource;
  /** Waits until this member has applied everything committed when it was called (a ReadIndex round). */
  readBarrier(signal?: Cancellation): Promise<void>;
  propose(body: RaftRequestBody, signal?: Cancellation): Promise<ApplyResult>;
}

/** "3.6": the cluster version as a Downgrade answer gives it (etcd's version.Cluster). */
function answer(deps: DowngradeDeps, cluster: MinorVersion): DowngradeResponse {
  return { header: deps.header.header(), version: `${cluster.major}.${cluster.minor}` };
}

function currentClusterVersion(store: DowngradeInfoStore): MinorVersion {
  const cluster = store.clusterVersion();
  if (cluster === undefined) throw new EtcdError("ClusterVersionUnavailable");
  return cluster;
}

/** etcd's DowngradeValidate, after a linearizable read so that a job enabled through another member is seen. */
async function validate(deps: DowngradeDeps, target: MinorVersion, signal?: Cancellation): Promise<MinorVersion> {
  await deps.readBarrier(signal);
  const cluster = currentClusterVersion(deps.store);
  const allowed = allowedDowngradeTarget(cluster);
  if (target.major !== allowed.major || target.minor !== allowed.minor) throw new EtcdError("InvalidDowngradeTargetVersion");
  if (deps.store.info().enabled) throw new EtcdError("DowngradeInProcess");
  return cluster;
}

function targetOf(req: DowngradeRequest): MinorVersion {
  const target = parseClusterVersion(req.version) ?? parseClusterVersion(`${req.version}.0`);
  if (target === undefined) throw new EtcdError("WrongDowngradeVersionFormat");
  return target;
}

async function proposeOrThrow(deps: DowngradeDeps, req: DowngradeInfoSetRequest, signal?: Cancellation): Promise<void> {
  const result = await deps.propose({ downgradeInfoSet: req }, signal);
  if (!result.ok) throw result.error;
}

/**
 * VALIDATE checks the target against the cluster version and any job in
 * progress; ENABLE does the same and then records the job through the log;
 * CANCEL ends a job through the log and, as etcd 3.6 does, answers success
 * even when none was in progress.
 */
export async function downgrade(deps: DowngradeDeps, req: DowngradeRequest, signal?: Cancellation): Promise<DowngradeResponse> {
  switch (req.action) {
    case DowngradeRequest_DowngradeAction.VALIDATE: {
      const cluster = await validate(deps, targetOf(req), signal);
      return answer(deps, cluster);
    }
    case DowngradeRequest_DowngradeAction.ENABLE: {
      const target = targetOf(req);
      const cluster = await validate(deps, target, signal);
      await proposeOrThrow(deps, { enabled: true, ver: formatVersion(target) }, signal);
      return answer(deps, cluster);
    }
    case DowngradeRequest_DowngradeAction.CANCEL: {
      await deps.readBarrier(signal);
      if (deps.store.info().enabled) await proposeOrThrow(deps, { enabled: false, ver: "" }, signal);
      return answer(deps, currentClusterVersion(deps.store));
    }
    default:
      throw new EtcdError("UnknownMethod");
  }
}
