/**
 * Helpers over ConfChange (v1, a single change) and ConfChangeV2 (several
 * changes, with an explicit transition): converting, classifying (enter or
 * leave a joint config), and the compact text form used by tests.
 * @module
 */
import {
  ConfChange,
  ConfChangeTransition,
  ConfChangeType,
  ConfChangeV2,
  EntryType,
} from "../../gen/raftpb/raft.js";
import type { ConfChangeSingle, Entry } from "../../gen/raftpb/raft.js";
import { EMPTY_BYTES, makeEntry } from "../util.js";

export type AnyConfChange = ConfChange | ConfChangeV2;

/** Whether `cc` is a v2 change (it has a `changes` list). */
export function isConfChangeV2(cc: AnyConfChange): cc is ConfChangeV2 {
  return Array.isArray((cc as ConfChangeV2).changes);
}

/** The v2 form of any conf change (a v1 change is one change, auto transition). */
export function asV2(cc: AnyConfChange): ConfChangeV2 {
  if (isConfChangeV2(cc)) return cc;
  return {
    transition: ConfChangeTransition.ConfChangeTransitionAuto,
    changes: [{ type: cc.type, nodeId: cc.nodeId }],
    context: cc.context,
  };
}

/**
 * Whether applying `cc` enters a joint configuration, and if so whether that
 * joint configuration is left automatically. A change uses joint consensus
 * when it asks for it explicitly or when it changes more than one member.
 */
export function enterJoint(cc: ConfChangeV2): { autoLeave: boolean } | undefined {
  if (cc.transition === ConfChangeTransition.ConfChangeTransitionAuto && cc.changes.length <= 1) return undefined;
  switch (cc.transition) {
    case ConfChangeTransition.ConfChangeTransitionAuto:
    case ConfChangeTransition.ConfChangeTransitionJointImplicit:
      return { autoLeave: true };
    case ConfChangeTransition.ConfChangeTransitionJointExplicit:
      return { autoLeave: false };
    default:
      throw new Error(`unknown transition: ${String(cc.transition)}`);
  }
}

/** Whether `cc` is the empty change that leaves a joint configuration (context is ignored). */
export function leaveJoint(cc: ConfChangeV2): boolean {
  return cc.transition === ConfChangeTransition.ConfChangeTransitionAuto && cc.changes.length === 0;
}

/** The log entry that carries `cc`. */
export function confChangeToEntry(cc: AnyConfChange): Entry {
  if (isConfChangeV2(cc)) {
    return makeEntry({ Type: EntryType.EntryConfChangeV2, Data: Buffer.from(ConfChangeV2.encode(cc).finish()) });
  }
  return makeEntry({ Type: EntryType.EntryConfChange, Data: Buffer.from(ConfChange.encode(cc).finish()) });
}

/** Decodes the conf change carried by a conf-change entry (undefined for a normal entry). */
export function confChangeFromEntry(e: Entry): AnyConfChange | undefined {
  if (e.Type === EntryType.EntryConfChange) return ConfChange.decode(e.Data);
  if (e.Type === EntryType.EntryConfChangeV2) return ConfChangeV2.decode(e.Data);
  return undefined;
}

/** A v2 change from its parts. */
export function confChangeV2(
  changes: ConfChangeSingle[],
  transition: ConfChangeTransition = ConfChangeTransition.ConfChangeTransitionAuto,
  context: Buffer = EMPTY_BYTES,
): ConfChangeV2 {
  return { transition, changes, context };
}

const TYPE_LETTER: Record<ConfChangeType, string> = {
  [ConfChangeType.ConfChangeAddNode]: "v",
  [ConfChangeType.ConfChangeAddLearnerNode]: "l",
  [ConfChangeType.ConfChangeRemoveNode]: "r",
  [ConfChangeType.ConfChangeUpdateNode]: "u",
};

/**
 * Parses the compact form "v1 l2 r3 u4" (v = add voter, l = add learner,
 * r = remove, u = update).
 */
export function confChangesFromString(s: string): ConfChangeSingle[] {
  const out: ConfChangeSingle[] = [];
  for (const tok of s.trim().split(/\s+/)) {
    if (tok === "") continue;
    const letter = tok[0];
    const id = BigInt(tok.slice(1));
    let type: ConfChangeType;
    switch (letter) {
      case "v":
        type = ConfChangeType.ConfChangeAddNode;
        break;
      case "l":
        type = ConfChangeType.ConfChangeAddLearnerNode;
        break;
      case "r":
        type = ConfChangeType.ConfChangeRemoveNode;
        break;
      case "u":
        type = ConfChangeType.ConfChangeUpdateNode;
        break;
      default:
        throw new Error(`unknown conf change token: ${tok}`);
    }
    out.push({ type, nodeId: id });
  }
  return out;
}

/** The compact form of a list of changes ("v1 l2 r3"). */
export function confChangesToString(ccs: readonly ConfChangeSingle[]): string {
  return ccs.map((cc) => `${TYPE_LETTER[cc.type]}${cc.nodeId}`).join(" ");
}
