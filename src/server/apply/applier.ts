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
import type { AppliedIndex } from "./applied-index.js";
import type { ApplyResult } from "./apply-result.js";
import type { LocalRequest } from "../proposals/codec.js";

export interface ApplierDeps {
  cindex: ConsistentIndex;
  waits: WaitRegistry<ApplyResult>;
  applied: AppliedIndex;
  /** Applies one client/internal request; throws only for bugs (the server stops). */
  dispatch(request: LocalRequest, index: bigint): ApplyResult;
  /** The decoded request, when this member proposed it and still holds it (saves a decode). */
  localRequest?(id: bigint): LocalRequest | undefined;
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
        const localId = this.#deps.localRequest === undefined ? undefined : leadingRequestId(entry.Data);
        const request = (localId !== undefined ? this.#deps.localRequest?.(localId) : undefined) ?? InternalRaftRequest.decode(entry.Data);
        const result = this.#deps.dispatch(request, entry.Index);
        cindex.set(entry.Index, entry.Term);
        const id = request.header?.ID ?? 0n;
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

/**
 * The request id of an encoded InternalRaftRequest, read without decoding
 * it: the encoder writes `header` (field 100) first, and its first field is
 * the id. Undefined when the bytes do not start that way.
 */
export function leadingRequestId(data: Buffer): bigint | undefined {
  // Tag of field 100, wire type 2, as a varint: 0xa2 0x06.
  if (data.length < 5 || data[0] !== 0xa2 || data[1] !== 0x06) return undefined;
  let pos = 2;
  while (pos < data.length && data[pos]! & 0x80) pos++; // header length
  pos++;
  if (data[pos] !== 0x08) return undefined; // RequestHeader.ID, varint
  pos++;
  let id = 0n;
  let shift = 0n;
  for (; pos < data.length && shift < 70n; pos++, shift += 7n) {
    const b = data[pos]!;
    id |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return id;
  }
  return undefined;
}
