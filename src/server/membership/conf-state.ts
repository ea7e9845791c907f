/**
 * Raft's membership configuration (ConfState) as of the last applied entry,
 * kept in the backend's meta bucket and written in the same batch as the
 * consistent index (etcd 3.5+ does the same). On restart raft starts from
 * it, so conf changes already applied are never replayed into raft — which
 * would re-add a change that validation had refused the first time.
 * Stored as etcd's JSON ({"voters":[…],"learners":[…],…}); ids are 64-bit,
 * so the JSON is read and written as text.
 * @module
 */
import type { ConfState } from "../../gen/raftpb/raft.js";
import { META_KEYS, type Backend } from "../../storage/backend/index.js";

const FIELDS = [
  ["voters", "voters"],
  ["learners", "learners"],
  ["votersOutgoing", "voters_outgoing"],
  ["learnersNext", "learners_next"],
] as const;

export function encodeConfState(cs: ConfState): Buffer {
  const parts: string[] = [];
  for (const [field, json] of FIELDS) {
    const ids = cs[field];
    if (ids.length > 0) parts.push(`"${json}":[${ids.map(String).join(",")}]`);
  }
  if (cs.autoLeave) parts.push(`"auto_leave":true`);
  return Buffer.from(`{${parts.join(",")}}`, "utf8");
}

export function decodeConfState(data: Buffer): ConfState {
  const text = data.toString("utf8");
  const cs: ConfState = { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  for (const [field, json] of FIELDS) {
    const m = new RegExp(`"${json}"\\s*:\\s*\\[([^\\]]*)\\]`).exec(text);
    if (m !== null && m[1]!.trim() !== "") cs[field] = m[1]!.split(",").map((s) => BigInt(s.trim()));
  }
  cs.autoLeave = /"auto_leave"\s*:\s*true/.test(text);
  return cs;
}

export function saveConfState(backend: Backend, cs: ConfState): void {
  backend.put("meta", META_KEYS.confState, encodeConfState(cs));
}

export function loadConfState(backend: Backend): ConfState | undefined {
  const data = backend.get("meta", META_KEYS.confState);
  return data === undefined ? undefined : decodeConfState(data);
}
