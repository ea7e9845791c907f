/**
 * Applies committed raft entries, in order, exactly once. Each entry's
 * changes and the consistent index that records it go into the same backend
 * batch, so after a crash an entry is either fully applied and remembered,
 * or neither — and the WAL replay applies it again. The proposer waiting for
 * the entry (if it is still on this member) gets the result.
 * @module
 */
import { InternalRaftRequest } from "../../gen/etcdserverpb/raft_internal.js";
import { ConfChange, EntryType, type Entry } from "../../gen/raftpb/raft.js";
import type { ConsistentIndex } from "../../storage/cindex/index.js";
import type { Logger } from "../../pkg/logger.js";
import type { WaitRegistry } from "../../pkg/wait.js";
import type { AppliedIndex } from "../applied-index.js";
import type { ApplyResult } from "./apply-result.js";

export interface ApplierDeps {
  cindex: ConsistentIndex;
  waits: WaitRegistry<ApplyResult>;
  applied: AppliedIndex;
  /** Applies one client/internal request; throws only for bugs (the server stops). */
  dispatch(request: InternalRaftRequest, index: bigint): ApplyResult;
  /** Applies a membership change entry; the result goes to the member that proposed it, if it waits. */
  confChange(cc: ConfChange, index: bigint): ApplyResult;
  logger: Logger;
}

export class Applier {
  readonly #deps: ApplierDeps;

  constructor(deps: ApplierDeps) {
    this.#deps = deps;
  }

  apply(entries: readonly Entry[]): void {
    const { cindex, applied } = this.#deps;
    for (const entry of entries) {
      // Raft restarts from the applied index, so entries at or below it come
      // back only if the backend raced ahead of the WAL's commit index.
      if (entry.Index > cindex.get().index) this.#applyOne(entry);
      applied.advance(entry.Index);
    }
  }

  #applyOne(entry: Entry): void {
    const { cindex, waits } = this.#deps;
    switch (entry.Type) {
      case EntryType.EntryNormal: {
        if (entry.Data.length === 0) {
          // The empty entry a new leader appends: nothing to apply.
          cindex.set(entry.Index, entry.Term);
          return;
        }
        const request = InternalRaftRequest.decode(entry.Data);
        const result = this.#deps.dispatch(request, entry.Index);
        cindex.set(entry.Index, entry.Term);
        const id = request.header?.ID ?? request.ID;
        if (id !== 0n) waits.trigger(id, result);
        return;
      }
      case EntryType.EntryConfChange: {
        const cc = ConfChange.decode(entry.Data);
        const result = this.#deps.confChange(cc, entry.Index);
        cindex.set(entry.Index, entry.Term);
        if (cc.id !== 0n) waits.trigger(cc.id, result);
        return;
      }
      default:
        throw new Error(`apply: unsupported entry type ${entry.Type} at index ${entry.Index}`);
    }
  }
}
