/**
 * Human-readable one-line renderings of raft values, for logs, debugging and
 * the golden output of the interaction tests. Not a wire format.
 * @module
 */
import { ConfChangeTransition, EntryType, MessageType } from "../gen/raftpb/raft.js";
import type { ConfState, Entry, HardState, Message, Snapshot } from "../gen/raftpb/raft.js";
import { asV2, confChangeFromEntry, confChangesToString } from "./confchange/conf-change.js";
import type { Ready, SoftState } from "./types.js";
import { stateTypeString } from "./types.js";
import { snapConfState, snapIndex, snapTerm } from "./util.js";

/** Printable ASCII is shown quoted; anything else as hex. */
export function describeBytes(b: Buffer): string {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c < 0x20 || c > 0x7e) return `0x${b.toString("hex")}`;
  }
  return JSON.stringify(b.toString("latin1"));
}

function describeEntryData(e: Entry): string {
  if (e.Type === EntryType.EntryNormal) return e.Data.length === 0 ? "" : ` ${describeBytes(e.Data)}`;
  try {
    const cc = confChangeFromEntry(e);
    if (cc === undefined) return "";
    const v2 = asV2(cc);
    let s = confChangesToString(v2.changes);
    if (v2.transition === ConfChangeTransition.ConfChangeTransitionJointExplicit) s += " (explicit)";
    else if (v2.transition === ConfChangeTransition.ConfChangeTransitionJointImplicit) s += " (implicit)";
    return s === "" ? "" : ` ${s}`;
  } catch {
    return ` ${describeBytes(e.Data)}`;
  }
}

/** "term/index Type data", e.g. `1/5 EntryNormal "put x"` or `2/7 EntryConfChangeV2 v4 l5`. */
export function describeEntry(e: Entry): string {
  return `${e.Term}/${e.Index} ${EntryType[e.Type]}${describeEntryData(e)}`;
}

export function describeEntries(ents: readonly Entry[]): string {
  return ents.map(describeEntry).join("\n");
}

/** "Voters:[1 2 3] VotersOutgoing:[] Learners:[] LearnersNext:[] AutoLeave:false" */
export function describeConfState(cs: ConfState): string {
  return `Voters:[${cs.voters.join(" ")}] VotersOutgoing:[${cs.votersOutgoing.join(" ")}] Learners:[${cs.learners.join(" ")}] LearnersNext:[${cs.learnersNext.join(" ")}] AutoLeave:${cs.autoLeave}`;
}

export function describeSnapshot(s: Snapshot): string {
  return `Index:${snapIndex(s)} Term:${snapTerm(s)} ConfState:${describeConfState(snapConfState(s))}`;
}

export function describeHardState(hs: HardState): string {
  return `Term:${hs.term} Vote:${hs.vote} Commit:${hs.commit}`;
}

export function describeSoftState(ss: SoftState): string {
  return `Lead:${ss.lead} State:${stateTypeString(ss.raftState)}`;
}

/** e.g. `1->2 MsgApp Term:1 Log:1/10 Commit:10 Entries:[1/11 EntryNormal "foo"]`. */
export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${MessageType[m.type]} Term:${m.term} Log:${m.logTerm}/${m.index}`;
  if (m.reject) s += ` Rejected (Hint: ${m.rejectHint})`;
  if (m.commit !== 0n) s += ` Commit:${m.commit}`;
  if (m.entries.length > 0) s += ` Entries:[${m.entries.map(describeEntry).join(", ")}]`;
  if (m.snapshot !== undefined && snapIndex(m.snapshot) !== 0n) s += ` Snapshot: ${describeSnapshot(m.snapshot)}`;
  if (m.context.length > 0) s += ` Context:${describeBytes(m.context)}`;
  return s;
}

/** A multi-line rendering of a Ready (empty parts omitted). */
export function describeReady(rd: Ready): string {
  const lines: string[] = [];
  if (rd.softState !== undefined) lines.push(describeSoftState(rd.softState));
  if (rd.hardState !== undefined) lines.push(`HardState ${describeHardState(rd.hardState)}`);
  if (rd.readStates.length > 0) {
    lines.push(`ReadStates ${rd.readStates.map((rs) => `(${rs.index}, ${describeBytes(rs.requestCtx)})`).join(" ")}`);
  }
  if (rd.entries.length > 0) {
    lines.push("Entries:");
    for (const e of rd.entries) lines.push(describeEntry(e));
  }
  if (rd.snapshot !== undefined) lines.push(`Snapshot ${describeSnapshot(rd.snapshot)}`);
  if (rd.committedEntries.length > 0) {
    lines.push("CommittedEntries:");
    for (const e of rd.committedEntries) lines.push(describeEntry(e));
  }
  if (rd.messages.length > 0) {
    lines.push("Messages:");
    for (const m of rd.messages) lines.push(describeMessage(m));
  }
  return lines.length === 0 ? "<empty Ready>" : lines.join("\n");
}
