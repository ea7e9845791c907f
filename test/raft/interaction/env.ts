/**
 * The environment behind the interaction scripts: a set of nodes, a queue
 * of messages in flight, and one handler per command. Every handler returns
 * the lines it prints (including the raft log lines of the nodes involved),
 * which become the script's expected output.
 */
import { ConfChangeTransition } from "../../../src/gen/raftpb/raft.js";
import type { ConfChange, Message } from "../../../src/gen/raftpb/raft.js";
import type { Logger } from "../../../src/pkg/logger.js";
import { confChangeV2, confChangesFromString } from "../../../src/raft/confchange/conf-change.js";
import { describeEntry, describeMessage, describeReady } from "../../../src/raft/describe.js";
import { ProposalDroppedError, RaftError } from "../../../src/raft/errors.js";
import { ReadOnlyOption } from "../../../src/raft/read-only.js";
import { MemoryStorage } from "../../../src/raft/storage.js";
import { progressStateString } from "../../../src/raft/tracker/progress.js";
import { SnapshotStatus, stateTypeString } from "../../../src/raft/types.js";
import { emptyConfState } from "../../../src/raft/util.js";
import { SimNode } from "../helpers/sim-node.js";
import type { NodeOptions } from "../helpers/sim-node.js";
import { parseCommand } from "./script.js";

type Level = "none" | "info" | "debug";

/** Commands whose whole point is their output. */
const QUERIES = new Set(["raft-state", "raft-log", "status", "compact", "restart", "config"]);

/** A logger that writes into the current command's output. */
class ScriptLogger implements Logger {
  level: Level = "info";
  out: string[] = [];
  debug(_f: object, msg: string): void {
    if (this.level === "debug") this.out.push(`DEBUG ${msg}`);
  }
  info(_f: object, msg: string): void {
    if (this.level !== "none") this.out.push(`INFO ${msg}`);
  }
  warn(_f: object, msg: string): void {
    if (this.level !== "none") this.out.push(`WARN ${msg}`);
  }
  error(_f: object, msg: string): void {
    this.out.push(`ERROR ${msg}`);
  }
  child(): Logger {
    return this;
  }
}

function ids(args: string[]): bigint[] {
  return args.map((a) => BigInt(a));
}

function idList(v: string | undefined): bigint[] {
  if (v === undefined || v === "") return [];
  return v.replace(/[()]/g, "").split(",").filter((s) => s !== "").map((s) => BigInt(s));
}

export class InteractionEnv {
  readonly nodes = new Map<bigint, SimNode>();
  queue: Message[] = [];
  readonly logger = new ScriptLogger();

  /** Runs one command; returns its output lines. */
  run(command: string): string[] {
    const { name, args, kv } = parseCommand(command);
    this.logger.out = [];
    const out = this.logger.out;
    try {
      const handler = this.#handlers[name];
      if (handler === undefined) throw new Error(`unknown command ${name}`);
      handler(args, kv, out);
    } catch (err) {
      if (!(err instanceof RaftError)) throw err;
      out.push(`error: ${err.message}`);
    }
    // "log-level none" silences everything but the commands that ask for state.
    if (this.logger.level === "none" && !QUERIES.has(name)) return out.filter((l) => l.startsWith("error:"));
    return out;
  }

