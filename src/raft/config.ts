/**
 * The parameters of a raft node, with etcd's meanings and checks.
 * @module
 */
import type { Logger } from "../pkg/logger.js";
import { nullLogger } from "../pkg/logger.js";
import type { Random } from "../pkg/random.js";
import { InvalidConfigError } from "./errors.js";
import { ReadOnlyOption } from "./read-only.js";
import type { Storage } from "./storage.js";
import { NO_LIMIT } from "./util.js";

export interface Config {
  /** This node's id; never 0. */
  id: bigint;
  /**
   * Ticks without hearing from a leader before a follower campaigns. The
   * actual timeout is drawn from [electionTick, 2*electionTick). Must exceed
   * heartbeatTick (10x is typical).
   */
  electionTick: number;
  /** Ticks between leader heartbeats. */
  heartbeatTick: number;
  /** The persisted log; raft reads it, the application writes it. */
  storage: Storage;
  /**
   * The last applied index when restarting: entries up to it are not
   * returned again in Ready.committedEntries.
   */
  applied?: bigint;
  /** Byte budget per append message (at least one entry is always sent). Default 1 MiB. */
  maxSizePerMsg?: number;
  /** Byte budget of committedEntries per Ready. Default: maxSizePerMsg. */
  maxCommittedSizePerReady?: number;
  /**
   * Byte budget of the leader's uncommitted log tail (payload bytes); further
   * proposals are dropped. Default: no limit.
   */
  maxUncommittedEntriesSize?: number;
  /** In-flight append messages per follower while replicating. Default 256. */
  maxInflightMsgs?: number;
  /** In-flight payload bytes per follower. Default: no limit. */
  maxInflightBytes?: number;
  /** A leader steps down when it has not heard from a quorum for an election timeout. */
  checkQuorum?: boolean;
  /** Run a pre-vote round before campaigning (thesis §9.6) so a rejoining node does not disrupt. */
  preVote?: boolean;
  /** How ReadIndex confirms leadership. LeaseBased requires checkQuorum. Default Safe. */
  readOnlyOption?: ReadOnlyOption;
  /** Followers drop proposals instead of forwarding them to the leader. */
  disableProposalForwarding?: boolean;
  /** A leader that removes (or demotes) itself steps down right away. */
  stepDownOnRemoval?: boolean;
  /** The seeded source of election-timeout randomness. */
  random: Random;
  logger?: Logger;
}

/** A Config with every default filled in. */
export interface ResolvedConfig {
  id: bigint;
  electionTick: number;
  heartbeatTick: number;
  storage: Storage;
  applied: bigint;
  maxSizePerMsg: number;
  maxCommittedSizePerReady: number;
  maxUncommittedEntriesSize: number;
  maxInflightMsgs: number;
  maxInflightBytes: number;
  checkQuorum: boolean;
  preVote: boolean;
  readOnlyOption: ReadOnlyOption;
  disableProposalForwarding: boolean;
  stepDownOnRemoval: boolean;
  random: Random;
  logger: Logger;
}

export const DEFAULT_MAX_SIZE_PER_MSG = 1024 * 1024;
export const DEFAULT_MAX_INFLIGHT_MSGS = 256;

/** Checks `c` and fills in defaults; throws InvalidConfigError. */
export function resolveConfig(c: Config): ResolvedConfig {
  if (c.id === 0n) throw new InvalidConfigError("cannot use none as id");
  if (!Number.isInteger(c.heartbeatTick) || c.heartbeatTick <= 0) {
    throw new InvalidConfigError("heartbeat tick must be greater than 0");
  }
  if (!Number.isInteger(c.electionTick) || c.electionTick <= c.heartbeatTick) {
    throw new InvalidConfigError("election tick must be greater than heartbeat tick");
  }
  if (c.maxInflightMsgs !== undefined && c.maxInflightMsgs <= 0) {
    throw new InvalidConfigError("max inflight messages must be greater than 0");
  }
  if (c.maxInflightBytes !== undefined && c.maxInflightBytes <= 0) {
    throw new InvalidConfigError("max inflight bytes must be greater than 0");
  }
  const readOnlyOption = c.readOnlyOption ?? ReadOnlyOption.Safe;
  if (readOnlyOption === ReadOnlyOption.LeaseBased && c.checkQuorum !== true) {
    throw new InvalidConfigError("CheckQuorum must be enabled when ReadOnlyOption is ReadOnlyLeaseBased");
  }
  const maxSizePerMsg = c.maxSizePerMsg ?? DEFAULT_MAX_SIZE_PER_MSG;
  return {
    id: c.id,
    electionTick: c.electionTick,
    heartbeatTick: c.heartbeatTick,
    storage: c.storage,
    applied: c.applied ?? 0n,
    maxSizePerMsg,
    maxCommittedSizePerReady: c.maxCommittedSizePerReady ?? maxSizePerMsg,
    maxUncommittedEntriesSize:
      c.maxUncommittedEntriesSize === undefined || c.maxUncommittedEntriesSize === 0 ? NO_LIMIT : c.maxUncommittedEntriesSize,
    maxInflightMsgs: c.maxInflightMsgs ?? DEFAULT_MAX_INFLIGHT_MSGS,
    maxInflightBytes: c.maxInflightBytes ?? NO_LIMIT,
    checkQuorum: c.checkQuorum ?? false,
    preVote: c.preVote ?? false,
    readOnlyOption,
    disableProposalForwarding: c.disableProposalForwarding ?? false,
    stepDownOnRemoval: c.stepDownOnRemoval ?? false,
    random: c.random,
    logger: c.logger ?? nullLogger,
  };
}
