/**
 * The raft node the server drives, and how it is built from what bootstrap
 * found on disk: the src/raft RawNode over a MemoryStorage that mirrors the
 * WAL (snapshot, hard state, entries), with etcd's raft settings.
 * @module
 */
import type { ConfState, Entry, HardState, Snapshot } from "../../gen/raftpb/raft.js";
import type { Logger } from "../../pkg/logger.js";
import type { Random } from "../../pkg/random.js";
import { MemoryStorage, RawNode, StateType } from "../../raft/index.js";
import { electionTicks } from "../config.js";

export { RawNode, StateType as RaftRole };
export type { Ready, ReadState, SoftState } from "../../raft/index.js";

/** etcd's raft settings (etcdserver/raft.go). */
const MAX_SIZE_PER_MSG = 1024 * 1024;
const MAX_INFLIGHT_MSGS = 4096 / 8;
const MAX_UNCOMMITTED_ENTRIES_SIZE = 1 << 30;

export interface RaftNodeOptions {
  id: bigint;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  preVote: boolean;
  random: Random;
  logger: Logger;
  /** What the WAL held on restart; undefined for a brand-new member. */
  restored?: { snapshot: Snapshot | undefined; hardState: HardState; entries: Entry[] };
  /** On restart: the configuration and index the backend has applied up to. */
  applied?: { index: bigint; confState: ConfState | undefined };
}

export interface BuiltRaftNode {
  node: RawNode;
  storage: MemoryStorage;
  /** Ticks without a leader before an election (heartbeat ticks are 1). */
  electionTick: number;
}

export function buildRaftNode(options: RaftNodeOptions): BuiltRaftNode {
  const restored = options.restored;
  const appliedConf = options.applied?.confState;
  const snapshot = restored?.snapshot?.metadata !== undefined && restored.snapshot.metadata.index > 0n ? restored.snapshot : undefined;
  // Raft starts from the configuration as of the last applied entry, so the
  // conf changes below it are not replayed.
  const storage = new MemoryStorage(snapshot === undefined && appliedConf !== undefined ? { confState: appliedConf } : undefined);
  let applied = 0n;
  if (restored !== undefined) {
    if (snapshot !== undefined) {
      const meta = snapshot.metadata!;
      storage.applySnapshot(appliedConf === undefined ? snapshot : { ...snapshot, metadata: { ...meta, confState: appliedConf } });
    }
    storage.setHardState(restored.hardState);
    storage.append(restored.entries);
    const snapIndex = snapshot?.metadata?.index ?? 0n;
    const wanted = options.applied?.index ?? 0n;
    applied = wanted > restored.hardState.commit ? restored.hardState.commit : wanted < snapIndex ? snapIndex : wanted;
  }
  const electionTick = electionTicks(options.heartbeatIntervalMs, options.electionTimeoutMs);
  const node = new RawNode({
    id: options.id,
    electionTick,
    heartbeatTick: 1,
    storage,
    applied,
    maxSizePerMsg: MAX_SIZE_PER_MSG,
    maxInflightMsgs: MAX_INFLIGHT_MSGS,
    maxUncommittedEntriesSize: MAX_UNCOMMITTED_ENTRIES_SIZE,
    checkQuorum: true,
    preVote: options.preVote,
    random: options.random,
    logger: options.logger,
  });
  return { node, storage, electionTick };
}

/** True when this member is the only voter: it can elect itself at once (etcd fast-forwards its election ticks). */
export function isSingleVoter(node: RawNode): boolean {
  const voters = node.status().config.voters;
  return voters.length === 1 && voters[0] === node.status().id;
}