  node(id: bigint): SimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  #addNode(n: SimNode): void {
    // Snapshots sent are of the current applied state, as etcd's server does.
    n.freshSnapshots = true;
    this.nodes.set(n.id, n);
  }

  #allIds(args: string[]): bigint[] {
    return args.length > 0 ? ids(args) : [...this.nodes.keys()];
  }

  /** Handles the Ready of `id` if any; returns whether there was one. */
  #processReady(id: bigint, out: string[]): boolean {
    const n = this.node(id);
    if (!n.node.hasReady()) return false;
    n.readies = [];
    out.push(`> ${id} handling Ready`);
    const mark = out.length;
    const msgs = n.processReady();
    const rd = n.readies[0]!;
    n.readies = undefined;
    // Log lines emitted while applying go after the Ready's description.
    const logged = out.splice(mark);
    for (const l of describeReady(rd).split("\n")) out.push(`  ${l}`);
    for (const l of logged) out.push(`  ${l}`);
    for (const m of msgs ?? []) this.queue.push(m);
    return true;
  }

  /** Delivers (or drops) the queued messages addressed to `to`; returns how many. */
  #deliver(to: Set<bigint>, drop: boolean, out: string[]): number {
    const mine = this.queue.filter((m) => to.has(m.to));
    this.queue = this.queue.filter((m) => !to.has(m.to));
    for (const m of mine) {
      if (drop) {
        out.push(`dropped: ${describeMessage(m)}`);
        continue;
      }
      out.push(describeMessage(m));
      const mark = out.length;
      try {
        this.node(m.to).node.step(m);
      } catch (err) {
        if (!(err instanceof RaftError)) throw err;
        out.push(`error: ${err.message}`);
      }
      const logged = out.splice(mark);
      for (const l of logged) out.push(`  ${l}`);
    }
    return mine.length;
  }

  readonly #handlers: Record<string, (args: string[], kv: Map<string, string>, out: string[]) => void> = {
    "log-level": (args) => {
      this.logger.level = (args[0] ?? "info") as Level;
    },

    "add-nodes": (args, kv) => {
      const count = Number(args[0] ?? "1");
      const voters = idList(kv.get("voters"));
      const learners = idList(kv.get("learners"));
      const index = BigInt(kv.get("index") ?? "0");
      const options: NodeOptions = {
        electionTick: Number(kv.get("election") ?? 10),
        heartbeatTick: Number(kv.get("heartbeat") ?? 1),
        preVote: kv.get("prevote") === "true",
        checkQuorum: kv.get("checkquorum") === "true",
        stepDownOnRemoval: kv.get("step-down-on-removal") === "true",
        disableProposalForwarding: kv.get("disable-forwarding") === "true",
        maxInflightMsgs: Number(kv.get("max-inflight") ?? 256),
        ...(kv.has("max-size") ? { maxSizePerMsg: Number(kv.get("max-size")) } : {}),
        ...(kv.get("read-only") === "lease" ? { readOnlyOption: ReadOnlyOption.LeaseBased } : {}),
      };
      for (let k = 0; k < count; k++) {
        const id = BigInt(this.nodes.size + 1);
        let storage: MemoryStorage;
        const cs = { ...emptyConfState(), voters, learners };
        if (index > 0n) {
          // Start from a snapshot so the log does not begin at index 1.
          storage = new MemoryStorage();
          storage.applySnapshot({ data: Buffer.from(JSON.stringify({ applied: index.toString(), hash: 0 })), metadata: { index, term: 1n, confState: cs } });
          storage.setHardState({ term: 1n, vote: 0n, commit: index });
        } else {
          storage = new MemoryStorage(voters.length > 0 || learners.length > 0 ? { confState: cs } : undefined);
        }
        this.#addNode(new SimNode(id, storage, options, 1, this.logger));
      }
    },

    campaign: (args) => {
      this.node(BigInt(args[0]!)).node.campaign();
    },

    propose: (args, _kv, out) => {
      try {
        this.node(BigInt(args[0]!)).node.propose(Buffer.from(args.slice(1).join(" ")));
      } catch (err) {
        if (!(err instanceof ProposalDroppedError)) throw err;
        out.push(`error: ${err.message}`);
      }
    },

    "propose-conf-change": (args, kv, out) => {
      const id = BigInt(args[0]!);
      const changes = confChangesFromString(args.slice(1).join(" "));
      let cc: ConfChange | ReturnType<typeof confChangeV2>;
      if (kv.get("v1") === "true") {
        const c = changes[0]!;
        cc = { type: c.type, nodeId: c.nodeId, context: Buffer.alloc(0), id: 0n };
      } else {
        const t = kv.get("transition");
        const transition =
          t === "explicit"
            ? ConfChangeTransition.ConfChangeTransitionJointExplicit
            : t === "implicit"
              ? ConfChangeTransition.ConfChangeTransitionJointImplicit
              : ConfChangeTransition.ConfChangeTransitionAuto;
        cc = confChangeV2(changes, transition);
      }
      try {
        this.node(id).node.proposeConfChange(cc);
      } catch (err) {
        if (!(err instanceof ProposalDroppedError)) throw err;
        out.push(`error: ${err.message}`);
      }
    },

    "process-ready": (args, _kv, out) => {
      for (const id of this.#allIds(args)) {
        if (!this.#processReady(id, out)) out.push(`> ${id}: no Ready`);
      }
    },

    "deliver-msgs": (args, kv, out) => {
      const n = this.#deliver(new Set(this.#allIds(args)), kv.get("drop") === "true", out);
      if (n === 0) out.push("no messages");
    },

    stabilize: (args, _kv, out) => {
      const which = this.#allIds(args);
      for (let round = 0; round < 1000; round++) {
        let moved = false;
        for (const id of which) moved = this.#processReady(id, out) || moved;
        for (const id of which) {
          const pending = this.queue.filter((m) => m.to === id).length;
          if (pending === 0) continue;
          out.push(`> ${id} receiving messages`);
          const mark = out.length;
          this.#deliver(new Set([id]), false, out);
          const lines = out.splice(mark);
          for (const l of lines) out.push(`  ${l}`);
          moved = true;
        }
        if (!moved) return;
      }
      throw new Error("stabilize did not converge");
    },

    "tick-heartbeat": (args) => {
      const n = this.node(BigInt(args[0]!));
      for (let i = 0; i < n.node.raft.heartbeatTimeout; i++) n.node.tick();
    },

    "tick-election": (args) => {
      const n = this.node(BigInt(args[0]!));
      const r = n.node.raft;
      // Enough ticks for the (seeded) randomized timeout to expire.
      const ticks = Math.max(r.randomizedElectionTimeout - r.electionElapsed, r.electionTimeout);
      for (let i = 0; i < ticks; i++) n.node.tick();
    },

    tick: (args) => {
      const n = this.node(BigInt(args[0]!));
      const k = Number(args[1] ?? "1");
      for (let i = 0; i < k; i++) n.node.tick();
    },

    "raft-state": (_args, _kv, out) => {
      for (const [id, n] of this.nodes) {
        const r = n.node.raft;
        const role = r.trk.progress.get(id) === undefined ? "(Non-Voter)" : r.isLearner ? "(Learner)" : "(Voter)";
        out.push(`${id}: ${stateTypeString(r.state)} ${role} Term:${r.term} Lead:${r.lead}`);
      }
    },

    "raft-log": (args, _kv, out) => {
      const r = this.node(BigInt(args[0]!)).node.raft;
      const ents = r.raftLog.allEntries();
      if (ents.length === 0) out.push(`log is empty: first index=${r.raftLog.firstIndex()}, last index=${r.raftLog.lastIndex()}`);
      for (const e of ents) out.push(describeEntry(e));
    },

    status: (args, _kv, out) => {
      const st = this.node(BigInt(args[0]!)).node.status();
      if (st.progress === undefined) {
        out.push(`not leader (${stateTypeString(st.softState.raftState)})`);
        return;
      }
      for (const [id, p] of st.progress) {
        let s = `${id}: ${progressStateString(p.state)} match=${p.match} next=${p.next}`;
        if (p.isLearner) s += " learner";
        if (p.paused) s += " paused";
        if (p.pendingSnapshot > 0n) s += ` pendingSnap=${p.pendingSnapshot}`;
        if (p.inflight > 0) s += ` inflight=${p.inflight}`;
        out.push(s);
      }
    },

    config: (args, _kv, out) => {
      for (const id of this.#allIds(args)) out.push(`${id}: ${this.node(id).node.raft.trk.config}`);
    },

    "read-index": (args) => {
      this.node(BigInt(args[0]!)).node.readIndex(Buffer.from(args[1] ?? "ctx"));
    },

    "transfer-leader": (args) => {
      this.node(BigInt(args[0]!)).node.transferLeader(BigInt(args[1]!));
    },

    compact: (args, _kv, out) => {
      const n = this.node(BigInt(args[0]!));
      const snap = n.snapshotAndCompact(BigInt(args[1] ?? "0"));
      const r = n.node.raft;
      out.push(snap === undefined ? "nothing to compact" : `snapshot at ${snap.metadata?.index}; first index now ${r.raftLog.firstIndex()}`);
    },

    "report-unreachable": (args) => {
      this.node(BigInt(args[0]!)).node.reportUnreachable(BigInt(args[1]!));
    },

    "report-snapshot": (args) => {
      const status = args[2] === "fail" ? SnapshotStatus.Failure : SnapshotStatus.Finish;
      this.node(BigInt(args[0]!)).node.reportSnapshot(BigInt(args[1]!), status);
    },

    restart: (args, _kv, out) => {
      const id = BigInt(args[0]!);
      const before = this.queue.length;
      this.queue = this.queue.filter((m) => m.to !== id);
      this.node(id).restart();
      const r = this.node(id).node.raft;
      out.push(`restarted ${id}: term ${r.term}, vote ${r.vote}, commit ${r.raftLog.committed}, last index ${r.raftLog.lastIndex()}; ${before - this.queue.length} queued message(s) to it lost`);
    },

    "add-learner-node": (args) => {
      // A brand-new member: empty storage and no configuration.
      const id = BigInt(args[0] ?? this.nodes.size + 1);
      this.#addNode(new SimNode(id, new MemoryStorage(), { electionTick: 10, heartbeatTick: 1 }, 1, this.logger));
    },
  };
}
